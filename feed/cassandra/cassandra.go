package cassandra

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/judge"

	"github.com/streamtop/streamtop/engine"
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
	Boontada bool // also write the truth to the original's agg_events
}

// TruthWriter stores the injector's truth in Cassandra: it takes the truth
// batches from the bus (losslessly) and upserts the changed keys' totals,
// then the run's row (horizon, clock, done). Upserts of totals are
// idempotent, so a retried write never double counts; while Cassandra is
// away the newest totals are kept and written when it is back.
type TruthWriter struct {
	store *cass.Store
	bus   *bus.Bus
	sub   *bus.Sub
	info  RunInfo

	dev, send map[engine.Key]engine.Agg // not yet written
	run       cass.Run
	runDirty  bool
	failing   bool
	written   int64
}

// NewTruthWriter subscribes to the truth at once.
func NewTruthWriter(store *cass.Store, eventBus *bus.Bus, info RunInfo) *TruthWriter {
	return &TruthWriter{store: store, bus: eventBus, info: info,
		sub: eventBus.Subscribe(64, func(m any) bool { _, ok := m.(*bus.TruthBatch); return ok }),
		dev: map[engine.Key]engine.Agg{}, send: map[engine.Key]engine.Agg{}}
}

// Run writes until ctx ends; what is pending then is written once more
// (with a short deadline) before it returns.
func (w *TruthWriter) Run(ctx context.Context) error {
	defer w.bus.Unsubscribe(w.sub)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return w.flush(fctx)
		case m := <-w.sub.C():
			w.take(m.(*bus.TruthBatch))
		case <-t.C:
			w.flush(ctx)
		}
	}
}

func (w *TruthWriter) take(tb *bus.TruthBatch) {
	if tb.Tag != w.run.ID && w.run.ID != "" {
		// A new run: write what the old one still owes first.
		w.flush(context.Background())
		clear(w.dev)
		clear(w.send)
	}
	if w.run.ID != tb.Tag {
		w.run = cass.Run{ID: tb.Tag, Started: w.info.Started, Seed: w.info.Seed, Devices: w.info.Devices,
			Events: w.info.Events, WindowMs: w.info.Window.Milliseconds(), Source: w.info.Source,
			Horizon: engine.None, Clock: engine.None}
	}
	for _, v := range tb.ByDevice {
		w.dev[v.Key] = v.Agg
	}
	for _, v := range tb.BySend {
		w.send[v.Key] = v.Agg
	}
	w.run.Horizon = max(w.run.Horizon, tb.Horizon)
	w.run.Clock = max(w.run.Clock, tb.Clock)
	w.run.Done = w.run.Done || tb.Done
	w.runDirty = true
	if tb.Done {
		w.flush(context.Background())
	}
}

// flush writes the pending totals, then the run row: a reader that sees
// the horizon (or done) finds every truth row it covers.
func (w *TruthWriter) flush(ctx context.Context) error {
	if w.run.ID == "" || (len(w.dev) == 0 && len(w.send) == 0 && !w.runDirty) {
		return nil
	}
	err := w.write(ctx)
	switch {
	case err != nil && !w.failing:
		w.failing = true
		w.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Error, Role: "injector",
			Text: "truth to Cassandra: " + err.Error() + " (kept; retrying)"})
	case err == nil && w.failing:
		w.failing = false
		w.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Info, Role: "injector", Text: "truth to Cassandra: written again"})
	}
	return err
}

func (w *TruthWriter) write(ctx context.Context) error {
	dev, send := rowsOf(w.dev), rowsOf(w.send)
	if len(dev) > 0 {
		if err := w.store.UpsertAggregates(ctx, w.run.ID, SourceTruthDevice, dev); err != nil {
			return err
		}
	}
	if len(send) > 0 {
		if err := w.store.UpsertAggregates(ctx, w.run.ID, SourceTruthSend, send); err != nil {
			return err
		}
	}
	if w.info.Boontada && (len(dev) > 0 || len(send) > 0) {
		if err := w.store.UpsertBoontadataTruth(ctx, dev, send); err != nil {
			return err
		}
	}
	w.written += int64(len(dev) + len(send))
	clear(w.dev)
	clear(w.send)
	if err := w.store.UpsertRun(ctx, w.run); err != nil {
		return err
	}
	w.runDirty = false
	return nil
}

