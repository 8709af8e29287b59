package cassandra

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cass"
)

// Sources of the truth tables (SPEC §6: our keyspace keys truths and results
// by (engine, device, category, window end)).
const (
	SourceTruthDevice = "truth:device"
	SourceTruthSend   = "truth:send"
)

// RunInfo describes a run for the runs table.
type RunInfo struct {
	Seed     int64
	Devices  int
	Events   int
	Window   time.Duration
	Source   string // "generator" or "replay FILE"
	Started  time.Time
	Boontada bool // also write the truth to the original's agg_events, and the events sent to its raw_events
}

// DefaultFinalTimeout bounds the TruthWriter's last flush after its
// context ends.
const DefaultFinalTimeout = 10 * time.Second

// TruthWriter stores the injector's truth in Cassandra: it takes the truth
// batches from the bus (losslessly) and upserts the changed keys' totals,
// then the run's row (horizon, clock, done). With RunInfo.Boontada it also
// writes the truth to the original's agg_events and every event sent
// (*bus.SentBatch) to its raw_events, as the original injector did. Upserts
// are idempotent, so a retried write never double counts; while Cassandra
// is away everything is kept, per run, and written when it is back.
type TruthWriter struct {
	store *cass.Store
	bus   *bus.Bus
	sub   *bus.Sub
	info  RunInfo
	// FinalTimeout bounds the last flush, which starts when Run's context
	// ends [DefaultFinalTimeout].
	FinalTimeout time.Duration

	runs    []*pendingRun // oldest first; the last is the current run
	failing string        // the last write error; "" while writes succeed
}

// pendingRun is what one run still owes Cassandra.
type pendingRun struct {
	run       cass.Run
	dev, send map[engine.Key]engine.Agg
	raw       []cass.RawEvent
	dirty     bool // the run row changed since it was written
}

// NewTruthWriter subscribes to the truth (and, with RunInfo.Boontada, to
// the events sent) at once.
func NewTruthWriter(store *cass.Store, eventBus *bus.Bus, info RunInfo) *TruthWriter {
	accept := func(m any) bool {
		switch m.(type) {
		case *bus.TruthBatch:
			return true
		case *bus.SentBatch:
			return info.Boontada
		}
		return false
	}
	return &TruthWriter{store: store, bus: eventBus, info: info, sub: eventBus.Subscribe(64, accept)}
}

// Run writes until ctx ends. Then it takes everything published before
// (the injector's final Done batch included), and writes what is pending
// with a fresh context bounded by FinalTimeout, retrying until then. It
// returns an error when something is left unwritten.
func (w *TruthWriter) Run(ctx context.Context) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.bus.Unsubscribe(w.sub)
			w.drain()
			return w.final()
		case m := <-w.sub.C():
			w.take(ctx, m)
		case <-t.C:
			w.flush(ctx)
		}
	}
}

// drain takes what is still buffered in the subscription: after
// Unsubscribe nothing more arrives, so this ends.
func (w *TruthWriter) drain() {
	for {
		select {
		case m := <-w.sub.C():
			w.take(nil, m)
		default:
			return
		}
	}
}

