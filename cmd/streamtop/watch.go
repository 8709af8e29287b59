package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/judge"
	"github.com/streamtop/streamtop/feed/observe"
	"github.com/streamtop/streamtop/feed/rates"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/cass"
	"github.com/streamtop/streamtop/tui"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// watchController is the screen's controller when it only watches: the
// run belongs to other hosts, so keys change nothing. Its settings are what
// the topics show (observed fractions of duplicates, late and out-of-order
// events).
type watchController struct{ latest *bus.Latest }

func (w watchController) Apply(bus.Action) bus.Settings { return w.Load() }

func (w watchController) Load() bus.Settings {
	s := bus.Settings{Rate: 1, Dedup: true}
	snap := w.latest.Peek()
	if in := snap.Injector; in != nil && in.Originals > 0 {
		o := float64(in.Originals)
		s.Dup = bus.NewToggle(round3(float64(in.Duplicates) / o))
		s.Late = bus.NewToggle(round3(float64(in.Late) / o))
		s.OOO = bus.NewToggle(round3(float64(in.OutOfOrder) / o))
		if in.Devices > 0 && in.Rate > 0 {
			s.Rate = round3(in.Rate / float64(in.Devices))
		}
	}
	return s // the engine's settings are not on the topics: its pane says so
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// runWatch is `streamtop watch`.
func runWatch(ctx context.Context, cfg *watchConfig, s streams) error {
	if err := needTerminal(s.out, "`streamtop compare --follow` judges a running pipeline without a screen"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	eventBus := bus.NewBus()
	latest := eventBus.Watch()
	var g errgroup.Group
	var failed atomicErr
	run := func(name string, f func(context.Context) error) { role(&g, ctx, eventBus, &failed.p, name, f) }
	cls := &clients{kc: cfg.kafka.Config}
	defer cls.close()
	if err := startWatchers(cfg, eventBus, cls, run); err != nil {
		return err
	}
	pingCl, err := cls.open()
	if err != nil {
		return err
	}
	go publishWatchStatus(ctx, cfg, eventBus, &failed, brokerPing(kadm.NewClient(pingCl)))
	keys, _ := cfg.screen.keyMap() // checked by Validate
	m, err := tui.New(tui.Options{Keys: keys, Controller: watchController{latest}, Source: latest.Snapshot, FPS: cfg.fps,
		Title: "streamtop watch", ReadOnly: true, Theme: cfg.screen.theme, Location: cfg.screen.location(), Mouse: cfg.screen.mouse})
	if err != nil {
		return err
	}
	runErr := runProgram(ctx, m, cfg.fps, s)
	cancel()
	g.Wait()
	return runErr
}

// startWatchers runs what the panes observe: the events, the engines, the
// rate topics and, with Cassandra, a comparator.
func startWatchers(cfg *watchConfig, eventBus *bus.Bus, cls *clients, run func(string, func(context.Context) error)) error {
	kc, t := cfg.kafka.Config, cfg.topics.names
	oc := observe.Config{Kafka: kc, Events: t.Events, Results: t.Results, Group: cfg.group, Window: cfg.clock.window, RunKey: cfg.kafka.RunKey}
	logf := func(s string) {
		eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: "watch", Text: s})
	}
	run("injector", func(ctx context.Context) error {
		return observe.Events(ctx, oc, eventBus)
	})
	run("engine", func(ctx context.Context) error {
		return observe.Engines(ctx, oc, eventBus)
	})
	watchCl, err := cls.open(kgo.ConsumeTopics(t.RateInput, t.RateOutput, t.RateGap, t.RateAlert),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		return err
	}
	run("rates", func(ctx context.Context) error {
		return rates.RunWatcher(ctx, rates.WatcherConfig{Topics: t, Source: "topic " + t.RateInput,
			Threshold: cfg.rates.threshold}, watchCl, eventBus)
	})
	if cfg.cass.enabled() {
		// The comparator: once Cassandra answers and has a run.
		run("compare", func(ctx context.Context) error { return watchCompare(ctx, cfg, eventBus, logf) })
	} else {
		eventBus.Publish(&bus.CompareStatus{Err: "no truth to judge against: watch judges with --cassandra, " +
			"where the injector writes its truth (a one-process run judges itself on its own screen)"})
	}
	return nil
}

// brokerPing asks the cluster for its brokers, within 2 s.
func brokerPing(adm *kadm.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := adm.BrokerMetadata(ctx)
		return err
	}
}

// publishWatchStatus publishes the watcher's run status twice a second,
// with whether the broker answers (asked every 2 s): a broker that does
// not shows as "disconnected since …", never as a run with zeros.
func publishWatchStatus(ctx context.Context, cfg *watchConfig, eventBus *bus.Bus, failed *atomicErr, ping func(context.Context) error) {
	started := time.Now()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	var down time.Time
	for tick := 0; ; tick++ {
		if tick%4 == 0 {
			switch err := ping(ctx); {
			case err == nil:
				down = time.Time{}
			case down.IsZero() && ctx.Err() == nil:
				down = time.Now()
			}
		}
		st := &bus.RunStatus{State: bus.Running, Broker: strings.Join(cfg.kafka.Brokers, ","),
			Started: started, Clock: "watching (read-only)", Disconnected: down}
		if err := failed.get(); err != nil {
			st.Err = err.Error()
		}
		eventBus.Publish(st)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchCompare judges the latest run in Cassandra against the results topic.
func watchCompare(ctx context.Context, cfg *watchConfig, eventBus *bus.Bus, logf func(string)) error {
	store, err := openCassandra(ctx, cfg.cass, logf)
	if err != nil {
		return err
	}
	defer store.Close()
	var runID string
	for runID == "" {
		r, err := store.LatestRun(ctx)
		if err == nil {
			runID = r.ID
			break
		}
		if !errors.Is(err, cass.ErrNotFound) {
			logf("runs: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
	t := cfg.topics.names
	j, err := judge.New(judge.Config{Downstream: "topic " + t.Results,
		Options: compare.Options{M2Tolerance: cfg.cmp.m2Tol, Window: cfg.clock.window}, IdleFinal: cfg.cmp.idleFinal, Tag: runID},
		judge.Deps{Bus: eventBus, Truth: &cassandra.Truth{Store: store, RunID: runID},
			Down: judge.NewKafkaDown(judge.KafkaConfig{Events: t.Events, Results: t.Results, RunKey: cfg.kafka.RunKey,
				ReadEvents: true}, cfg.kafka.Config)})
	if err != nil {
		return err
	}
	if err := j.Start(ctx); err != nil {
		return err
	}
	return j.Run(ctx)
}
