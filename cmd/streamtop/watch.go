package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/judge"
	"github.com/streamtop/streamtop/feed/observe"
	"github.com/streamtop/streamtop/feed/rates"

	tea "charm.land/bubbletea/v2"
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
	if e := snap.Engine; e != nil {
		s.Mode, s.Dedup, s.WatermarkLag = e.Config.Mode, e.Config.Dedup, e.Config.Watermark
	}
	return s
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// runWatch is `streamtop watch`.
func runWatch(cfg config, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eventBus := bus.NewBus()
	latest := eventBus.Watch()
	logf := func(s string) {
		eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: "watch", Text: s})
	}
	var g errgroup.Group
	var failed atomicErr
	run := func(name string, f func(context.Context) error) { role(&g, ctx, eventBus, &failed.p, name, f) }
	var clients []*kgo.Client
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	client := func(opts ...kgo.Opt) (*kgo.Client, error) {
		cl, err := cfg.kafka.NewClient(opts...)
		if err == nil {
			clients = append(clients, cl)
		}
		return cl, err
	}
	run("injector", func(ctx context.Context) error {
		return observe.Events(ctx, cfg.kafka, cfg.topics.Events, cfg.window, eventBus)
	})
	run("engine", func(ctx context.Context) error {
		return observe.Engines(ctx, cfg.kafka, cfg.watchGroup, cfg.topics.Events, cfg.topics.Results, eventBus)
	})
	watchCl, err := client(kgo.ConsumeTopics(cfg.topics.RateInput, cfg.topics.RateOutput, cfg.topics.RateGap, cfg.topics.RateAlert),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		fmt.Fprintf(stderr, "streamtop watch: %v\n", err)
		return exitFailure
	}
	run("rates", func(ctx context.Context) error {
		return rates.RunWatcher(ctx, rates.WatcherConfig{Topics: cfg.topics, Source: "topic " + cfg.topics.RateInput,
			Threshold: cfg.rateThresh}, watchCl, eventBus)
	})
	if len(cfg.cassandra) > 0 {
		// The comparator: once Cassandra answers and has a run.
		run("compare", func(ctx context.Context) error { return watchCompare(ctx, cfg, eventBus, logf) })
	} else {
		logf("no --cassandra: no truth to judge against (the comparator pane stays empty)")
	}
	started := time.Now()
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			st := &bus.RunStatus{State: bus.Running, Broker: strings.Join(cfg.kafka.Brokers, ","),
				Started: started, Clock: "watching (read-only)"}
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
	}()
	m, err := tui.New(tui.Options{Controller: watchController{latest}, Source: latest.Snapshot, FPS: cfg.fps,
		Title: "streamtop watch"})
	if err != nil {
		fmt.Fprintf(stderr, "streamtop watch: %v\n", err)
		return exitFailure
	}
	_, runErr := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(cfg.fps)).Run()
	cancel()
	g.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, tea.ErrProgramKilled) {
		fmt.Fprintf(stderr, "streamtop watch: screen: %v\n", runErr)
		return exitFailure
	}
	return exitOK
}

// watchCompare judges the latest run in Cassandra against the results topic.
func watchCompare(ctx context.Context, cfg config, eventBus *bus.Bus, logf func(string)) error {
	store, err := openCassandra(ctx, cfg, logf)
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
	j, err := judge.New(judge.Config{Downstream: "topic " + cfg.topics.Results,
		Options: compare.Options{M2Tolerance: cfg.m2Tol}, IdleFinal: cfg.idleFinal, Tag: runID},
		judge.Deps{Bus: eventBus, Truth: &cassandra.Truth{Store: store, RunID: runID}, Down: judge.NewKafkaDown(judge.KafkaConfig{Events: cfg.topics.Events, Results: cfg.topics.Results}, cfg.kafka)})
	if err != nil {
		return err
	}
	if err := j.Start(ctx); err != nil {
		return err
	}
	return j.Run(ctx)
}
