package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// compareFlags are the comparator's.
type compareFlags struct {
	m2Tol       float64
	runID       string   // the run to judge ("" latest)
	downstreams []string // topic:NAME, table:ENGINE, boontadata[:SUFFIX]
	follow      bool
	timeout     time.Duration
	idleFinal   time.Duration
}

func defaultCompareFlags() compareFlags {
	return compareFlags{m2Tol: -1, timeout: 10 * time.Minute, idleFinal: 30 * time.Second}
}

func (c *compareFlags) bindTolerance(b *binder) {
	b.in(grpCompare).float(&c.m2Tol, "m2-tolerance", "", "judge m2_sum too: |Δm2| above this is an exception (negative: shown, not judged)")
}

// bindJudging binds the flags only `streamtop compare` has.
func (c *compareFlags) bindJudging(b *binder) {
	b.in(grpCompare)
	b.str(&c.runID, "run", "", "the run to judge (default: the latest run in Cassandra)")
	b.value(repeatedValue{&c.downstreams}, "downstream", "D", "what to judge, repeatable: topic:NAME (results JSON on a topic), table:ENGINE (our Cassandra table), boontadata[:SUFFIX] (the original's agg_events), rates[:SUFFIX] (a rate pipeline's topics <rate topic>.SUFFIX…, matched against ours record by record; default storm) (default topic:<--topic-results>)")
	b.boolean(&c.follow, "follow", "f", "keep judging live, printing the scores, until interrupted")
	b.duration(&c.timeout, "timeout", "", "give up waiting for a final verdict after this long (then report what is settled, exit 1)")
	b.duration(&c.idleFinal, "idle-final", "", "a downstream without progress records is final once the truth is final and it has been silent this long")
}

func (c compareFlags) Validate() error {
	switch {
	case math.IsNaN(c.m2Tol):
		return errors.New("--m2-tolerance: want a number")
	case c.timeout <= 0:
		return fmt.Errorf("--timeout %v: want a positive duration", c.timeout)
	case c.idleFinal < 0:
		return fmt.Errorf("--idle-final %v: must not be negative", c.idleFinal)
	}
	for _, d := range c.downstreams {
		if _, _, err := parseDownstream(d); err != nil {
			return err
		}
	}
	return nil
}

// rateFlags are the BTC→CNY rate pipeline's.
type rateFlags struct {
	threshold float64
	strict    bool
	gapOrig   bool
	source    string
	interval  time.Duration
}

func defaultRateFlags() rateFlags {
	return rateFlags{threshold: 50, source: "sim", interval: 500 * time.Millisecond}
}

func (r *rateFlags) bind(b *binder) {
	b.in(grpRates)
	b.float(&r.threshold, "rate-threshold", "", "rate pipeline: alert when |variation| reaches this (CNY)")
	b.boolean(&r.strict, "rate-strict", "", "rate pipeline: alert on |variation| > threshold instead of ≥")
	b.boolean(&r.gapOrig, "rate-gap-original", "", "rate pipeline: the gap topic carries |variation| when it alerts, else 0 (the original's form)")
	b.str(&r.source, "source", "", "rate ticks from: sim (seeded random walk), uniform (integers 25000–35000), file:PATH, http:URL (polled), kafka (the input topic, fed by others)")
	b.duration(&r.interval, "interval", "", "tick interval of the sim, file and http sources")
}

func (r rateFlags) Validate() error {
	switch {
	case math.IsNaN(r.threshold) || math.IsInf(r.threshold, 0) || r.threshold < 0:
		return fmt.Errorf("--rate-threshold %v: want a number ≥ 0", r.threshold)
	case r.interval <= 0:
		return fmt.Errorf("--interval %v: want a positive duration", r.interval)
	}
	_, _, err := parseRateSource(r.source)
	return err
}

// parseRateSource reads --source: its kind and argument.
func parseRateSource(v string) (kind, arg string, err error) {
	kind, arg, _ = strings.Cut(v, ":")
	switch kind {
	case "kafka", "sim", "uniform":
		return kind, arg, nil
	case "file", "http", "https":
		if arg != "" {
			return kind, arg, nil
		}
	}
	return "", "", fmt.Errorf("--source %q: want sim, uniform, file:PATH, http(s)://URL or kafka", v)
}

// localFlags are the one-process run's own: the embedded broker and when
// to tear down.
type localFlags struct {
	headless    bool
	autoStop    bool
	confirmStop bool
	listen      string
	advertise   string
	saslUser    string
	saslPass    secret
}

func defaultLocalFlags() localFlags {
	return localFlags{autoStop: true, saslPass: newSecret("listen-sasl-password")}
}

func (l *localFlags) bind(b *binder) {
	b.in(grpRun)
	b.boolean(&l.headless, "headless", "H", "no screen: run to the end and print the report")
	b.boolean(&l.autoStop, "auto-stop", "", "tear down at once when the duration is over (--auto-stop=false is --confirm-stop)")
	b.boolean(&l.confirmStop, "confirm-stop", "", "wait for a person to confirm before tearing down (enter in the UI, Enter or a signal headless)")
	b.in(grpEmbedded)
	b.str(&l.listen, "listen", "", "`host:port` of the embedded broker (default 127.0.0.1 on an ephemeral port); beyond loopback, see --listen-sasl-user")
	b.str(&l.advertise, "advertise", "", "`host[:port]` the embedded broker tells clients to connect to (default: the listen address; for 0.0.0.0 or ::, this host's first non-loopback address)")
	b.str(&l.saslUser, "listen-sasl-user", "", "the embedded broker requires SASL (PLAIN, SCRAM-SHA-256 or -512) with this user").env()
	l.saslPass.bind(b, "embedded broker's SASL password")
}

// complete merges the two spellings of one switch and reads the password.
func (l *localFlags) complete() error {
	l.confirmStop = l.confirmStop || !l.autoStop
	l.autoStop = !l.confirmStop
	return l.saslPass.resolve()
}

func (l localFlags) Validate() error {
	for _, a := range []struct{ name, v string }{{"listen", l.listen}, {"advertise", l.advertise}} {
		if a.v == "" {
			continue
		}
		v := a.v
		if a.name == "advertise" && !strings.Contains(v, ":") {
			v += ":0"
		}
		host, port, err := net.SplitHostPort(v)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 || a.name == "advertise" && host == "" {
			return fmt.Errorf("--%s %q: want host:port, e.g. 127.0.0.1:9092", a.name, a.v)
		}
	}
	if l.saslUser != "" && l.saslPass.value == "" {
		return fmt.Errorf("--listen-sasl-user needs a password: $%s or --listen-sasl-password-file", envName("listen-sasl-password"))
	}
	return nil
}
