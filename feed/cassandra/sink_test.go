package cassandra

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cass"
	"github.com/streamtop/streamtop/feed/judge"
)

// TestSinkExternalResults (defect 16): an engine reading the original
// injector's events (no run tag) writes its results and progress with run
// "". They must be written: under cass.ExternalRun in our keyspace, and in
// the original's m1_sum_downstream. Before the fix every write was refused
// ("empty run or source").
func TestSinkExternalResults(t *testing.T) {
	store, _, _ := testStore(t)
	ctx := ctxT(t)
	sink := &Sink{Store: store, Engine: "streamtop", Boontadata: true}
	key := engine.Key{Device: "5fc2d85c", Category: "cat-3", WindowEnd: 1767225605000}
	rs := []engine.Result{
		{Key: key, Agg: engine.Agg{M1: 5, M2: 1.5, Count: 1}},
		{Key: key, Agg: engine.Agg{M1: 9, M2: 2.5, Count: 2}}, // the latest wins
	}
	if err := sink.WriteResults(ctx, "", rs); err != nil {
		t.Fatalf("results of external data: %v", err)
	}
	if err := sink.WriteProgress(ctx, "", map[int32]int64{0: 1767225605000}); err != nil {
		t.Fatalf("progress of external data: %v", err)
	}
	rows, err := store.Aggregates(ctx, cass.ExternalRun, "streamtop")
	if err != nil || len(rows) != 1 || rows[0].Agg != (engine.Agg{M1: 9, M2: 2.5, Count: 2}) {
		t.Fatalf("our keyspace, run %s: %+v, %v", cass.ExternalRun, rows, err)
	}
	if prog, err := store.Progress(ctx, cass.ExternalRun, "streamtop"); err != nil || prog[0] != 1767225605000 {
		t.Fatalf("progress: %v, %v", prog, err)
	}
	read, err := store.Boontadata(ctx, cass.DefaultSuffix)
	down := read.Down
	if err != nil || len(down) != 1 || down[0].Key != key || down[0].Agg.M1 != 9 {
		t.Fatalf("agg_events m1_sum_downstream: %+v, %v", down, err)
	}
}

// originalTruth writes agg_events truth rows as the original ingest.py does
// (on a UTC host): window_time text, the two truth column pairs.
func originalTruth(t *testing.T, ctx context.Context, store *cass.Store, rows []cass.Row) {
	t.Helper()
	if err := store.UpsertBoontadataTruth(ctx, rows, rows); err != nil {
		t.Fatal(err)
	}
}

// TestResolveRunOriginalInjector (defect 16): with only the original
// injector's truth in agg_events (no run in our keyspace), a comparator of
// the boontadata downstream needs no run and finds the truth final at once;
// one of a table downstream still waits for a run, and its error names
// the run id of external data.
func TestResolveRunOriginalInjector(t *testing.T) {
	store, _, _ := testStore(t)
	ctx := ctxT(t)
	key := engine.Key{Device: "dev", Category: "cat-1", WindowEnd: 1767225605000}
	originalTruth(t, ctx, store, []cass.Row{{Key: key, Agg: engine.Agg{M1: 4, M2: 1}}})

	start := time.Now()
	run, err := ResolveRun(ctx, store, "", false, time.Now().Add(time.Minute))
	if err != nil || run != "" || time.Since(start) > 30*time.Second {
		t.Fatalf("boontadata only: run %q, %v after %v; want no run, at once", run, err, time.Since(start))
	}
	_, err = ResolveRun(ctx, store, "", true, time.Now())
	if err == nil || !strings.Contains(err.Error(), "--run "+cass.ExternalRun) {
		t.Fatalf("table downstream without a run: %v; want an error naming --run %s", err, cass.ExternalRun)
	}
	if run, err := ResolveRun(ctx, store, cass.ExternalRun, true, time.Now()); err != nil || run != cass.ExternalRun {
		t.Fatalf("--run %s: %q, %v", cass.ExternalRun, run, err)
	}

	tb := firstTruth(t, &BoontadataTruth{Store: store, Interval: 10 * time.Millisecond})
	if !tb.Done || tb.Horizon != bus.Final || len(tb.ByDevice) != 1 || tb.ByDevice[0].Key != key {
		t.Fatalf("the original's truth: %+v; want it final with its one key", tb)
	}
}

// TestTruthForExternal: results of external data, kept in our keyspace
// under cass.ExternalRun, are judged against the original injector's truth
// in agg_events: the truth carries that run's tag and is final.
func TestTruthForExternal(t *testing.T) {
	store, _, _ := testStore(t)
	ctx := ctxT(t)
	key := engine.Key{Device: "dev", Category: "cat-2", WindowEnd: 1767225610000}
	originalTruth(t, ctx, store, []cass.Row{{Key: key, Agg: engine.Agg{M1: 8, M2: 2}}})
	tb := firstTruth(t, TruthFor(store, cass.ExternalRun, nil))
	if tb.Tag != cass.ExternalRun || !tb.Done || len(tb.ByDevice) != 1 || tb.ByDevice[0].Agg.M1 != 8 {
		t.Fatalf("truth of run %s: %+v", cass.ExternalRun, tb)
	}
	if _, ok := TruthFor(store, "s1-r0", nil).(*Truth); !ok {
		t.Fatal("a tagged run's truth must come from our keyspace")
	}
}

// firstTruth runs a truth source until its first batch.
func firstTruth(t *testing.T, src judge.TruthSource) *bus.TruthBatch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	out := make(chan *bus.TruthBatch, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		src.Run(ctx, out)
	}()
	defer func() { cancel(); <-stopped }()
	select {
	case tb := <-out:
		return tb
	case <-ctx.Done():
		t.Fatal("no truth batch within a minute")
		return nil
	}
}
