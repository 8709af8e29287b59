package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/enginerun"
	"github.com/streamtop/streamtop/feed/inject"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/rates"

	"github.com/streamtop/streamtop/compare"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// newRateSource returns the rate pipeline's tick source, or nil for
// "kafka" (the input topic is fed by someone else).
func newRateSource(c config, kc kafka.Config, eventBus *bus.Bus) (func(context.Context) error, error) {
	kind, arg, _ := strings.Cut(c.rateSource, ":")
	var src rates.TickSource
	switch kind {
	case "kafka":
		return nil, nil
	case "sim", "uniform":
		sc := rates.DefaultRateSimConfig()
		sc.Topic, sc.Seed, sc.Interval, sc.Uniform = c.topics.RateInput, c.seed, c.rateInterval, kind == "uniform"
		sim, err := rates.NewRateSim(sc)
		if err != nil {
			return nil, err
		}
		src = rates.SimTicks(sim)
	case "file":
		s, err := rates.FileTicks(arg)
		if err != nil {
			return nil, err
		}
		src = s
	case "http", "https":
		src = rates.HTTPTicks(c.rateSource, nil)
	default:
		return nil, fmt.Errorf("--source %q: want sim, uniform, file:PATH, http(s)://URL or kafka", c.rateSource)
	}
	return func(ctx context.Context) error {
		cl, err := kc.NewClient(kgo.ProducerLinger(0))
		if err != nil {
			return err
		}
		defer cl.Close()
		return rates.RunTicks(ctx, cl, c.topics.RateInput, c.rateInterval, src, eventBus)
	}, nil
}

// headless is what every role subcommand shares: a bus whose log goes to
// stderr, signals that stop the role cleanly, and --duration.
type headless struct {
	cfg    config
	bus    *bus.Bus
	stderr io.Writer
	failed atomic.Pointer[error]
}

func newHeadless(cfg config, stderr io.Writer) *headless {
	return &headless{cfg: cfg, bus: bus.NewBus(), stderr: stderr}
}

func (h *headless) logf(s string) {
	fmt.Fprintf(h.stderr, "streamtop %s: %s\n", h.cfg.cmd, compare.Printable(s))
}

// printLogs copies the bus's log to stderr until ctx ends.
func (h *headless) printLogs(ctx context.Context) {
	sub := h.bus.Subscribe(256, func(m any) bool { _, ok := m.(bus.LogEntry); return ok })
	go func() {
		defer h.bus.Unsubscribe(sub)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-sub.C():
				e := m.(bus.LogEntry)
				h.logf(e.Level.String() + " " + e.Role + ": " + e.Text)
			}
		}
	}()
}

// stopOn calls stop at the first SIGINT/SIGTERM or when --duration has
// passed, and cancel at a second signal.
func (h *headless) stopOn(ctx context.Context, stop func(), cancel context.CancelFunc) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		var deadline <-chan time.Time
		if h.cfg.duration > 0 && !(h.cfg.cmd == "inject" && h.cfg.virtual()) {
			deadline = time.After(h.cfg.duration)
		}
		var first time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-deadline:
				h.logf("duration over: stopping")
				stop()
			case <-sigs:
				if first.IsZero() {
					first = time.Now()
					h.logf("stopping (interrupt again to abort)")
					stop()
				} else if time.Since(first) > time.Second {
					h.logf("aborted")
					cancel()
					return
				}
			}
		}
	}()
}

