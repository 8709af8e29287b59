package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
)

// roleConfig is one subcommand's configuration: its flags bound to its
// fields, completed once parsed (defaults that depend on other flags,
// secrets), and checked.
type roleConfig interface {
	bind(b *binder)
	complete(given func(flag string) bool) error
	Validate() error
	profiles() profileFlags
}

// injectConfig is `streamtop inject`'s.
type injectConfig struct {
	kafka    kafkaFlags
	topics   topicFlags
	cass     cassFlags
	inj      injectorFlags
	clock    clockFlags
	duration time.Duration
	prof     profileFlags
}

func defaultInjectConfig() injectConfig {
	return injectConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), cass: defaultCassFlags(),
		inj: defaultInjectorFlags(), clock: defaultClockFlags()}
}

func (c *injectConfig) bind(b *binder) {
	c.inj.bind(b, "original events per device, 0 = unbounded",
		"virtual clock pace: 1 = real time, 0 = as fast as possible (default 1 with --clock virtual)")
	c.clock.bindWindow(b)
	c.clock.bindClock(b)
	bindDuration(b, &c.duration, "how long the injector runs, 0 = until the input ends or a signal (virtual time under --clock virtual)")
	c.kafka.bind(b)
	c.topics.bind(b)
	c.cass.bind(b)
	c.prof.bind(b)
}

func (c *injectConfig) complete(given func(string) bool) error {
	if !given("speed") && c.clock.clock == bus.VirtualClock {
		c.inj.speed = 1
	}
	return firstError(c.kafka.complete(), c.cass.complete())
}

func (c *injectConfig) Validate() error {
	return firstError(c.kafka.required(), c.topics.Validate(), c.inj.Validate(), c.clock.Validate(), validDuration(c.duration))
}

func (c *injectConfig) profiles() profileFlags { return c.prof }

// engineConfig is `streamtop engine`'s.
type engineConfig struct {
	kafka    kafkaFlags
	topics   topicFlags
	cass     cassFlags
	eng      engineFlags
	clock    clockFlags
	duration time.Duration
	prof     profileFlags
}

func defaultEngineConfig() engineConfig {
	return engineConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), cass: defaultCassFlags(),
		eng: defaultEngineFlags(), clock: defaultClockFlags()}
}

func (c *engineConfig) bind(b *binder) {
	c.eng.bind(b)
	b.str(&c.eng.group, "group", "g", "consumer group: instances with the same group share the partitions")
	c.clock.bindWindow(b)
	c.clock.bindClock(b)
	bindDuration(b, &c.duration, "how long the engine runs, 0 = until a signal")
	c.kafka.bind(b)
	c.topics.bind(b)
	c.cass.bind(b)
	c.prof.bind(b)
}

func (c *engineConfig) complete(func(string) bool) error {
	return firstError(c.kafka.complete(), c.cass.complete())
}

func (c *engineConfig) Validate() error {
	return firstError(c.kafka.required(), c.topics.Validate(), c.eng.Validate(), c.clock.Validate(),
		validDuration(c.duration), resultsNeedCassandra(c.eng, c.cass))
}

func (c *engineConfig) profiles() profileFlags { return c.prof }

// ratesConfig is `streamtop rates`'s.
type ratesConfig struct {
	kafka    kafkaFlags
	topics   topicFlags
	rates    rateFlags
	seed     int64 // of the simulated source
	duration time.Duration
	prof     profileFlags
}

func defaultRatesConfig() ratesConfig {
	return ratesConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), rates: defaultRateFlags(),
		seed: defaultInjectorFlags().seed}
}

func (c *ratesConfig) bind(b *binder) {
	c.rates.bind(b)
	bindDuration(b, &c.duration, "how long the pipeline runs, 0 = until a signal")
	c.kafka.bind(b)
	c.topics.bind(b)
	c.prof.bind(b)
}

func (c *ratesConfig) complete(func(string) bool) error { return c.kafka.complete() }

func (c *ratesConfig) Validate() error {
	return firstError(c.kafka.required(), c.topics.Validate(), c.rates.Validate(), validDuration(c.duration))
}