func rowsOf(m map[engine.Key]engine.Agg) []cass.Row {
	out := make([]cass.Row, 0, len(m))
	for k, a := range m {
		out = append(out, cass.Row{Key: k, Agg: a})
	}
	return out
}

// Sink writes an engine's results and progress to Cassandra (our
// aggregates table, source = the engine's name; and the original's
// agg_events downstream columns when Boontadata is set).
type Sink struct {
	Store      *cass.Store
	Engine     string
	Boontadata bool
	Suffix     string // boontadata column pair [downstream]
}

// WriteResults upserts the latest result of each key.
func (s *Sink) WriteResults(ctx context.Context, run string, rs []engine.Result) error {
	latest := map[engine.Key]cass.Row{}
	for _, r := range rs {
		latest[r.Key] = cass.Row{Key: r.Key, Agg: r.Agg, Incomplete: r.Incomplete}
	}
	rows := make([]cass.Row, 0, len(latest))
	for _, r := range latest {
		rows = append(rows, r)
	}
	if err := s.Store.UpsertAggregates(ctx, run, s.Engine, rows); err != nil {
		return err
	}
	if s.Boontadata {
		suffix := s.Suffix
		if suffix == "" {
			suffix = cass.DefaultSuffix
		}
		return s.Store.UpsertBoontadataDownstream(ctx, suffix, rows)
	}
	return nil
}

// WriteProgress upserts each partition's closed horizon.
func (s *Sink) WriteProgress(ctx context.Context, run string, closed map[int32]int64) error {
	for p, c := range closed {
		if err := s.Store.UpsertProgress(ctx, run, s.Engine, p, c); err != nil {
			return err
		}
	}
	return nil
}

// Truth reads a run's truth from Cassandra for a comparator,
// polling until the run is done. Run "" follows the latest run.
type Truth struct {
	Store    *cass.Store
	RunID    string
	Interval time.Duration // [1s]
	Log      func(bus.Level, string)
}