// runInject is `streamtop inject`.
func runInject(cfg config, stdout, stderr io.Writer) int {
	h := newHeadless(cfg, stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.printLogs(ctx)
	if err := ensureTopics(ctx, cfg.kafka, cfg, nil, cfg.topics.Events); err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	controls, err := bus.NewControls(cfg.settings())
	if err != nil {
		h.logf(err.Error())
		return exitUsage
	}
	session, err := newSession()
	if err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	var truthW *cassandra.TruthWriter
	if len(cfg.cassandra) > 0 {
		store, err := openCassandra(ctx, cfg, h.logf)
		if err != nil {
			h.logf(err.Error())
			return exitFailure
		}
		defer store.Close()
		truthW = cassandra.NewTruthWriter(store, h.bus, cfg.runInfo())
	} else {
		h.logf("no --cassandra: the truth is not stored, so no comparator can judge this run")
	}
	cl, err := cfg.kafka.NewClient(kgo.ProducerLinger(cfg.linger))
	if err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	defer cl.Close()
	// Clock markers under the virtual clock: engines can then read their
	// partitions merged in timestamp order, as the one-process run does.
	inj, err := inject.New(cfg.injectorConfig(session, cfg.virtual()), inject.Deps{Client: cl, Bus: h.bus, Controls: controls})
	if err != nil {
		h.logf(err.Error())
		return exitUsage
	}
	latest := h.bus.Watch()
	tag := bus.RunTag(session, 0)
	h.logf("run " + tag + ": producing to " + cfg.topics.Events + " on " + strings.Join(cfg.kafka.Brokers, ","))

	h.stopOn(ctx, func() { inj.Stop(0) }, cancel)
	runErr := make(chan error, 1)
	go func() { runErr <- inj.Run(ctx) }()
	var truthErr chan error
	tctx, tcancel := context.WithCancel(context.Background())
	defer tcancel()
	if truthW != nil {
		truthErr = make(chan error, 1)
		go func() { truthErr <- truthW.Run(tctx) }()
	}
	select {
	case <-inj.Finished():
	case err := <-runErr:
		if err == nil || errors.Is(err, context.Canceled) {
			err = errors.New("aborted before the end of the input")
		}
		h.logf(err.Error())
		return exitFailure
	}
	cancel() // the injector waits for a reset otherwise
	<-runErr
	if truthW != nil {
		tcancel() // its last flush writes what is pending, the run row last
		if err := <-truthErr; err != nil {
			h.logf("truth: " + err.Error())
			return exitFailure
		}
	}
	st := latest.Peek().Injector
	if st == nil {
		h.logf("no injector status")
		return exitFailure
	}
	fmt.Fprintf(stdout, "run %s: %d events sent to %s (%d originals, %d duplicates, %d late, %d out of order); truth: %d keys by device time, %d by send time\n",
		tag, st.Sent, cfg.topics.Events, st.Originals, st.Duplicates, st.Late, st.OutOfOrder, st.TruthKeys, st.SendTruthKeys)
	if st.Failed > 0 {
		h.logf(fmt.Sprintf("%d records were not taken by the broker", st.Failed))
		return exitFailure
	}
	return exitOK
}

// runEngine is `streamtop engine`.
func runEngine(cfg config, stdout, stderr io.Writer) int {
	h := newHeadless(cfg, stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.printLogs(ctx)
	if err := ensureTopics(ctx, cfg.kafka, cfg, nil, cfg.topics.Events, cfg.topics.Results); err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	ec, err := cfg.engineConfig()
	if err != nil {
		h.logf(err.Error())
		return exitUsage
	}
	erc := enginerun.Config{Events: cfg.topics.Events, Results: cfg.topics.Results, Engine: ec,
		Clock: clockOf(cfg), Group: cfg.group, FromEnd: cfg.fromEnd, NoKafkaResults: cfg.resultsTo == "cassandra",
		Merge: cfg.virtual()}
	if len(cfg.cassandra) > 0 && cfg.resultsTo != "kafka" {
		store, err := openCassandra(ctx, cfg, h.logf)
		if err != nil {
			h.logf(err.Error())
			return exitFailure
		}
		defer store.Close()
		erc.Sink = &cassandra.Sink{Store: store, Engine: cfg.engineName, Boontadata: cfg.boontadata, Suffix: cfg.suffix}
	}
	r, err := enginerun.New(erc, cfg.kafka, h.bus, nil)
	if err != nil {
		h.logf(err.Error())
		return exitUsage
	}
	defer r.Close()
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := r.Start(sctx); err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.stopOn(ctx, stop, cancel)
	latest := h.bus.Watch()
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if st := latest.Peek().Engine; st != nil {
					h.logf(fmt.Sprintf("%d events, %d results, lag %d, %d late, %d duplicates dropped", st.Consumed,
						st.Produced, st.Lag, st.Stats.Late, st.Stats.Duplicates))
				}
			}
		}
	}()
	h.logf(fmt.Sprintf("group %s reading %s on %s", cfg.group, cfg.topics.Events, strings.Join(cfg.kafka.Brokers, ",")))
	if err := r.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
		h.logf(err.Error())
		return exitFailure
	}
	if st := latest.Peek().Engine; st != nil {
		fmt.Fprintf(stdout, "engine %s: %d events, %d accepted, %d duplicates and %d late dropped, %d results\n",
			cfg.engineName, st.Consumed, st.Stats.Accepted, st.Stats.Duplicates, st.Stats.Late, st.Produced)
	}
	return exitOK
}

// runRates is `streamtop rates`.
func runRates(cfg config, stdout, stderr io.Writer) int {
	h := newHeadless(cfg, stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.printLogs(ctx)
	if err := ensureTopics(ctx, cfg.kafka, cfg, nil, cfg.topics.RateInput, cfg.topics.RateOutput, cfg.topics.RateGap, cfg.topics.RateAlert); err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.stopOn(ctx, stop, cancel)
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
	var g errgroup.Group
	run := func(name string, f func(context.Context) error) { role(&g, runCtx, h.bus, &h.failed, name, f) }
	if err := startRates(runCtx, cfg, cfg.kafka, h.bus, cfg.rateSource, client, run, false); err != nil {
		h.logf(err.Error())
		return exitUsage
	}
	h.logf("rate pipeline: " + cfg.topics.RateInput + " → " + cfg.topics.RateOutput + ", " + cfg.topics.RateGap + ", " + cfg.topics.RateAlert)
	if err := g.Wait(); err != nil {
		return exitFailure
	}
	return exitOK
}
