package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/enginerun"
	"github.com/streamtop/streamtop/feed/inject"
	"github.com/streamtop/streamtop/feed/judge"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/rates"
	"github.com/streamtop/streamtop/feed/sim"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/cass"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// app is one streamtop process running every role: on the embedded broker
// by default, or against a cluster (--brokers, --cassandra).
type app struct {
	cfg      config
	bus      *bus.Bus
	latest   *bus.Latest
	controls *bus.Controls
	topics   kafka.Topics
	broker   *kafka.Embedded
	addr     string
	session  string
	clients  []*kgo.Client
	store    *cass.Store

	injector *inject.Injector
	engine   *enginerun.Runner
	judge    *judge.Judge
	truthW   *cassandra.TruthWriter
	kafka    kafka.Config
	failed   atomic.Pointer[error] // the first role that failed
	closers  []func()
}

// failure returns the first role's failure, or nil.
func (a *app) failure() error {
	if p := a.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// newApp starts the broker (or joins the cluster), creates the topics and
// builds every role. It does not start them: see start.
func newApp(ctx context.Context, cfg config, logf func(string)) (*app, error) {
	a := &app{cfg: cfg, bus: bus.NewBus(), topics: cfg.topics}
	if err := a.build(ctx, logf); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// newSession returns a random id: run tags of this process start with it.
func newSession() (string, error) {
	var sid [6]byte
	if _, err := rand.Read(sid[:]); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return hex.EncodeToString(sid[:]), nil
}

// settings are the live knobs the flags start with.
func (c config) settings() bus.Settings {
	return bus.Settings{
		Dup: bus.NewToggle(c.dup), Late: bus.NewToggle(c.late), OOO: bus.NewToggle(c.ooo),
		Rate: c.rate, Mode: c.mode, Dedup: c.dedup, WatermarkLag: c.watermark,
	}
}

func (c config) engineConfig() (engine.Config, error) {
	ec := engine.DefaultConfig()
	ec.Mode, ec.Dedup, ec.Watermark = c.mode, c.dedup, c.watermark
	ec.Idle, ec.Lateness, ec.Window, ec.DedupTTL = c.idle, c.lateness, c.window, c.dedupTTL
	ec.Name = c.engineName
	return ec, ec.Validate()
}

func (c config) injectorConfig(session string, merge bool) inject.Config {
	gc := sim.DefaultGeneratorConfig()
	gc.Seed, gc.Devices, gc.Events, gc.Start = c.seed, c.devices, c.events, c.start.UnixMilli()
	gc.DupWindow, gc.OOOMax = c.dupWindow, c.oooMax
	ic := inject.Config{
		Topic: c.topics.Events, Generator: gc, Replay: c.replay, Clock: clockOf(c),
		Speed: c.speed, Window: c.window, Session: session, EndMarker: true, ClockMarkers: merge,
		Pipe: c.eventFormat == "pipe", PublishSent: c.boontadata && len(c.cassandra) > 0,
	}
	if c.virtual() {
		ic.Duration = c.duration
	}
	return ic
}

func (c config) runInfo() cassandra.RunInfo {
	src := "generator"
	if c.replay != "" {
		src = "replay " + c.replay
	}
	return cassandra.RunInfo{Seed: c.seed, Devices: c.devices, Events: c.events, Window: c.window, Source: src,
		Started: time.Now(), Boontada: c.boontadata}
}

func (c config) cassConfig() cass.Config {
	cc := cass.DefaultConfig()
	cc.Hosts, cc.Keyspace, cc.Replication = c.cassandra, c.keyspace, c.cassRepl
	cc.Username, cc.Password, cc.Consistency, cc.Boontadata = c.cassUser, c.cassPass, c.consistency, c.boontadata
	cc.BoontadataZone = c.boonZone
	cc.TLS = cass.TLS{CA: c.cassTLS.CA, Cert: c.cassTLS.Cert, Key: c.cassTLS.Key, SkipVerify: c.cassTLS.SkipVerify}
	return cc
}

// openCassandra connects, retrying until ctx ends (Cassandra may come up
// after us), and makes sure the schema is there.
func openCassandra(ctx context.Context, c config, logf func(string)) (*cass.Store, error) {
	store, err := cass.Open(ctx, c.cassConfig(), func(err error, wait time.Duration) {
		logf(fmt.Sprintf("Cassandra unavailable at %s: %v; retrying in %v", strings.Join(c.cassandra, ","), err, wait))
	})
	if err != nil {
		return nil, err
	}
	if err := store.EnsureSchema(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// clusterTopicConfigs are the settings of the topics streamtop creates on a
// cluster: no time-based retention (virtual-clock records carry send times
// of the past, which time-based retention would delete at once), a size
// bound per partition instead.
func clusterTopicConfigs() map[string]*string {
	never, size := "-1", strconv.Itoa(ClusterRetentionBytes)
	return map[string]*string{"retention.ms": &never, "retention.bytes": &size}
}

// ClusterRetentionBytes bounds each partition of a topic streamtop creates
// on a cluster.
const ClusterRetentionBytes = 1 << 30

// ensureTopics creates the topics that are missing.
func ensureTopics(ctx context.Context, kc kafka.Config, c config, configs map[string]*string, topics ...string) error {
	if configs == nil {
		configs = clusterTopicConfigs()
	}
	cl, err := kc.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := kafka.EnsureTopics(sctx, kadm.NewClient(cl), int32(c.partitions), int16(c.replication), configs, topics...); err != nil {
		return fmt.Errorf("topics on %s: %w", strings.Join(kc.Brokers, ","), err)
	}
	return nil
}

// build does newApp's work; on error the caller releases what was started.
func (a *app) build(ctx context.Context, logf func(string)) (err error) {
	cfg := a.cfg
	a.latest = a.bus.Watch()
	if a.controls, err = bus.NewControls(cfg.settings()); err != nil {
		return err
	}
	if a.session, err = newSession(); err != nil {
		return err
	}
	cluster := len(cfg.kafka.Brokers) > 0
	var topicConfigs map[string]*string
	if cluster {
		a.kafka = cfg.kafka
		a.addr = strings.Join(cfg.kafka.Brokers, ",")
	} else {
		if a.broker, err = kafka.StartEmbedded(cfg.listen); err != nil {
			return err
		}
		a.addr = a.broker.Addr()
		a.kafka = kafka.Config{Brokers: []string{a.addr}}
		topicConfigs = a.broker.TopicConfigs()
	}
	if err := ensureTopics(ctx, a.kafka, cfg, topicConfigs, a.topics.All()...); err != nil {
		return err
	}
	if len(cfg.cassandra) > 0 {
		if a.store, err = openCassandra(ctx, cfg, logf); err != nil {
			return err
		}
		a.closers = append(a.closers, a.store.Close)
		a.truthW = cassandra.NewTruthWriter(a.store, a.bus, cfg.runInfo())
	}
	ec, err := cfg.engineConfig()
	if err != nil {
		return err
	}
	merge := cfg.virtual() && cfg.bounded()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	erc := enginerun.Config{
		Events: a.topics.Events, Results: a.topics.Results, Engine: ec,
		Clock: clockOf(cfg), Merge: merge, Session: a.session, FromEnd: cluster,
		NoKafkaResults: cfg.resultsTo == "cassandra",
	}
	if a.store != nil && cfg.resultsTo != "kafka" {
		erc.Sink = &cassandra.Sink{Store: a.store, Engine: cfg.engineName, Boontadata: cfg.boontadata, Suffix: cfg.suffix}
	}
	if a.engine, err = enginerun.New(erc, a.kafka, a.bus, a.controls); err != nil {
		return err
	}
	a.closers = append(a.closers, a.engine.Close)
	if err := a.engine.Start(sctx); err != nil {
		return err
	}

	a.judge, err = judge.New(judge.Config{
		Downstream: cfg.engineName + " engine (topic " + a.topics.Results + ")",
		Options:    compare.Options{M2Tolerance: cfg.m2Tol}, Session: a.session,
	}, a.bus, a.controls, judge.NewBusTruth(a.bus), judge.NewKafkaDown(a.kafka, a.topics.Events, a.topics.Results, cluster))
	if err != nil {
		return err
	}
	if err := a.judge.Start(sctx); err != nil {
		return err
	}

	injCl, err := a.client(kgo.ProducerLinger(cfg.linger))
	if err != nil {
		return err
	}
	ic := cfg.injectorConfig(a.session, merge)
	if a.broker != nil {
		// The embedded broker's retention is small: never run ahead of the
		// engine by more than it keeps.
		ic.Read, ic.MaxBacklog = a.engine.Read, kafka.EmbeddedMaxBacklog(cfg.partitions)
	}
	if a.injector, err = inject.New(ic, injCl, a.bus, a.controls); err != nil {
		return err
	}
	return nil
}

func clockOf(cfg config) bus.Clock {
	if cfg.virtual() {
		return bus.VirtualClock
	}
	return bus.RealClock
}

// client returns a new Kafka client for the app's cluster.
func (a *app) client(opts ...kgo.Opt) (*kgo.Client, error) {
	cl, err := a.kafka.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	a.clients = append(a.clients, cl)
	return cl, nil
}

// role runs f in g; a failure is recorded, logged on the bus and returned.
func role(g *errgroup.Group, ctx context.Context, eventBus *bus.Bus, failed *atomic.Pointer[error], name string, f func(context.Context) error) {
	g.Go(func() error {
		err := f(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%s: %w", name, err)
			failed.CompareAndSwap(nil, &err)
			eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Error, Role: name, Text: err.Error()})
			return err
		}
		return nil
	})
}

// start runs every role in g. The screen's rate pipeline runs only with rates set.
func (a *app) start(ctx context.Context, g *errgroup.Group, rates bool) error {
	run := func(name string, f func(context.Context) error) { role(g, ctx, a.bus, &a.failed, name, f) }
	run("engine", a.engine.Run)
	run("compare", a.judge.Run)
	run("injector", a.injector.Run)
	if a.truthW != nil {
		run("truth", a.truthW.Run)
	}
	if !rates {
		return nil
	}
	return startRates(ctx, a.cfg, a.kafka, a.bus, "simulated", a.client, run, true)
}

// startRates runs the rate source (sim or others), the pipeline and, for a
// screen, the watcher.
func startRates(ctx context.Context, c config, kc kafka.Config, eventBus *bus.Bus, label string,
	client func(...kgo.Opt) (*kgo.Client, error), run func(string, func(context.Context) error), watch bool) error {
	src, err := newRateSource(c, kc, eventBus)
	if err != nil {
		return err
	}
	if src != nil {
		run("rates", src)
	}
	pipeCl, err := client(kgo.ConsumeTopics(c.topics.RateInput), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	rc := engine.RateConfig{Threshold: c.rateThresh, Strict: c.rateStrict}
	run("rates", func(ctx context.Context) error {
		return rates.RunPipeline(ctx, rates.PipelineConfig{Topics: c.topics, Rate: rc, OriginalGap: c.rateGapOrig}, pipeCl, eventBus)
	})
	if !watch {
		return nil
	}
	watchCl, err := client(kgo.ConsumeTopics(c.topics.RateInput, c.topics.RateOutput, c.topics.RateGap, c.topics.RateAlert),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	run("rates", func(ctx context.Context) error {
		return rates.RunWatcher(ctx, rates.WatcherConfig{Topics: c.topics, Source: label, Threshold: rc.Threshold}, watchCl, eventBus)
	})
	return nil
}

// close releases the clients and the broker.
func (a *app) close() {
	for _, c := range a.closers {
		c()
	}
	for _, cl := range a.clients {
		cl.Close()
	}
	if a.broker != nil {
		a.broker.Close()
	}
}

// atomicErr holds the first failure of a set of roles.
type atomicErr struct{ p atomic.Pointer[error] }

func (a *atomicErr) get() error {
	if p := a.p.Load(); p != nil {
		return *p
	}
	return nil
}
