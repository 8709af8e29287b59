package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed"
)

// config is everything the command line sets.
type config struct {
	seed        int64
	devices     int
	events      int
	eventsSet   bool
	rate        float64
	dup         float64
	late        float64
	ooo         float64
	mode        engine.Mode
	dedup       bool
	watermark   time.Duration
	idle        time.Duration
	lateness    time.Duration
	window      time.Duration
	partitions  int
	clock       feed.Clock
	start       time.Time
	speed       float64
	speedSet    bool
	replay      string
	duration    time.Duration
	autoStop    bool
	confirmStop bool
	listen      string
	headless    bool
	report      string
	failOnExc   bool
	fps         int
	linger      time.Duration
	m2Tol       float64
	topics      feed.Topics
	dupWindow   int
	dedupTTL    time.Duration
	oooMax      time.Duration
	rateThresh  float64
	rateStrict  bool
	rateGapOrig bool
}

// errHelp means --help was asked for and printed.
var errHelp = errors.New("help requested")

const usageHead = `streamtop — run, watch and judge stream processing live.

With no flags it runs everything in one process on an embedded Kafka-protocol
broker: simulated IoT devices (with duplicates, late and out-of-order events)
→ Kafka → a windowing engine → a comparator judging it against the devices'
own truth, plus a BTC→CNY rate pipeline, in a full-screen terminal UI.

Usage:
  streamtop [flags]                 the live demo in the terminal
  streamtop --headless [flags]      run to the end and print the report

Exit status: 0 done; 1 a failure; 2 bad usage; 3 --fail-on-exceptions and the
score is not 0.

Flags:
`

const usageKeys = `
Keys in the terminal UI:
  d  duplicates on/off     l  late events on/off     o  out-of-order on/off
  t  engine time mode      u  dedup on/off           [ ]  watermark lag −/+
  + -  injection rate      space  pause/resume       r  reset the run
  tab shift+tab  focus     /  filter exceptions      ?  help    q ctrl+c  quit
`

