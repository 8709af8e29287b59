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

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"

	"github.com/streamtop/streamtop/engine"
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
	clock       bus.Clock
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
	topics      kafka.Topics
	dupWindow   int
	dedupTTL    time.Duration
	oooMax      time.Duration
	rateThresh  float64
	rateStrict  bool
	rateGapOrig bool

	bench      benchConfig
	cpuProfile string // write a pprof CPU profile here
	memProfile string // write a pprof heap profile here, every few seconds

	cmd string // subcommand: "" (every role in one process), inject, engine, rates, compare, watch

	// Kafka cluster (--brokers; empty: the embedded broker).
	kafka       kafka.Config
	replication int
	group       string // engine: consumer group
	fromEnd     bool
	eventFormat string // json or pipe

	// Cassandra (--cassandra; empty: no table).
	cassandra    []string
	keyspace     string
	cassRepl     string
	cassUser     string
	cassPass     string
	cassTLS      kafka.TLSFiles
	consistency  string
	boontadata   bool
	suffix       string // boontadata downstream column suffix
	boonZone     string // boontadata: the zone of window_time ("" UTC)
	resultsTo    string // engine: kafka, cassandra or both
	engineName   string
	runID        string   // compare: the run to judge ("" latest)
	downstreams  []string // compare: topic:NAME, table:ENGINE, boontadata[:SUFFIX]
	follow       bool
	timeout      time.Duration
	idleFinal    time.Duration
	rateSource   string
	rateInterval time.Duration
	watchGroup   string
}

// Flag groups: which flags a subcommand takes.
type flagGroup uint16

const (
	gInject flagGroup = 1 << iota
	gEngine
	gCompare
	gRates
	gKafka
	gCassandra
	gRun    // duration, report, failure status
	gScreen // frame rate
	gLocal  // the embedded broker and the one-process run
	gBench  // streamtop bench
)

var commandGroups = map[string]flagGroup{
	"":        gInject | gEngine | gCompare | gRates | gKafka | gCassandra | gRun | gScreen | gLocal,
	"inject":  gInject | gKafka | gCassandra | gRun,
	"engine":  gEngine | gKafka | gCassandra | gRun,
	"rates":   gRates | gKafka | gRun,
	"compare": gCompare | gKafka | gCassandra | gRun,
	"watch":   gKafka | gCassandra | gScreen,
	"bench":   gKafka | gScreen | gBench,
}

