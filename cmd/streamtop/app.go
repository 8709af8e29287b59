package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// app is one streamtop process running every role.
type app struct {
	cfg      config
	bus      *feed.Bus
	latest   *feed.Latest
	controls *feed.Controls
	topics   feed.Topics
	broker   *feed.Embedded
	addr     string
	session  string
	clients  []*kgo.Client

	injector *feed.Injector
	engine   *feed.EngineRunner
	judge    *feed.Judge
	kafka    feed.KafkaConfig
	failed   atomic.Pointer[error] // the first role that failed
}

// failure returns the first role's failure, or nil.
func (a *app) failure() error {
	if p := a.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// newApp starts the broker, creates the topics and builds every role. It
// does not start them: see start.
func newApp(ctx context.Context, cfg config) (*app, error) {
	a := &app{cfg: cfg, bus: feed.NewBus(), topics: cfg.topics}
	if err := a.build(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// build does newApp's work; on error the caller releases what was started.
func (a *app) build(ctx context.Context) (err error) {
	cfg := a.cfg
	a.latest = a.bus.Watch()
	a.controls, err = feed.NewControls(feed.Settings{
		Dup: feed.NewToggle(cfg.dup), Late: feed.NewToggle(cfg.late), OOO: feed.NewToggle(cfg.ooo),
		Rate: cfg.rate, Mode: cfg.mode, Dedup: cfg.dedup, WatermarkLag: cfg.watermark,
	})
	if err != nil {
		return err
	}
	var sid [6]byte
	if _, err := rand.Read(sid[:]); err != nil {
		return fmt.Errorf("session id: %w", err)
	}
	a.session = hex.EncodeToString(sid[:])

	if a.broker, err = feed.StartEmbedded(cfg.listen); err != nil {
		return err
	}
	a.addr = a.broker.Addr()
	a.kafka = feed.KafkaConfig{Brokers: []string{a.addr}}

	admCl, err := a.client()
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := feed.EnsureTopics(sctx, kadm.NewClient(admCl), int32(cfg.partitions), 1, a.broker.TopicConfigs(), a.topics.All()...); err != nil {
		return fmt.Errorf("topics: %w", err)
	}

	ec := engine.DefaultConfig()
	ec.Mode, ec.Dedup, ec.Watermark = cfg.mode, cfg.dedup, cfg.watermark
	ec.Idle, ec.Lateness, ec.Window, ec.DedupTTL = cfg.idle, cfg.lateness, cfg.window, cfg.dedupTTL
	if err := ec.Validate(); err != nil {
		return err
	}
	merge := cfg.virtual() && cfg.bounded()

	engCl, err := a.client()
	if err != nil {
		return err
	}
	a.engine, err = feed.NewEngineRunner(feed.EngineRunnerConfig{
		Events: a.topics.Events, Results: a.topics.Results, Engine: ec,
		Clock: clockOf(cfg), Merge: merge, Session: a.session,
	}, engCl, a.bus, a.controls)
	if err != nil {
		return err
	}
	if err := a.engine.Start(sctx); err != nil {
		return err
	}

	judgeCl, err := a.client()
	if err != nil {
		return err
	}
	a.judge, err = feed.NewJudge(feed.JudgeConfig{
		Results: a.topics.Results, Downstream: "streamtop engine (topic " + a.topics.Results + ")",
		Options: compare.Options{M2Tolerance: cfg.m2Tol}, Session: a.session,
	}, judgeCl, a.bus, a.controls)
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
	gc := feed.DefaultGeneratorConfig()
	gc.Seed, gc.Devices, gc.Events, gc.Start = cfg.seed, cfg.devices, cfg.events, cfg.start.UnixMilli()
	gc.DupWindow, gc.OOOMax = cfg.dupWindow, cfg.oooMax
	ic := feed.InjectorConfig{
		Topic: a.topics.Events, Generator: gc, Replay: cfg.replay, Clock: clockOf(cfg),
		Speed: cfg.speed, Window: cfg.window, Session: a.session, EndMarker: true, ClockMarkers: merge,
	}
	if cfg.virtual() {
		ic.Duration = cfg.duration
	}
	if a.injector, err = feed.NewInjector(ic, injCl, a.bus, a.controls); err != nil {
		return err
	}
	return nil
}

func clockOf(cfg config) feed.Clock {
	if cfg.virtual() {
		return feed.VirtualClock
	}
	return feed.RealClock
}

// client returns a new Kafka client for the app's cluster.
func (a *app) client(opts ...kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append(a.kafka.Opts(), opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	a.clients = append(a.clients, cl)
	return cl, nil
}

// start runs every role in g. The screen's rate pipeline runs only with rates set.
func (a *app) start(ctx context.Context, g *errgroup.Group, rates bool) error {
	role := func(name string, f func(context.Context) error) {
		g.Go(func() error {
			err := f(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				err = fmt.Errorf("%s: %w", name, err)
				a.failed.CompareAndSwap(nil, &err)
				a.bus.Publish(feed.LogEntry{Time: time.Now(), Level: feed.Error, Role: name, Text: err.Error()})
				return err
			}
			return nil
		})
	}
	role("engine", a.engine.Run)
	role("compare", a.judge.Run)
	role("injector", a.injector.Run)
	if !rates {
		return nil
	}
	sim, err := feed.NewRateSim(feed.DefaultRateSimConfig())
	if err != nil {
		return err
	}
	simCl, err := a.client(kgo.ProducerLinger(0))
	if err != nil {
		return err
	}
	pipeCl, err := a.client(kgo.ConsumeTopics(a.topics.RateInput), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	watchCl, err := a.client(kgo.ConsumeTopics(a.topics.RateInput, a.topics.RateOutput, a.topics.RateGap, a.topics.RateAlert),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	rc := engine.RateConfig{Threshold: a.cfg.rateThresh, Strict: a.cfg.rateStrict}
	role("rates", func(ctx context.Context) error { return sim.Run(ctx, simCl, a.bus) })
	role("rates", func(ctx context.Context) error {
		return feed.RunRatePipeline(ctx, feed.RatePipelineConfig{Topics: a.topics, Rate: rc, OriginalGap: a.cfg.rateGapOrig}, pipeCl, a.bus)
	})
	role("rates", func(ctx context.Context) error {
		return feed.RunRateWatcher(ctx, feed.RateWatcherConfig{Topics: a.topics, Source: "simulated", Threshold: rc.Threshold}, watchCl, a.bus)
	})
	return nil
}

// close releases the clients and the broker.
func (a *app) close() {
	for _, cl := range a.clients {
		cl.Close()
	}
	if a.broker != nil {
		a.broker.Close()
	}
}
