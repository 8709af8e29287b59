package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/compare"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

// headless is what every role subcommand shares: a bus whose log goes to
// stderr, signals that stop the role cleanly, and --duration.
type headless struct {
	name     string // the subcommand
	duration time.Duration
	bus      *bus.Bus
	stderr   io.Writer
	failed   atomic.Pointer[error]
}

func newHeadless(name string, duration time.Duration, stderr io.Writer) *headless {
	return &headless{name: name, duration: duration, bus: bus.NewBus(), stderr: stderr}
}

func (h *headless) logf(s string) {
	fmt.Fprintf(h.stderr, "streamtop %s: %s\n", h.name, compare.Printable(s))
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

// stopOn calls stop at the first stop signal or when --duration has
// passed (unless timed elsewhere: untimed), and cancel at a second signal.
func (h *headless) stopOn(ctx context.Context, stop func(), cancel context.CancelFunc, untimed bool) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, stopSignals...)
	go func() {
		defer signal.Stop(sigs)
		var deadline <-chan time.Time
		if h.duration > 0 && !untimed {
			deadline = time.After(h.duration)
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

// clients opens Kafka clients and closes them all at once.
type clients struct {
	kc  kafka.Config
	all []*kgo.Client
}

func (c *clients) open(opts ...kgo.Opt) (*kgo.Client, error) {
	cl, err := c.kc.NewClient(opts...)
	if err == nil {
		c.all = append(c.all, cl)
	}
	return cl, err
}

func (c *clients) close() {
	for _, cl := range c.all {
		cl.Close()
	}
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
	a.startPeers(run)
	if !rates {
		return nil
	}
	rp := ratePipeline{flags: a.cfg.rates, seed: a.cfg.inj.seed, topics: a.topics, kafka: a.kafka, bus: a.bus, label: "simulated"}
	return rp.start(a.client, run, true)
}

// atomicErr holds the first failure of a set of roles.
type atomicErr struct{ p atomic.Pointer[error] }

func (a *atomicErr) get() error {
	if p := a.p.Load(); p != nil {
		return *p
	}
	return nil
}