var commandUsage = map[string]string{
	"inject": `streamtop inject — simulated devices (or --replay FILE) to the events topic,
their truths to Cassandra (--cassandra). Runs until the input ends, --duration
passes, or SIGINT/SIGTERM (then it flushes, marks the end of the input and
records the truth as final).

Usage:
  streamtop inject --brokers HOST:PORT [--cassandra HOST] [flags]
`,
	"engine": `streamtop engine — the windowing engine as a Kafka consumer group member:
several instances share the partitions. Results go to the aggregates topic
and/or a Cassandra table. SIGINT/SIGTERM emits open windows as incomplete,
commits and leaves the group.

Usage:
  streamtop engine --brokers HOST:PORT [--group NAME] [--cassandra HOST] [flags]
`,
	"rates": `streamtop rates — the BTC→CNY rate pipeline between its four topics:
ticks in, rates, variations and alerts out (SPEC §5).

Usage:
  streamtop rates --brokers HOST:PORT [--source sim|file:PATH|http:URL|kafka] [flags]
`,
	"compare": `streamtop compare — judges one or more downstreams against the truth in
Cassandra: "N exceptions out of M" each. Waits for the verdict to be final
(or --timeout), or with --follow keeps judging live.

Usage:
  streamtop compare --brokers HOST:PORT --cassandra HOST [--downstream topic:aggregates]... [flags]
`,
	"bench": `streamtop bench — how fast streamtop is on this machine: the engine alone
against a naive aggregator, decoding against encoding/json, decode + engine
against decoding alone, the whole pipeline in one process (injector → broker
→ engine → comparator, the screen attached and drawing to a counter) at
--target events/s for --duration, and the screen idle and busy. Prints a
table of events/s, time and allocations per event, CPU, resident size and
latency, with the ratios and the targets met; --report json for machines.
The embedded broker by default; --brokers for a real Kafka cluster (topics
streamtop-bench-*, created and left for inspection).

Usage:
  streamtop bench [--quick] [--brokers HOST:PORT] [--report json] [flags]
`,
	"watch": `streamtop watch — the terminal UI as a pure watcher of a distributed run:
every pane shows what it can observe from the topics and tables.

Usage:
  streamtop watch --brokers HOST:PORT [--cassandra HOST] [flags]
`,
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
  streamtop inject|engine|rates|compare|watch --brokers HOST:PORT [flags]
                                    one role on a real cluster
  streamtop bench [--quick]         how fast streamtop is on this machine
  (every subcommand has --help)

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

// defaultConfig is every setting's default (SPEC's), whether or not the
// subcommand has a flag for it.
func defaultConfig() config {
	return config{
		seed: 34, devices: 1, rate: 20, dup: 0.05, late: 0.01, dedup: true,
		watermark: time.Second, idle: 6 * time.Second, window: 5 * time.Second, dedupTTL: 10 * time.Minute,
		partitions: 4, replication: 1, start: sim.StartInstant, autoStop: true, report: "text", fps: 20,
		linger: 5 * time.Millisecond, m2Tol: -1, dupWindow: 10000, oooMax: 3 * time.Second, rateThresh: 50,
		topics: kafka.DefaultTopics(), keyspace: "streamtop", cassRepl: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
		consistency: "local_quorum", suffix: "downstream", engineName: "streamtop", resultsTo: "kafka",
		group: "streamtop-engine", watchGroup: "streamtop-engine", eventFormat: "json", rateSource: "sim",
		rateInterval: 500 * time.Millisecond, timeout: 10 * time.Minute, idleFinal: 30 * time.Second,
	}
}

// parseFlags parses the args of the one-process run; usage goes to out.
func parseFlags(args []string, out io.Writer) (config, error) { return parseCommand("", args, out) }

// parseCommand parses the args of a subcommand ("" for the one-process
// run); --help prints its usage to out.
func parseCommand(cmd string, args []string, out io.Writer) (config, error) {
	groups, ok := commandGroups[cmd]
	if !ok {
		return config{}, fmt.Errorf("unknown command %q", cmd)
	}
	has := func(g flagGroup) bool { return groups&g != 0 }
	c := defaultConfig()
	c.cmd = cmd
	fs := flag.NewFlagSet("streamtop "+cmd, flag.ContinueOnError)
	// Errors are returned (the caller prints one line); usage only on --help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if has(gInject) {
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
	}
	if has(gEngine) {
		fs.Func("engine", "engine time mode: event, processing or microbatch (default event)", func(s string) error {
			m, err := engine.ParseMode(s)
			c.mode = m
			return err
		})
		fs.BoolVar(&c.dedup, "dedup", true, "engine drops ids it accepted before (--dedup=false to count duplicates)")
		fs.DurationVar(&c.watermark, "watermark", time.Second, "watermark lag W behind a partition's max device time")
		fs.DurationVar(&c.idle, "idle", 6*time.Second, "a caught-up partition silent this long stops holding the watermark back")
		fs.DurationVar(&c.lateness, "lateness", 0, "allowed lateness: a fired window stays open this long")
	}
	if has(gEngine | gInject | gCompare) {
		fs.DurationVar(&c.window, "window", 5*time.Second, "tumbling window size")
	}
	if has(gKafka) {
		fs.IntVar(&c.partitions, "partitions", 4, "partitions of the topics streamtop creates")
	}
	if has(gInject | gEngine) {
		fs.Func("clock", "real (wall clock, paced) or virtual (computed send times, reproducible) (default real)", func(s string) error {
			k, err := bus.ParseClock(s)
			c.clock = k
			return err
		})
	}
	if has(gInject) {
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
	}
	if has(gRun) {
		fs.DurationVar(&c.duration, "duration", 0, "how long the run lasts, 0 = until the input ends or you quit (virtual time under --clock virtual)")
	}
	if has(gLocal) {
		fs.BoolVar(&c.autoStop, "auto-stop", true, "tear down at once when the duration is over (--auto-stop=false is --confirm-stop)")
		fs.BoolVar(&c.confirmStop, "confirm-stop", false, "wait for a person to confirm before tearing down (enter in the UI, Enter or a signal headless)")
		fs.StringVar(&c.listen, "listen", "", "address of the embedded broker (default 127.0.0.1 on an ephemeral port)")
		fs.BoolVar(&c.headless, "headless", false, "no screen: run to the end and print the report")
	}
	if has(gCompare | gLocal) {
		fs.StringVar(&c.report, "report", "text", "report format: text, json or csv")
		fs.BoolVar(&c.failOnExc, "fail-on-exceptions", false, "exit 3 when the final score has exceptions")
	}
	if has(gScreen) {
		fs.IntVar(&c.fps, "fps", 20, "screen frames per second (a counter shows a produced event within a status period and a frame)")
	}
	if has(gInject) {
		fs.DurationVar(&c.linger, "linger", 5*time.Millisecond, "producer linger: batching delay before a produce request")
	}
	if has(gCompare) {
		fs.Float64Var(&c.m2Tol, "m2-tolerance", -1, "judge m2_sum too: |Δm2| above this is an exception (negative: shown, not judged)")
	}
	if has(gInject) {
		fs.IntVar(&c.dupWindow, "dup-window", 10000, "a duplicate repeats one of the device's last N events")
		fs.DurationVar(&c.oooMax, "ooo-max", 3*time.Second, "largest lag of an out-of-order event")
	}
	if has(gEngine) {
		fs.DurationVar(&c.dedupTTL, "dedup-ttl", 10*time.Minute, "processing time: how long the engine remembers ids")
	}
	if has(gRates) {
		fs.Float64Var(&c.rateThresh, "rate-threshold", 50, "rate pipeline: alert when |variation| reaches this (CNY)")
		fs.BoolVar(&c.rateStrict, "rate-strict", false, "rate pipeline: alert on |variation| > threshold instead of ≥")
		fs.BoolVar(&c.rateGapOrig, "rate-gap-original", false, "rate pipeline: the gap topic carries |variation| when it alerts, else 0 (the original's form)")
	}
	if has(gKafka) {
		fs.StringVar(&c.topics.Events, "topic-events", kafka.TopicEvents, "topic of device events")
	}
	if has(gKafka) {
		fs.StringVar(&c.topics.Results, "topic-results", kafka.TopicResults, "topic of engine results")
	}
	if has(gKafka) {
		fs.StringVar(&c.topics.RateInput, "topic-rate-input", kafka.TopicRateInput, "topic of exchange-rate ticks")
		fs.StringVar(&c.topics.RateOutput, "topic-rate", kafka.TopicRate, "topic of rates")
		fs.StringVar(&c.topics.RateGap, "topic-gap", kafka.TopicGap, "topic of rate variations")
		fs.StringVar(&c.topics.RateAlert, "topic-alert", kafka.TopicAlert, "topic of rate alerts")
	}
	if has(gKafka) {
		fs.Func("brokers", "Kafka bootstrap brokers, comma-separated host:port (default: the embedded broker; required by subcommands)", func(v string) error {
			c.kafka.Brokers = splitList(v)
			return nil
		})
		fs.IntVar(&c.replication, "replication", 1, "replication factor of the topics streamtop creates")
		fs.StringVar(&c.kafka.TLS.CA, "tls-ca", "", "Kafka TLS: CA certificate (PEM) to verify the brokers")
		fs.StringVar(&c.kafka.TLS.Cert, "tls-cert", "", "Kafka TLS: client certificate (PEM)")
		fs.StringVar(&c.kafka.TLS.Key, "tls-key", "", "Kafka TLS: client key (PEM)")
		fs.BoolVar(&c.kafka.TLS.SkipVerify, "tls-insecure", false, "Kafka TLS without verifying the brokers (tests only)")
		fs.StringVar(&c.kafka.SASL.Mechanism, "sasl-mechanism", "", "Kafka SASL: plain, scram-sha-256 or scram-sha-512")
		fs.StringVar(&c.kafka.SASL.User, "sasl-user", "", "Kafka SASL user")
		fs.StringVar(&c.kafka.SASL.Password, "sasl-password", os.Getenv("STREAMTOP_SASL_PASSWORD"), "Kafka SASL password (default $STREAMTOP_SASL_PASSWORD)")
	}
	if has(gCassandra) {
		fs.Func("cassandra", "Cassandra contact points, comma-separated host[:port] (default: no Cassandra)", func(v string) error {
			c.cassandra = splitList(v)
			return nil
		})
		fs.StringVar(&c.keyspace, "keyspace", "streamtop", "Cassandra keyspace of the truths and results")
		fs.StringVar(&c.cassRepl, "cassandra-replication", c.cassRepl, "replication map of a keyspace streamtop creates")
		fs.StringVar(&c.cassUser, "cassandra-user", "", "Cassandra user (PasswordAuthenticator)")
		fs.StringVar(&c.cassPass, "cassandra-password", os.Getenv("STREAMTOP_CASSANDRA_PASSWORD"), "Cassandra password (default $STREAMTOP_CASSANDRA_PASSWORD)")
		fs.StringVar(&c.cassTLS.CA, "cassandra-tls-ca", "", "Cassandra TLS: CA certificate (PEM)")
		fs.StringVar(&c.cassTLS.Cert, "cassandra-tls-cert", "", "Cassandra TLS: client certificate (PEM)")
		fs.StringVar(&c.cassTLS.Key, "cassandra-tls-key", "", "Cassandra TLS: client key (PEM)")
		fs.BoolVar(&c.cassTLS.SkipVerify, "cassandra-tls-insecure", false, "Cassandra TLS without verifying the nodes (tests only)")
		fs.StringVar(&c.consistency, "consistency", "local_quorum", "Cassandra consistency: one, quorum, local_quorum, all, …")
		fs.BoolVar(&c.boontadata, "boontadata", false, "also use the original boontadata keyspace (agg_events): the injector writes its truth there too")
		fs.StringVar(&c.boonZone, "boontadata-zone", "", "boontadata: the zone of window_time, which the original wrote on its host's local clock: Local, or an IANA name (default UTC)")
		fs.StringVar(&c.suffix, "boontadata-column", "downstream", "boontadata: the downstream column pair m1_sum_<X>/m2_sum_<X> (the original's engines used e.g. flink_eventtime)")
	}
	if has(gInject) {
		fs.StringVar(&c.eventFormat, "event-format", "json", "events on the topic: json, or pipe (the original text form id|device|time|category|m1|m2)")
	}
	if has(gEngine) {
		fs.StringVar(&c.engineName, "engine-name", "streamtop", "the engine field of results (and its Cassandra source name)")
		fs.StringVar(&c.resultsTo, "results-to", "kafka", "where results go: kafka, cassandra or both (cassandra needs --cassandra)")
		fs.BoolVar(&c.fromEnd, "from-end", false, "a new consumer group starts at the end of the events topic (default: its start)")
	}
	if cmd == "engine" {
		fs.StringVar(&c.group, "group", "streamtop-engine", "consumer group: instances with the same group share the partitions")
	}
	if has(gCompare) && cmd == "compare" {
		fs.StringVar(&c.runID, "run", "", "the run to judge (default: the latest run in Cassandra)")
		fs.Func("downstream", "what to judge, repeatable: topic:NAME (results JSON on a topic), table:ENGINE (our Cassandra table), boontadata[:SUFFIX] (the original's agg_events) (default topic:aggregates)", func(v string) error {
			c.downstreams = append(c.downstreams, v)
			return nil
		})
		fs.BoolVar(&c.follow, "follow", false, "keep judging live, printing the scores, until interrupted")
		fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "give up waiting for a final verdict after this long (then report what is settled, exit 1)")
		fs.DurationVar(&c.idleFinal, "idle-final", 30*time.Second, "a downstream without progress records is final once the truth is final and it has been silent this long")
	}
	if has(gRates) {
		fs.StringVar(&c.rateSource, "source", "sim", "rate ticks from: sim (seeded random walk), uniform (integers 25000–35000), file:PATH, http:URL (polled), kafka (the input topic, fed by others)")
		fs.DurationVar(&c.rateInterval, "interval", 500*time.Millisecond, "tick interval of the sim, file and http sources")
	}
	if cmd == "watch" {
		fs.StringVar(&c.watchGroup, "group", "streamtop-engine", "the engines' consumer group, for the lag per partition")
	}

	if has(gBench) {
		fs.BoolVar(&c.bench.quick, "quick", false, "the whole table in under 30 s: short stages, a 14 s pipeline measured after its first 7 s (indicative)")
		fs.Float64Var(&c.bench.target, "target", 500_000, "pipeline: events/s in all to inject")
		fs.IntVar(&c.bench.devices, "devices", 100, "pipeline: simulated devices (each sends target/devices events/s)")
		fs.DurationVar(&c.bench.length, "duration", 60*time.Second, "pipeline: how long it runs (10s with --quick)")
		fs.DurationVar(&c.linger, "linger", 5*time.Millisecond, "pipeline: producer linger")
		fs.StringVar(&c.report, "report", "text", "output: text or json")
	}
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this file")
	fs.StringVar(&c.memProfile, "memprofile", "", "write a heap profile (pprof) to this file every 5 s while running")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if u, ok := commandUsage[cmd]; ok {
				fmt.Fprint(out, u+"\nFlags:\n")
				fs.SetOutput(out)
				fs.PrintDefaults()
				return c, errHelp
			}
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
	screen := cmd == "" && !c.headless
	if !c.eventsSet {
		c.events = 300
		if screen || cmd == "inject" {
			c.events = 0 // the demo and a distributed injector run until stopped
		}
	}
	if !c.speedSet {
		c.speed = 0
		if screen || (cmd == "inject" && c.clock == bus.VirtualClock) {
			c.speed = 1
		}
	}
	if cmd == "bench" {
		return c, c.benchDefaults(fs)
	}
	if cmd != "" && len(c.kafka.Brokers) == 0 {
		return c, fmt.Errorf("streamtop %s needs --brokers (a Kafka cluster)", cmd)
	}
	if cmd == "compare" && len(c.cassandra) == 0 {
		return c, errors.New("streamtop compare needs --cassandra (where the truth is)")
	}
	if cmd == "compare" && len(c.downstreams) == 0 {
		c.downstreams = []string{"topic:" + c.topics.Results}
	}
	return c, c.validate()
}

