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

// ResolveRun finds the run a comparator judges. want, when set, is taken
// as it is. Otherwise the latest run in our runs table is judged, waiting
// for one until deadline when needRun (a topic or table downstream, whose
// results carry runs). Without needRun (only the original's agg_events,
// which has no runs) no run is needed: with none in our keyspace, ""
// is returned at once (the original injector's truth, judged as it is).
func ResolveRun(ctx context.Context, store *cass.Store, want string, needRun bool, deadline time.Time) (string, error) {
	if want != "" {
		return want, nil
	}
	for {
		r, err := store.LatestRun(ctx)
		switch {
		case err == nil:
			return r.ID, nil
		case !errors.Is(err, cass.ErrNotFound):
			return "", err
		case !needRun:
			return "", nil
		case !time.Now().Before(deadline):
			return "", fmt.Errorf("no run in Cassandra keyspace %s (is an injector writing there? external data: --run %s)", store.Keyspace(), cass.ExternalRun)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(min(time.Second, time.Until(deadline))):
		}
	}
}

// TruthFor is the truth of run in our keyspace, or, for cass.ExternalRun
// (results of data no streamtop injector tagged), the original injector's
// truth in agg_events, tagged with that run.
func TruthFor(store *cass.Store, run string, log func(bus.Level, string)) judge.TruthSource {
	if run == cass.ExternalRun {
		return &BoontadataTruth{Store: store, RunID: run, Tag: run, Log: log}
	}
	return &Truth{Store: store, RunID: run, Log: log}
}

// BoontadataTruth reads the truth columns of the original's agg_events.
// It is final when the run in our runs table is done, or at once when
// there is none (an original injector, which finished before compare ran).
type BoontadataTruth struct {
	Store    *cass.Store
	RunID    string // our run writing agg_events too; "" the latest, if any
	Tag      string // the run tag its batches carry ("": the original's table has no runs)
	Interval time.Duration
	Log      func(bus.Level, string)
}

// Run polls until the truth is done or ctx ends.
func (t *BoontadataTruth) Run(ctx context.Context, out chan<- *bus.TruthBatch) error {
	interval := t.Interval
	if interval <= 0 {
		interval = time.Second
	}
	lastProblem := ""
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
		rows, err := t.Store.Boontadata(ctx, cass.DefaultSuffix)
		dev, send := rows.ByDevice, rows.BySend
		if rows.Skipped > 0 && t.Log != nil && rows.Problem != lastProblem {
			lastProblem = rows.Problem
			t.Log(bus.Warn, fmt.Sprintf("boontadata truth: %d rows skipped; %s", rows.Skipped, rows.Problem))
		}
		if err == nil {
			tb := &bus.TruthBatch{Tag: t.Tag, Horizon: engine.None, Clock: engine.None, Done: done}
			if done {
				tb.Horizon, tb.Clock = bus.Final, bus.Final
			}
			for _, r := range dev {
				tb.ByDevice = append(tb.ByDevice, bus.TruthValue{Key: r.Key, Agg: r.Agg})
			}
			for _, r := range send {
				tb.BySend = append(tb.BySend, bus.TruthValue{Key: r.Key, Agg: r.Agg})
			}
			if !deliver(ctx, out, tb) {
				return nil
			}
			if done {
				<-ctx.Done()
				return nil
			}
		} else if t.Log != nil {
			t.Log(bus.Warn, "boontadata truth: "+err.Error()+" (retrying)")
		}
		if !pause(ctx, interval) {
			return nil
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
	skipped := 0
	for {
		rows, err := d.Store.Boontadata(ctx, d.Suffix)
		down := rows.Down
		var db judge.DownBatch
		if err != nil {
			db.Problem = "boontadata downstream: " + err.Error()
		}
		if rows.Skipped > skipped { // rows that do not decode are malformed input
			db.Malformed, db.Problem = int64(rows.Skipped-skipped), "boontadata downstream: "+rows.Problem
		}
		skipped = rows.Skipped
		for _, r := range down {
			if a, ok := seen[r.Key]; ok && a == r.Agg {
				continue
			}
			seen[r.Key] = r.Agg
			db.Results = append(db.Results, judge.TaggedResult{Result: engine.Result{Key: r.Key, Agg: r.Agg, Engine: d.Suffix}})
		}
		if len(db.Results) > 0 || db.Problem != "" {
			if !deliver(ctx, out, db) {
				return nil
			}
		}
		if !pause(ctx, interval) {
			return nil
		}
	}
}