func (c *ratesConfig) profiles() profileFlags { return c.prof }

// compareConfig is `streamtop compare`'s.
type compareConfig struct {
	kafka    kafkaFlags
	topics   topicFlags
	cass     cassFlags
	cmp      compareFlags
	report   reportFlags
	clock    clockFlags // the window only
	duration time.Duration
	prof     profileFlags
}

func defaultCompareConfig() compareConfig {
	return compareConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), cass: defaultCassFlags(),
		cmp: defaultCompareFlags(), report: defaultReportFlags(), clock: defaultClockFlags()}
}

func (c *compareConfig) bind(b *binder) {
	c.cmp.bindTolerance(b)
	c.cmp.bindJudging(b)
	c.clock.bindWindow(b)
	bindDuration(b, &c.duration, "stop judging after this long, 0 = at the final verdict, --timeout or a signal")
	c.report.bind(b)
	c.kafka.bind(b)
	c.topics.bind(b)
	c.cass.bind(b)
	c.prof.bind(b)
}

func (c *compareConfig) complete(func(string) bool) error {
	if len(c.cmp.downstreams) == 0 {
		c.cmp.downstreams = []string{"topic:" + c.topics.names.Results}
	}
	return firstError(c.kafka.complete(), c.cass.complete())
}

func (c *compareConfig) Validate() error {
	var noCass error
	if rates, _ := rateDownstreams(c); !c.cass.enabled() && len(rates) == 0 {
		noCass = errNoCassandra // rates:SUFFIX needs no truth: ours is the reference
	}
	return firstError(c.kafka.required(), noCass, c.topics.Validate(), c.cmp.Validate(), c.report.Validate(),
		c.clock.Validate(), validDuration(c.duration))
}

func (c *compareConfig) profiles() profileFlags { return c.prof }

// watchConfig is `streamtop watch`'s. The window, the rate threshold and
// the comparator's settings are the defaults: a watcher does not change
// what it watches.
type watchConfig struct {
	kafka  kafkaFlags
	topics topicFlags
	cass   cassFlags
	fps    int
	screen screenFlags
	group  string // the engines' consumer group
	clock  clockFlags
	rates  rateFlags
	cmp    compareFlags
	prof   profileFlags
}

func defaultWatchConfig() watchConfig {
	return watchConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), cass: defaultCassFlags(), fps: 20, screen: defaultScreenFlags(),
		group: defaultEngineFlags().group, clock: defaultClockFlags(), rates: defaultRateFlags(), cmp: defaultCompareFlags()}
}

func (c *watchConfig) bind(b *binder) {
	b.in(grpEngine).str(&c.group, "group", "g", "the engines' consumer group, for the lag per partition")
	bindFPS(b, &c.fps)
	c.screen.bind(b)
	c.kafka.bind(b)
	c.topics.bind(b)
	c.cass.bind(b)
	c.prof.bind(b)
}

func (c *watchConfig) complete(func(string) bool) error {
	return firstError(c.kafka.complete(), c.cass.complete())
}

func (c *watchConfig) Validate() error {
	return firstError(c.kafka.required(), c.topics.Validate(), validFPS(c.fps), c.screen.Validate())
}

func (c *watchConfig) profiles() profileFlags { return c.prof }

// resultsNeedCassandra: results written to Cassandra need a Cassandra.
func resultsNeedCassandra(e engineFlags, c cassFlags) error {
	if e.resultsTo != "kafka" && !c.enabled() {
		return fmt.Errorf("--results-to %s needs --cassandra", e.resultsTo)
	}
	return nil
}

// embeddedOnly: the embedded broker's flags mean nothing on a cluster.
func embeddedOnly(l localFlags, k kafkaFlags) error {
	if len(k.Brokers) > 0 && (l.listen != "" || l.advertise != "" || l.saslUser != "") {
		return errors.New("--listen, --advertise and --listen-sasl-user are for the embedded broker: not with --brokers")
	}
	return nil
}
