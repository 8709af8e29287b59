package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/enginerun"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/rates"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// ratePipeline is the BTC→CNY pipeline: its tick source, the pipeline and,
// for a screen, the watcher.
type ratePipeline struct {
	flags  rateFlags
	seed   int64
	topics kafka.Topics
	kafka  kafka.Config
	bus    *bus.Bus
	label  string // the source, as the screen names it
}

// source returns the tick source, or nil for "kafka" (the input topic is
// fed by someone else).
func (r ratePipeline) source() (func(context.Context) error, error) {
	kind, arg, err := parseRateSource(r.flags.source)
	if err != nil {
		return nil, err
	}
	var src rates.TickSource
	switch kind {
	case "kafka":
		return nil, nil
	case "sim", "uniform":
		sc := rates.DefaultRateSimConfig()
		sc.Topic, sc.Seed, sc.Interval, sc.Uniform = r.topics.RateInput, r.seed, r.flags.interval, kind == "uniform"
		sim, err := rates.NewRateSim(sc)
		if err != nil {
			return nil, err
		}
		src = rates.SimTicks(sim)
	case "file":
		if src, err = rates.FileTicks(arg); err != nil {
			return nil, err
		}
	default: // http, https
		src = rates.HTTPTicks(r.flags.source, nil)
	}
	return func(ctx context.Context) error {
		cl, err := r.kafka.NewClient(kgo.ProducerLinger(0))
		if err != nil {
			return err
		}
		defer cl.Close()
		return rates.RunTicks(ctx, cl, r.topics.RateInput, r.flags.interval, src, r.bus)
	}, nil
}

// start runs the source, the pipeline and, with watch, the watcher. When
// they are stopped, the pipeline handles every tick its source wrote first:
// a bounded run keeps its last tick.
func (r ratePipeline) start(client func(...kgo.Opt) (*kgo.Client, error), run func(string, func(context.Context) error), watch bool) error {
	src, err := r.source()
	if err != nil {
		return err
	}
	srcDone := make(chan struct{})
	if src != nil {
		run("rates", func(ctx context.Context) error { defer close(srcDone); return src(ctx) })
	} else {
		close(srcDone) // the input topic is fed by someone else
	}
	pipeCl, err := client(kgo.ConsumeTopics(r.topics.RateInput), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	rc := engine.RateConfig{Threshold: r.flags.threshold, Strict: r.flags.strict}
	run("rates", func(ctx context.Context) error {
		return rates.RunPipeline(ctx, rates.PipelineConfig{Topics: r.topics, Rate: rc, OriginalGap: r.flags.gapOrig, SourceDone: srcDone}, pipeCl, r.bus)
	})
	if !watch {
		return nil
	}
	watchCl, err := client(kgo.ConsumeTopics(r.topics.RateInput, r.topics.RateOutput, r.topics.RateGap, r.topics.RateAlert),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	run("rates", func(ctx context.Context) error {
		return rates.RunWatcher(ctx, rates.WatcherConfig{Topics: r.topics, Source: r.label, Threshold: rc.Threshold}, watchCl, r.bus)
	})
	return nil
}

// runEngine is `streamtop engine`.
func runEngine(ctx context.Context, cfg *engineConfig, s streams) error {
	h := newHeadless("engine", cfg.duration, s.err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.printLogs(ctx)
	names := cfg.topics.names
	if err := ensureTopics(ctx, cfg.kafka.Config, cfg.topics, nil, names.Events, names.Results); err != nil {
		return err
	}
	ec, err := cfg.eng.config(cfg.clock.window)
	if err != nil {
		return usageErr(err)
	}
	erc := enginerun.Config{Events: names.Events, Results: names.Results, Engine: ec,
		Clock: cfg.clock.of(""), Group: cfg.eng.group, FromEnd: cfg.eng.fromEnd, NoKafkaResults: cfg.eng.resultsTo == "cassandra",
		Merge: cfg.clock.virtual(""), RunKey: cfg.kafka.RunKey, TuneGC: true}
	if cfg.cass.enabled() && cfg.eng.resultsTo != "kafka" {
		store, err := openCassandra(ctx, cfg.cass, h.logf)
		if err != nil {
			return err
		}
		defer store.Close()
		erc.Sink = &cassandra.Sink{Store: store, Engine: cfg.eng.name, Boontadata: cfg.cass.boontadata, Suffix: cfg.cass.suffix}
	}
	r, err := enginerun.New(erc, enginerun.Deps{Kafka: cfg.kafka.Config, Bus: h.bus})
	if err != nil {
		return usageErr(err)
	}
	defer r.Close()
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := r.Start(sctx); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.stopOn(ctx, stop, cancel, false)
	latest := h.bus.Watch()
	go logEngineProgress(runCtx, latest, h.logf)
	h.logf(fmt.Sprintf("group %s reading %s on %s", cfg.eng.group, names.Events, strings.Join(cfg.kafka.Brokers, ",")))
	if err := r.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if st := latest.Peek().Engine; st != nil {
		fmt.Fprintf(s.out, "engine %s: %d events, %d accepted, %d duplicates and %d late dropped, %d results\n",
			cfg.eng.name, st.Consumed, st.Stats.Accepted, st.Stats.Duplicates, st.Stats.Late, st.Produced)
	}
	return nil
}

// logEngineProgress logs the engine's counters every 10 s until ctx ends.
func logEngineProgress(ctx context.Context, latest *bus.Latest, logf func(string)) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if st := latest.Peek().Engine; st != nil {
				logf(fmt.Sprintf("%d events, %d results, lag %d, %d late, %d duplicates dropped", st.Consumed,
					st.Produced, st.Lag, st.Stats.Late, st.Stats.Duplicates))
			}
		}
	}
}

// runRates is `streamtop rates`.
func runRates(ctx context.Context, cfg *ratesConfig, s streams) error {
	h := newHeadless("rates", cfg.duration, s.err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.printLogs(ctx)
	t := cfg.topics.names
	if err := ensureTopics(ctx, cfg.kafka.Config, cfg.topics, nil, t.RateInput, t.RateOutput, t.RateGap, t.RateAlert); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.stopOn(ctx, stop, cancel, false)
	cls := &clients{kc: cfg.kafka.Config}
	defer cls.close()
	var g errgroup.Group
	run := func(name string, f func(context.Context) error) { role(&g, runCtx, h.bus, &h.failed, name, f) }
	rp := ratePipeline{flags: cfg.rates, seed: cfg.seed, topics: t, kafka: cfg.kafka.Config, bus: h.bus, label: cfg.rates.source}
	if err := rp.start(cls.open, run, false); err != nil {
		return usageErr(err)
	}
	h.logf("rate pipeline: " + t.RateInput + " → " + t.RateOutput + ", " + t.RateGap + ", " + t.RateAlert)
	// A role's failure is in the log already.
	return reported(g.Wait())
}