// benchDefaults completes and checks the bench flags: the pipeline stage
// is a one-process run (late events off, duplicates on, real clock).
func (c *config) benchDefaults(fs *flag.FlagSet) error {
	b := &c.bench
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	b.micro, b.screen = 3*time.Second, 5*time.Second
	if b.quick {
		b.micro, b.screen = time.Second, 2*time.Second
		if !set["duration"] {
			// 7 s of warm-up (half the run) covers the first window and
			// its watermark: the dedup state is at its full size when
			// the lag and latency are measured.
			b.length = 14 * time.Second
		}
	}
	switch {
	case !(b.target > 0) || math.IsInf(b.target, 0):
		return fmt.Errorf("--target %v: want a positive number of events/s", b.target)
	case b.devices < 1:
		return fmt.Errorf("--devices %d: want at least 1", b.devices)
	case b.length < time.Second:
		return fmt.Errorf("--duration %v: want at least 1s", b.length)
	case c.report != "text" && c.report != "json":
		return fmt.Errorf("--report %q: want text or json", c.report)
	}
	c.devices, c.rate, c.late, c.ooo, c.events = b.devices, b.target/float64(b.devices), 0, 0, 0
	c.duration, c.headless, c.clock = b.length, true, bus.RealClock
	if len(c.kafka.Brokers) > 0 { // leave the demo's topics alone
		tag := time.Now().UTC().Format("20060102-150405")
		c.topics.Events, c.topics.Results = "streamtop-bench-"+tag+"-events", "streamtop-bench-"+tag+"-aggregates"
	}
	return c.validate()
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
	if len(c.kafka.Brokers) > 0 {
		if err := c.kafka.Validate(); err != nil {
			return fmt.Errorf("--brokers: %w", err)
		}
		if c.listen != "" {
			return errors.New("--listen is for the embedded broker: not with --brokers")
		}
	}
	switch {
	case c.replication < 1 || c.replication > 32767:
		return fmt.Errorf("--replication %d: want 1 or more", c.replication)
	case c.eventFormat != "json" && c.eventFormat != "pipe":
		return fmt.Errorf("--event-format %q: want json or pipe", c.eventFormat)
	case c.resultsTo != "kafka" && c.resultsTo != "cassandra" && c.resultsTo != "both":
		return fmt.Errorf("--results-to %q: want kafka, cassandra or both", c.resultsTo)
	case c.resultsTo != "kafka" && len(c.cassandra) == 0:
		return fmt.Errorf("--results-to %s needs --cassandra", c.resultsTo)
	case c.engineName == "" || c.group == "":
		return errors.New("--engine-name and --group must not be empty")
	case c.timeout <= 0 || c.idleFinal < 0 || c.rateInterval <= 0:
		return errors.New("--timeout and --interval must be positive, --idle-final not negative")
	}
	for _, d := range c.downstreams {
		if _, _, err := parseDownstream(d); err != nil {
			return err
		}
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
func (c config) virtual() bool { return c.clock == bus.VirtualClock || c.replay != "" }

// bounded reports whether the input ends by itself.
func (c config) bounded() bool {
	return c.events > 0 || c.replay != "" || (c.virtual() && c.duration > 0)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseDownstream reads a --downstream value: its kind (topic, table or
// boontadata) and its name.
func parseDownstream(v string) (kind, name string, err error) {
	kind, name, _ = strings.Cut(v, ":")
	switch kind {
	case "topic", "table":
		if name == "" {
			return "", "", fmt.Errorf("--downstream %q: %s needs a name (%s:NAME)", v, kind, kind)
		}
	case "boontadata":
		if name == "" {
			name = "downstream"
		}
	default:
		return "", "", fmt.Errorf("--downstream %q: want topic:NAME, table:ENGINE or boontadata[:SUFFIX]", v)
	}
	return kind, name, nil
}