// parseFlags parses args; usage goes to out.
func parseFlags(args []string, out io.Writer) (config, error) {
	c := config{dedup: true, autoStop: true, start: feed.StartInstant, m2Tol: -1, topics: feed.DefaultTopics()}
	fs := flag.NewFlagSet("streamtop", flag.ContinueOnError)
	// Errors are returned (the caller prints one line); usage only on --help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Int64Var(&c.seed, "seed", 34, "random seed: fixes device ids and every event")
	fs.IntVar(&c.devices, "devices", 1, "number of simulated devices")
	fs.Func("events", "original events per device, 0 = unbounded (default 300 with --headless, 0 in the UI)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("want an integer")
		}
		c.events, c.eventsSet = n, true
		return nil
	})
	fs.Float64Var(&c.rate, "rate", 20, "events/s per device (gaps uniform in [0, 2/rate))")
	fs.Float64Var(&c.dup, "dup", 0.05, "probability that an event is followed by a duplicate of an earlier one")
	fs.Float64Var(&c.late, "late", 0.01, "probability that an event is late (device time 120–420 s before send time)")
	fs.Float64Var(&c.ooo, "ooo", 0, "probability that an event is out of order (device time up to 3 s before send time)")
	fs.Func("engine", "engine time mode: event, processing or microbatch (default event)", func(s string) error {
		m, err := engine.ParseMode(s)
		c.mode = m
		return err
	})
	fs.BoolVar(&c.dedup, "dedup", true, "engine drops ids it accepted before (--dedup=false to count duplicates)")
	fs.DurationVar(&c.watermark, "watermark", time.Second, "watermark lag W behind a partition's max device time")
	fs.DurationVar(&c.idle, "idle", 6*time.Second, "a caught-up partition silent this long stops holding the watermark back")
	fs.DurationVar(&c.lateness, "lateness", 0, "allowed lateness: a fired window stays open this long")
	fs.DurationVar(&c.window, "window", 5*time.Second, "tumbling window size")
	fs.IntVar(&c.partitions, "partitions", 4, "partitions of the topics streamtop creates")
	fs.Func("clock", "real (wall clock, paced) or virtual (computed send times, reproducible) (default real)", func(s string) error {
		k, err := feed.ParseClock(s)
		c.clock = k
		return err
	})
	fs.Func("start", "virtual clock origin, RFC 3339 (default 2026-01-01T00:00:00Z)", func(s string) error {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return errors.New("want an RFC 3339 time such as 2026-01-01T00:00:00Z")
		}
		c.start = t
		return nil
	})
	fs.Func("speed", "virtual clock pace: 1 = real time, 0 = as fast as possible (default 0 with --headless, 1 in the UI)", func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("want a number")
		}
		c.speed, c.speedSet = f, true
		return nil
	})
	fs.StringVar(&c.replay, "replay", "", "replay this recorded file instead of generating (JSON lines with \"send\", or the original printed form)")
	fs.DurationVar(&c.duration, "duration", 0, "how long the run lasts, 0 = until the input ends or you quit (virtual time under --clock virtual)")
	fs.BoolVar(&c.autoStop, "auto-stop", true, "tear down at once when the duration is over (--auto-stop=false is --confirm-stop)")
	fs.BoolVar(&c.confirmStop, "confirm-stop", false, "wait for a person to confirm before tearing down (enter in the UI, Enter or a signal headless)")
	fs.StringVar(&c.listen, "listen", "", "address of the embedded broker (default 127.0.0.1 on an ephemeral port)")
	fs.BoolVar(&c.headless, "headless", false, "no screen: run to the end and print the report")
	fs.StringVar(&c.report, "report", "text", "report format: text, json or csv")
	fs.BoolVar(&c.failOnExc, "fail-on-exceptions", false, "exit 3 when the final score has exceptions")
	fs.IntVar(&c.fps, "fps", 10, "screen frames per second")
	fs.DurationVar(&c.linger, "linger", 5*time.Millisecond, "producer linger: batching delay before a produce request")
	fs.Float64Var(&c.m2Tol, "m2-tolerance", -1, "judge m2_sum too: |Δm2| above this is an exception (negative: shown, not judged)")
	fs.IntVar(&c.dupWindow, "dup-window", 10000, "a duplicate repeats one of the device's last N events")
	fs.DurationVar(&c.oooMax, "ooo-max", 3*time.Second, "largest lag of an out-of-order event")
	fs.DurationVar(&c.dedupTTL, "dedup-ttl", 10*time.Minute, "processing time: how long the engine remembers ids")
	fs.Float64Var(&c.rateThresh, "rate-threshold", 50, "rate pipeline: alert when |variation| reaches this (CNY)")
	fs.BoolVar(&c.rateStrict, "rate-strict", false, "rate pipeline: alert on |variation| > threshold instead of ≥")
	fs.BoolVar(&c.rateGapOrig, "rate-gap-original", false, "rate pipeline: the gap topic carries |variation| when it alerts, else 0 (the original's form)")
	fs.StringVar(&c.topics.Events, "topic-events", feed.TopicEvents, "topic of device events")
	fs.StringVar(&c.topics.Results, "topic-results", feed.TopicResults, "topic of engine results")
	fs.StringVar(&c.topics.RateInput, "topic-rate-input", feed.TopicRateInput, "topic of exchange-rate ticks")
	fs.StringVar(&c.topics.RateOutput, "topic-rate", feed.TopicRate, "topic of rates")
	fs.StringVar(&c.topics.RateGap, "topic-gap", feed.TopicGap, "topic of rate variations")
	fs.StringVar(&c.topics.RateAlert, "topic-alert", feed.TopicAlert, "topic of rate alerts")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(out, usageHead)
			fs.SetOutput(out)
			fs.PrintDefaults()
			fmt.Fprint(out, usageKeys)
			return c, errHelp
		}
		return c, err
	}
	// One switch, two spellings: --confirm-stop or --auto-stop=false.
	c.confirmStop = c.confirmStop || !c.autoStop
	c.autoStop = !c.confirmStop
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (flags start with --; see --help)", fs.Arg(0))
	}
	if !c.eventsSet {
		c.events = 0
		if c.headless {
			c.events = 300
		}
	}
	if !c.speedSet {
		c.speed = 0
		if !c.headless {
			c.speed = 1
		}
	}
	return c, c.validate()
}