// final writes what is pending, retrying until FinalTimeout.
func (w *TruthWriter) final() error {
	timeout := w.FinalTimeout
	if timeout <= 0 {
		timeout = DefaultFinalTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		err := w.flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("truth to Cassandra: %s not written within %v: %w", w.owed(), timeout, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// owed describes what is still pending, for the final error.
func (w *TruthWriter) owed() string {
	keys, raw := 0, 0
	for _, p := range w.runs {
		keys += len(p.dev) + len(p.send)
		raw += len(p.raw)
	}
	return fmt.Sprintf("%d truth keys, %d raw events and the rows of %d runs", keys, raw, len(w.runs))
}

// pending returns the pending run of tag, starting one when tag is new.
// An untagged injector's truth is kept under cass.ExternalRun.
func (w *TruthWriter) pending(tag string) *pendingRun {
	if tag == "" {
		tag = cass.ExternalRun
	}
	if n := len(w.runs); n > 0 && w.runs[n-1].run.ID == tag {
		return w.runs[n-1]
	}
	p := &pendingRun{dev: map[engine.Key]engine.Agg{}, send: map[engine.Key]engine.Agg{},
		run: cass.Run{ID: tag, Started: w.info.Started, Seed: w.info.Seed, Devices: w.info.Devices,
			Events: w.info.Events, WindowMs: w.info.Window.Milliseconds(), Source: w.info.Source,
			Horizon: engine.None, Clock: engine.None}}
	w.runs = append(w.runs, p)
	return p
}

// take records one message. A Done batch is written at once (when ctx is
// not nil) so a comparator sees the run end without waiting for a tick.
func (w *TruthWriter) take(ctx context.Context, m any) {
	switch m := m.(type) {
	case *bus.SentBatch:
		p := w.pending(m.Tag)
		for _, s := range m.Events {
			e := s.Event
			p.raw = append(p.raw, cass.RawEvent{ID: e.ID, Device: e.Device, DeviceTime: e.Time, SendTime: s.Send,
				Category: e.Category, M1: e.M1, M2: e.M2})
		}
	case *bus.TruthBatch:
		p := w.pending(m.Tag)
		for _, v := range m.ByDevice {
			p.dev[v.Key] = v.Agg
		}
		for _, v := range m.BySend {
			p.send[v.Key] = v.Agg
		}
		p.run.Horizon = max(p.run.Horizon, m.Horizon)
		p.run.Clock = max(p.run.Clock, m.Clock)
		p.run.Done = p.run.Done || m.Done
		p.dirty = true
		if m.Done && ctx != nil {
			w.flush(ctx)
		}
	}
}

// flush writes every pending run, oldest first, and forgets the ones that
// are written and no longer current. A new error is logged once; the first
// success after errors says so.
func (w *TruthWriter) flush(ctx context.Context) error {
	var err error
	for i := 0; i < len(w.runs) && err == nil; i++ {
		err = w.write(ctx, w.runs[i])
	}
	if err == nil && len(w.runs) > 1 {
		w.runs = append(w.runs[:0], w.runs[len(w.runs)-1])
	}
	switch {
	case err != nil && err.Error() != w.failing && !errors.Is(err, context.Canceled):
		w.failing = err.Error()
		w.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Error, Role: "injector",
			Text: "truth to Cassandra: " + w.failing + " (kept; retrying)"})
	case err == nil && w.failing != "":
		w.failing = ""
		w.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Info, Role: "injector", Text: "truth to Cassandra: written again"})
	}
	return err
}

// write stores one run's pending truth, then its raw events, then its row
// last: a reader that sees the horizon (or done) finds every truth row it
// covers.
func (w *TruthWriter) write(ctx context.Context, p *pendingRun) error {
	if len(p.dev) == 0 && len(p.send) == 0 && len(p.raw) == 0 && !p.dirty {
		return nil
	}
	dev, send := rowsOf(p.dev), rowsOf(p.send)
	if len(dev) > 0 {
		if err := w.store.UpsertAggregates(ctx, p.run.ID, SourceTruthDevice, dev); err != nil {
			return err
		}
	}
	if len(send) > 0 {
		if err := w.store.UpsertAggregates(ctx, p.run.ID, SourceTruthSend, send); err != nil {
			return err
		}
	}
	if w.info.Boontada && (len(dev) > 0 || len(send) > 0) {
		if err := w.store.UpsertBoontadataTruth(ctx, dev, send); err != nil {
			return err
		}
	}
	clear(p.dev)
	clear(p.send)
	if len(p.raw) > 0 {
		if err := w.store.UpsertRawEvents(ctx, p.raw); err != nil {
			return err
		}
		p.raw = nil
	}
	if err := w.store.UpsertRun(ctx, p.run); err != nil {
		return err
	}
	p.dirty = false
	return nil
}

func rowsOf(m map[engine.Key]engine.Agg) []cass.Row {
	out := make([]cass.Row, 0, len(m))
	for k, a := range m {
		out = append(out, cass.Row{Key: k, Agg: a})
	}
	return out
}
