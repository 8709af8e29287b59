package cassandra

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cass"
	"github.com/streamtop/streamtop/feed/judge"
)

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
			if !deliver(ctx, out, tb) {
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
		if !pause(ctx, interval) {
			return nil
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
			if !deliver(ctx, out, db) {
				return nil
			}
		}
		if !pause(ctx, interval) {
			return nil
		}
	}
}

// deliver hands v to out, or reports false when ctx ends first: the readers
// here poll a table and stop with their context.
func deliver[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// pause waits d between two polls, or reports false when ctx ends first.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
