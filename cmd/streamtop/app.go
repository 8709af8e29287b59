package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"github.com/streamtop/streamtop/feed/sim"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/cass"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// app is one streamtop process running every role: on the embedded broker
// by default, or against a cluster (--brokers, --cassandra).
type app struct {
	cfg       appConfig
	bus       *bus.Bus
	latest    *bus.Latest
	controls  *bus.Controls
	topics    kafka.Topics
	broker    *kafka.Embedded
	addr      string
	session   string
	runKey    kafka.RunKey     // shared by the roles: given, or random per process
	watchHint string           // how to watch this run from another terminal
	record    *inject.Recorder // --record: the injector's events go there too; nil none
	clients   []*kgo.Client
	store     *cass.Store

	injector *inject.Injector
	engine   *enginerun.Runner
	judge    *judge.Judge
	peers    appPeers
	truthW   *cassandra.TruthWriter
	kafka    kafka.Config
	// topicConfigs are the settings of the topics the app creates (nil on
	// a cluster: clusterTopicConfigs).
	topicConfigs map[string]*string
	failed       atomic.Pointer[error] // the first role that failed
	closers      []func()
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
func newApp(ctx context.Context, cfg appConfig, rec *inject.Recorder, logf func(string)) (*app, error) {
	a := &app{cfg: cfg, bus: bus.NewBus(), topics: cfg.topics.names, record: rec}
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

// injectorConfigOf is the injector's configuration: events to topic, with
// clock markers when merge (engines then read partitions merged in
// timestamp order).
func injectorConfigOf(i injectorFlags, clk clockFlags, duration time.Duration, topic, session string, merge bool) inject.Config {
	gc := sim.DefaultGeneratorConfig()
	gc.Seed, gc.Devices, gc.Events, gc.Start = i.seed, i.devices, i.events, i.start.UnixMilli()
	gc.DupWindow, gc.OOOMax = i.dupWindow, i.oooMax
	ic := inject.Config{
		Topic: topic, Generator: gc, Replay: i.replay, Clock: clk.of(i.replay),
		Speed: i.speed, Window: clk.window, Session: session, EndMarker: true, ClockMarkers: merge,
		Pipe: i.eventFormat == "pipe",
	}
	if clk.virtual(i.replay) {
		ic.Duration = duration
	}
	return ic
}

// runInfoOf is the run's row in Cassandra.
func runInfoOf(i injectorFlags, window time.Duration, boontadata bool) cassandra.RunInfo {
	src := "generator"
	if i.replay != "" {
		src = "replay " + i.replay
	}
	return cassandra.RunInfo{Seed: i.seed, Devices: i.devices, Events: i.events, Window: window, Source: src,
		Started: time.Now(), Boontada: boontadata}
}

// openCassandra connects, retrying until ctx ends (Cassandra may come up
// after us), and makes sure the schema is there.
func openCassandra(ctx context.Context, c cassFlags, logf func(string)) (*cass.Store, error) {
	store, err := cass.Open(ctx, c.config(), func(err error, wait time.Duration) {
		logf(fmt.Sprintf("Cassandra unavailable at %s: %v; retrying in %v", strings.Join(c.hosts, ","), err, wait))
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
func ensureTopics(ctx context.Context, kc kafka.Config, t topicFlags, configs map[string]*string, topics ...string) error {
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
	if _, err := kafka.EnsureTopics(sctx, kadm.NewClient(cl), int32(t.partitions), int16(t.replication), configs, topics...); err != nil {
		return fmt.Errorf("topics on %s: %w", strings.Join(kc.Brokers, ","), err)
	}
	return nil
}

// build does newApp's work; on error the caller releases what was started.
func (a *app) build(ctx context.Context, logf func(string)) (err error) {
	cfg := a.cfg
	a.latest = a.bus.Watch()
	if a.controls, err = bus.NewControls(settingsOf(cfg.inj, cfg.eng)); err != nil {
		return err
	}
	if a.session, err = newSession(); err != nil {
		return err
	}
	if a.runKey, err = cfg.kafka.runKeyOr(); err != nil {
		return err
	}
	topicConfigs, err := a.connect(logf)
	if err != nil {
		return err
	}
	if err := a.shareRunKey(); err != nil {
		return err
	}
	a.topicConfigs = topicConfigs
	if err := ensureTopics(ctx, a.kafka, cfg.topics, topicConfigs, a.topics.All()...); err != nil {
		return err
	}
	if cfg.cass.enabled() {
		if a.store, err = openCassandra(ctx, cfg.cass, logf); err != nil {
			return err
		}
		a.closers = append(a.closers, a.store.Close)
		a.truthW = cassandra.NewTruthWriter(a.store, a.bus, runInfoOf(cfg.inj, cfg.clock.window, cfg.cass.boontadata))
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.buildEngine(sctx); err != nil {
		return err
	}
	if err := a.buildJudge(sctx); err != nil {
		return err
	}
	if err := a.buildPeers(sctx); err != nil {
		return err
	}
	return a.buildInjector()
}

// connect starts the embedded broker, or takes the cluster's settings; it
// returns the configs of the topics to create (nil: a cluster's).
func (a *app) connect(logf func(string)) (map[string]*string, error) {
	if len(a.cfg.kafka.Brokers) > 0 {
		a.kafka = a.cfg.kafka.Config
		a.addr = strings.Join(a.kafka.Brokers, ",")
		return nil, nil
	}
	ec, err := embeddedConfig(a.cfg.local)
	if err != nil {
		return nil, err
	}
	if a.broker, err = kafka.StartEmbeddedWith(ec); err != nil {
		return nil, err
	}
	a.addr = a.broker.Addr()
	a.kafka = embeddedClient(a.cfg.local, a.addr)
	if w := embeddedWarning(a.cfg.local, a.addr); w != "" {
		logf(w)
		a.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: "broker", Text: w})
	}
	return a.broker.TopicConfigs(), nil
}

func (a *app) buildEngine(ctx context.Context) error {
	cfg := a.cfg
	ec, err := cfg.eng.config(cfg.clock.window)
	if err != nil {
		return err
	}
	erc := enginerun.Config{
		Events: a.topics.Events, Results: a.topics.Results, Engine: ec,
		Clock: cfg.clock.of(cfg.inj.replay), Merge: cfg.virtual() && cfg.bounded(), Session: a.session, RunKey: a.runKey,
		FromEnd: a.broker == nil, NoKafkaResults: cfg.eng.resultsTo == "cassandra",
	}
	if a.store != nil && cfg.eng.resultsTo != "kafka" {
		erc.Sink = &cassandra.Sink{Store: a.store, Engine: cfg.eng.name, Boontadata: cfg.cass.boontadata, Suffix: cfg.cass.suffix}
	}
	if a.engine, err = enginerun.New(erc, enginerun.Deps{Kafka: a.kafka, Bus: a.bus, Controls: a.controls}); err != nil {
		return err
	}
	a.closers = append(a.closers, a.engine.Close)
	return a.engine.Start(ctx)
}

func (a *app) buildJudge(ctx context.Context) (err error) {
	cluster := a.broker == nil
	// Our engine: its mode and dedup are the controls'; the injector's sends
	// (bus) are the evidence for causes.
	a.judge, err = judge.New(judge.Config{
		Downstream: a.cfg.eng.name + " engine (topic " + a.topics.Results + ")",
		Options: compare.Options{M2Tolerance: a.cfg.cmp.m2Tol, Window: a.cfg.clock.window,
			DedupTTL: a.cfg.eng.dedupTTL}, Session: a.session,
		Settings:       &compare.Downstream{ModeKnown: true, Mode: a.cfg.eng.mode, Dedup: a.cfg.eng.dedup, Count: true},
		FollowControls: true,
	}, judge.Deps{Bus: a.bus, Controls: a.controls, Truth: judge.NewBusTruth(a.bus), Sent: judge.NewBusSent(a.bus),
		Down: judge.NewKafkaDown(judge.KafkaConfig{Events: a.topics.Events, Results: a.topics.Results, FromEnd: cluster, RunKey: a.runKey}, a.kafka)})
	if err != nil {
		return err
	}
	return a.judge.Start(ctx)
}

func (a *app) buildInjector() error {
	cfg := a.cfg
	injCl, err := a.client(kgo.ProducerLinger(cfg.inj.linger))
	if err != nil {
		return err
	}
	ic := injectorConfigOf(cfg.inj, cfg.clock, cfg.duration, a.topics.Events, a.session, cfg.virtual() && cfg.bounded())
	if a.broker != nil {
		// The embedded broker's retention is small: never run ahead of the
		// engine by more than it keeps.
		ic.Read, ic.MaxBacklog = a.read, kafka.EmbeddedMaxBacklog(cfg.topics.partitions)
	}
	ic.RunKey, ic.Record = a.runKey, a.record
	ic.PublishStart = len(cfg.peers) > 0 // where each run begins: the peers start there
	ic.PublishSent = true                // the judge's evidence for causes (and the original's raw_events)
	a.injector, err = inject.New(ic, inject.Deps{Client: injCl, Bus: a.bus, Controls: a.controls})
	return err
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
