package main

import (
	"fmt"
	"math"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
)

// appConfig is the one-process run's (`streamtop` with no subcommand):
// every role, on the embedded broker or a cluster.
type appConfig struct {
	kafka    kafkaFlags
	topics   topicFlags
	cass     cassFlags
	inj      injectorFlags
	eng      engineFlags
	cmp      compareFlags
	rates    rateFlags
	clock    clockFlags
	duration time.Duration
	report   reportFlags
	fps      int
	screen   screenFlags
	local    localFlags
	peers    []string // --peer: real engines beside ours (SPEC §9)
	prof     profileFlags
}

// appEvents is the one-process run's --events when headless (the screen
// runs until stopped).
const appEvents = 300

func defaultAppConfig() appConfig {
	inj := defaultInjectorFlags()
	inj.events = appEvents
	return appConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), cass: defaultCassFlags(), inj: inj,
		eng: defaultEngineFlags(), cmp: defaultCompareFlags(), rates: defaultRateFlags(), clock: defaultClockFlags(),
		report: defaultReportFlags(), fps: 20, screen: defaultScreenFlags(), local: defaultLocalFlags()}
}

func (c *appConfig) bind(b *binder) {
	c.inj.bind(b, "original events per device, 0 = unbounded (0 in the UI)",
		"virtual clock pace: 1 = real time, 0 = as fast as possible (1 in the UI)")
	c.eng.bind(b)
	c.cmp.bindTolerance(b)
	c.rates.bind(b)
	c.clock.bindWindow(b)
	c.clock.bindClock(b)
	bindDuration(b, &c.duration, "how long the run lasts, 0 = until the input ends or you quit (virtual time under --clock virtual)")
	c.local.bind(b)
	b.in(grpPeers).value(repeatedValue{&c.peers}, "peer", "", "run the real engine `NAME` beside ours and judge it too, repeatable: flink, kstreams, kstreams-eos, spark (streamtop peers list shows them)")
	c.report.bind(b)
	bindFPS(b, &c.fps)
	c.screen.bind(b)
	c.kafka.bind(b)
	c.topics.bind(b)
	c.cass.bind(b)
	c.prof.bind(b)
}

// complete: the screen runs until stopped, at the pace of real time,
// unless told otherwise.
func (c *appConfig) complete(given func(string) bool) error {
	if !c.local.headless && !given("events") {
		c.inj.events = 0
	}
	if !c.local.headless && !given("speed") {
		c.inj.speed = 1
	}
	return firstError(c.local.complete(), c.kafka.complete(), c.cass.complete())
}

func (c *appConfig) Validate() error {
	return firstError(c.kafka.Validate(), c.topics.Validate(), c.inj.Validate(), c.eng.Validate(), c.cmp.Validate(),
		c.rates.Validate(), c.clock.Validate(), validDuration(c.duration), c.report.Validate(), validFPS(c.fps), c.screen.Validate(),
		c.local.Validate(), embeddedOnly(c.local, c.kafka), resultsNeedCassandra(c.eng, c.cass), validPeers(c.peers, c.kafka))
}

func (c *appConfig) profiles() profileFlags { return c.prof }

// virtual reports whether the run's send times are computed.
func (c appConfig) virtual() bool { return c.clock.virtual(c.inj.replay) }

// bounded reports whether the input ends by itself.
func (c appConfig) bounded() bool {
	return c.inj.events > 0 || c.inj.replay != "" || (c.virtual() && c.duration > 0)
}

// benchConfig is `streamtop bench`'s: its pipeline stage is a one-process
// run (late events off, duplicates on, the real clock), app.
type benchConfig struct {
	app    appConfig
	quick  bool
	target float64       // pipeline: events/s in all
	micro  time.Duration // each micro-benchmark stage
	screen time.Duration // each screen stage
	output string        // text or json
}

func defaultBenchConfig() benchConfig {
	app := defaultAppConfig()
	app.inj.devices, app.duration = 100, 60*time.Second
	return benchConfig{app: app, target: 500_000, output: "text"}
}

func (c *benchConfig) bind(b *binder) {
	b.in(grpBench)
	b.boolean(&c.quick, "quick", "q", "the whole table in under 30 s: short stages, a 14 s pipeline measured after its first 7 s (indicative)")
	b.float(&c.target, "target", "", "pipeline: events/s in all to inject")
	b.integer(&c.app.inj.devices, "devices", "n", "pipeline: simulated devices (each sends target/devices events/s)")
	b.duration(&c.app.duration, "duration", "d", "pipeline: how long it runs (14s with --quick)")
	b.duration(&c.app.inj.linger, "linger", "", "pipeline: producer linger")
	b.in(grpOutput).str(&c.output, "report", "o", "output: text or json")
	bindFPS(b, &c.app.fps)
	c.app.kafka.bind(b)
	c.app.topics.bind(b)
	c.app.prof.bind(b)
}

func (c *benchConfig) complete(given func(string) bool) error {
	c.micro, c.screen = 3*time.Second, 5*time.Second
	if c.quick {
		c.micro, c.screen = time.Second, 2*time.Second
		if !given("duration") {
			// 7 s of warm-up (half the run) covers the first window and
			// its watermark: the dedup state is at its full size when
			// the lag and latency are measured.
			c.app.duration = 14 * time.Second
		}
	}
	a := &c.app
	a.inj.rate, a.inj.late, a.inj.ooo, a.inj.events = c.target/float64(max(a.inj.devices, 1)), 0, 0, 0
	a.local.headless, a.clock.clock = true, bus.RealClock
	if len(a.kafka.Brokers) > 0 && !given("topic-events") && !given("topic-results") { // leave the demo's topics alone
		tag := time.Now().UTC().Format("20060102-150405")
		a.topics.names.Events, a.topics.names.Results = "streamtop-bench-"+tag+"-events", "streamtop-bench-"+tag+"-aggregates"
	}
	return firstError(a.local.complete(), a.kafka.complete())
}

func (c *benchConfig) Validate() error {
	switch {
	case !(c.target > 0) || math.IsInf(c.target, 0):
		return fmt.Errorf("--target %v: want a positive number of events/s", c.target)
	case c.app.inj.devices < 1:
		return fmt.Errorf("--devices %d: want at least 1", c.app.inj.devices)
	case c.app.duration < time.Second:
		return fmt.Errorf("--duration %v: want at least 1s", c.app.duration)
	case c.output != "text" && c.output != "json":
		return fmt.Errorf("--report %q: want text or json", c.output)
	}
	return c.app.Validate()
}

func (c *benchConfig) profiles() profileFlags { return c.app.prof }