func (c config) validate() error {
	probs := []struct {
		name string
		p    float64
	}{{"dup", c.dup}, {"late", c.late}, {"ooo", c.ooo}}
	for _, p := range probs {
		if math.IsNaN(p.p) || p.p < 0 || p.p > 1 {
			return fmt.Errorf("--%s %v: want a probability in [0,1]", p.name, p.p)
		}
	}
	switch {
	case c.devices < 1 || c.devices > 100000:
		return fmt.Errorf("--devices %d: want 1 to 100000", c.devices)
	case c.events < 0:
		return fmt.Errorf("--events %d: want 0 (unbounded) or more", c.events)
	case !(c.rate > 0) || math.IsInf(c.rate, 0) || c.rate > 1e6:
		return fmt.Errorf("--rate %v: want events/s per device in (0, 1e6]", c.rate)
	case c.watermark < 0, c.lateness < 0, c.duration < 0, c.linger < 0:
		return errors.New("--watermark, --lateness, --duration and --linger must not be negative")
	case c.idle < time.Millisecond:
		return fmt.Errorf("--idle %v: want at least 1ms", c.idle)
	case c.window < time.Millisecond || c.window%time.Millisecond != 0:
		return fmt.Errorf("--window %v: want a whole number of milliseconds, at least 1ms", c.window)
	case c.partitions < 1 || c.partitions > 10000:
		return fmt.Errorf("--partitions %d: want 1 to 10000", c.partitions)
	case c.speed < 0 || math.IsNaN(c.speed) || math.IsInf(c.speed, 0):
		return fmt.Errorf("--speed %v: want 0 (unthrottled) or a positive factor", c.speed)
	case c.fps < 1 || c.fps > 120:
		return fmt.Errorf("--fps %d: want 1 to 120", c.fps)
	case math.IsNaN(c.m2Tol):
		return errors.New("--m2-tolerance: want a number")
	}
	switch c.report {
	case "text", "json", "csv":
	default:
		return fmt.Errorf("--report %q: want text, json or csv", c.report)
	}
	if c.replay != "" {
		if _, err := os.Stat(c.replay); err != nil {
			return fmt.Errorf("--replay: %w", err)
		}
	}
	if c.listen != "" {
		_, port, err := net.SplitHostPort(c.listen)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:9092", c.listen)
		}
	}
	names := map[string]bool{}
	for _, t := range c.topics.All() {
		if t == "" || len(t) > 249 || strings.ContainsFunc(t, func(r rune) bool {
			return !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			return fmt.Errorf("topic name %q: want 1–249 of [a-zA-Z0-9._-]", t)
		}
		if names[t] {
			return fmt.Errorf("topic %q named twice: every topic flag needs its own topic", t)
		}
		names[t] = true
	}
	switch {
	case c.dupWindow < 1:
		return fmt.Errorf("--dup-window %d: want at least 1", c.dupWindow)
	case c.oooMax < 0:
		return fmt.Errorf("--ooo-max %v: must not be negative", c.oooMax)
	case c.dedupTTL < time.Millisecond:
		return fmt.Errorf("--dedup-ttl %v: want at least 1ms", c.dedupTTL)
	case math.IsNaN(c.rateThresh) || math.IsInf(c.rateThresh, 0) || c.rateThresh < 0:
		return fmt.Errorf("--rate-threshold %v: want a number ≥ 0", c.rateThresh)
	}
	return nil
}

// clockKind is what the run's clock is called on screen.
func (c config) virtual() bool { return c.clock == feed.VirtualClock || c.replay != "" }

// bounded reports whether the input ends by itself.
func (c config) bounded() bool {
	return c.events > 0 || c.replay != "" || (c.virtual() && c.duration > 0)
}