// Run polls until ctx ends; after the run is done it sends the final batch
// once and stops polling.
func (t *Truth) Run(ctx context.Context, out chan<- *bus.TruthBatch) error {
	interval := t.Interval
	if interval <= 0 {
		interval = time.Second
	}
	var lastErr string
	for {
		tb, err := t.read(ctx)
		switch {
		case err == nil:
			lastErr = ""
			select {
			case out <- tb:
			case <-ctx.Done():
				return nil
			}
			if tb.Done {
				<-ctx.Done()
				return nil
			}
		case ctx.Err() != nil:
			return nil
		case err.Error() != lastErr && t.Log != nil:
			lastErr = err.Error()
			t.Log(bus.Warn, "truth from Cassandra: "+lastErr+" (retrying)")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func (t *Truth) read(ctx context.Context) (*bus.TruthBatch, error) {
	var run cass.Run
	var err error
	if t.RunID == "" {
		run, err = t.Store.LatestRun(ctx)
	} else {
		run, err = t.Store.Run(ctx, t.RunID)
	}
	if errors.Is(err, cass.ErrNotFound) {
		return nil, fmt.Errorf("no run %q in Cassandra yet", t.RunID)
	}
	if err != nil {
		return nil, err
	}
	// The run row is read first: its horizon and done cover the rows read
	// after it (the writer stores rows before the run row).
	dev, err := t.Store.Aggregates(ctx, run.ID, SourceTruthDevice)
	if err != nil {
		return nil, err
	}
	send, err := t.Store.Aggregates(ctx, run.ID, SourceTruthSend)
	if err != nil {
		return nil, err
	}
	tb := &bus.TruthBatch{Tag: run.ID, Horizon: run.Horizon, Clock: run.Clock, Done: run.Done}
	for _, r := range dev {
		tb.ByDevice = append(tb.ByDevice, bus.TruthValue{Key: r.Key, Agg: r.Agg})
	}
	for _, r := range send {
		tb.BySend = append(tb.BySend, bus.TruthValue{Key: r.Key, Agg: r.Agg})
	}
	return tb, nil
}

// TableDown reads an engine's results and progress from our Cassandra
// table, polling.
type TableDown struct {
	Store      *cass.Store
	Engine     string
	RunID      string // the run being judged
	EventParts int32
	Interval   time.Duration // [1s]
}

// Start reports the events partitions and one progress stream.
func (d *TableDown) Start(context.Context) (int32, int32, error) {
	if d.EventParts < 1 {
		return 0, 0, errors.New("table downstream: the events topic's partition count is unknown")
	}
	return d.EventParts, 1, nil
}

// Run polls until ctx ends.
func (d *TableDown) Run(ctx context.Context, out chan<- judge.DownBatch) error {
	interval := d.Interval
	if interval <= 0 {
		interval = time.Second
	}
	for {
		if run := d.RunID; run != "" {
			var db judge.DownBatch
			rows, err := d.Store.Aggregates(ctx, run, d.Engine)
			if err != nil {
				db.Problem = "results from Cassandra: " + err.Error()
			}
			for _, r := range rows {
				db.Results = append(db.Results, judge.TaggedResult{Tag: run, Result: engine.Result{Key: r.Key, Agg: r.Agg, Engine: d.Engine, Incomplete: r.Incomplete}})
			}
			if prog, err := d.Store.Progress(ctx, run, d.Engine); err == nil && len(prog) > 0 {
				db.Progress = append(db.Progress, judge.ProgressMark{Tag: run, Stream: 0, Closed: prog})
			}
			select {
			case out <- db:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// BoontadataTruth reads the truth columns of the original's agg_events.
// It is final when the run in our runs table is done, or at once when
// there is none (an original injector, which finished before compare ran).
type BoontadataTruth struct {
	Store    *cass.Store
	RunID    string
	Interval time.Duration
	Log      func(bus.Level, string)
}

// Run polls until the truth is done or ctx ends.
func (t *BoontadataTruth) Run(ctx context.Context, out chan<- *bus.TruthBatch) error {
	interval := t.Interval
	if interval <= 0 {
		interval = time.Second
	}
	for {
		done := true
		var err error
		var run cass.Run
		if t.RunID == "" {
			run, err = t.Store.LatestRun(ctx)
		} else {
			run, err = t.Store.Run(ctx, t.RunID)
		}
		if err == nil {
			done = run.Done
		} else if !errors.Is(err, cass.ErrNotFound) {
			done = false
		}
		dev, send, _, err := t.Store.Boontadata(ctx, cass.DefaultSuffix)
		if err == nil {
			tb := &bus.TruthBatch{Horizon: engine.None, Clock: engine.None, Done: done}
			if done {
				tb.Horizon, tb.Clock = bus.Final, bus.Final
			}
			for _, r := range dev {
				tb.ByDevice = append(tb.ByDevice, bus.TruthValue{Key: r.Key, Agg: r.Agg})
			}
			for _, r := range send {
				tb.BySend = append(tb.BySend, bus.TruthValue{Key: r.Key, Agg: r.Agg})
			}
			select {
			case out <- tb:
			case <-ctx.Done():
				return nil
			}
			if done {
				<-ctx.Done()
				return nil
			}
		} else if t.Log != nil {
			t.Log(bus.Warn, "boontadata truth: "+err.Error()+" (retrying)")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// BoontadataDown reads a downstream column pair of the original's
// agg_events (no progress: judged final once the truth is and the column
// has been still for the judge's IdleFinal).
type BoontadataDown struct {
	Store      *cass.Store
	Suffix     string
	EventParts int32
	Interval   time.Duration
}

// Start reports no progress streams worth waiting for: one stream that never
// reports.
func (d *BoontadataDown) Start(context.Context) (int32, int32, error) { return 1, 1, nil }

// Run polls until ctx ends, sending only rows that changed.
func (d *BoontadataDown) Run(ctx context.Context, out chan<- judge.DownBatch) error {
	interval := d.Interval
	if interval <= 0 {
		interval = time.Second
	}
	seen := map[engine.Key]engine.Agg{}
	for {
		_, _, down, err := d.Store.Boontadata(ctx, d.Suffix)
		var db judge.DownBatch
		if err != nil {
			db.Problem = "boontadata downstream: " + err.Error()
		}
		for _, r := range down {
			if a, ok := seen[r.Key]; ok && a == r.Agg {
				continue
			}
			seen[r.Key] = r.Agg
			db.Results = append(db.Results, judge.TaggedResult{Result: engine.Result{Key: r.Key, Agg: r.Agg, Engine: d.Suffix}})
		}
		if len(db.Results) > 0 || db.Problem != "" {
			select {
			case out <- db:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}
