package cassandra

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cass"
)

// truthBatches is a run's truth as an injector publishes it: a few batches
// of changed keys, then the final Done batch.
func truthBatches(tag string, batches, keys int) []*bus.TruthBatch {
	var out []*bus.TruthBatch
	for b := range batches {
		tb := &bus.TruthBatch{Tag: tag, Horizon: int64(b) * 5000, Clock: int64(b+1) * 5000}
		for k := range keys {
			key := engine.Key{Device: fmt.Sprintf("d%d", k), Category: "cat-1", WindowEnd: int64(b+1) * 5000}
			tb.ByDevice = append(tb.ByDevice, bus.TruthValue{Key: key, Agg: engine.Agg{M1: int64(k + b), M2: 0.5, Count: 1}})
			tb.BySend = append(tb.BySend, bus.TruthValue{Key: key, Agg: engine.Agg{M1: int64(k + b), M2: 0.5, Count: 1}})
		}
		out = append(out, tb)
	}
	return append(out, &bus.TruthBatch{Tag: tag, Horizon: bus.Final, Clock: bus.Final, Done: true})
}

// TestTruthWriterFinalBatchAfterCancel (defect 13): the injector publishes
// its last batches and Done, and its role cancels the writer right after.
// Everything published before the cancel must reach Cassandra, the Done
// row last; before the fix the writer's select picked the cancel over the
// buffered Done batch about one run in four. Repeated 20 times.
func TestTruthWriterFinalBatchAfterCancel(t *testing.T) {
	store, _, _ := testStore(t)
	ctx := ctxT(t)
	for i := range 20 {
		tag := fmt.Sprintf("run-%02d", i)
		b := bus.NewBus()
		w := NewTruthWriter(store, b, RunInfo{Seed: 34, Devices: 3, Events: 10, Window: 5 * time.Second, Source: "generator"})
		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(wctx) }()
		for _, tb := range truthBatches(tag, 4, 3) {
			b.Publish(tb)
		}
		cancel() // as runInject does once the injector has finished
		if err := <-done; err != nil {
			t.Fatalf("%s: Run: %v", tag, err)
		}
		run, err := store.Run(ctx, tag)
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if !run.Done || run.Horizon != bus.Final || run.Clock != bus.Final {
			t.Fatalf("%s: run row done=%v horizon=%d clock=%d; want the final Done batch written", tag, run.Done, run.Horizon, run.Clock)
		}
		for _, src := range []string{SourceTruthDevice, SourceTruthSend} {
			rows, err := store.Aggregates(ctx, tag, src)
			if err != nil || len(rows) != 12 {
				t.Fatalf("%s %s: %d rows, %v; want 12", tag, src, len(rows), err)
			}
		}
	}
}

// TestTruthWriterRawEvents: with Boontada the writer stores the truth in the
// original's agg_events and every event sent, duplicates included, in its
// raw_events, as the original injector did.
func TestTruthWriterRawEvents(t *testing.T) {
	store, sess, cfg := testStore(t)
	b := bus.NewBus()
	w := NewTruthWriter(store, b, RunInfo{Window: 5 * time.Second, Boontada: true})
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	ev := func(seq int, dt int64, m1 int64) engine.Event {
		return engine.Event{ID: fmt.Sprintf("dev-%d", seq), Device: "dev", Time: dt, Category: "cat-2", M1: m1, M2: float64(m1) / 4}
	}
	key := engine.Key{Device: "dev", Category: "cat-2", WindowEnd: 1767225605000}
	b.Publish(&bus.TruthBatch{Tag: "r1", Horizon: engine.None, Clock: 1767225601500,
		ByDevice: []bus.TruthValue{{Key: key, Agg: engine.Agg{M1: 7, M2: 1.75, Count: 2}}},
		BySend:   []bus.TruthValue{{Key: key, Agg: engine.Agg{M1: 7, M2: 1.75, Count: 2}}}})
	b.Publish(&bus.SentBatch{Tag: "r1", Events: []bus.SentEvent{
		{Event: ev(0, 1767225601000, 3), Send: 1767225601000},
		{Event: ev(1, 1767225601400, 4), Send: 1767225601400},
		{Event: ev(0, 1767225601000, 3), Send: 1767225601500}, // sent again
	}})
	b.Publish(&bus.TruthBatch{Tag: "r1", Horizon: bus.Final, Clock: bus.Final, Done: true})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	var n int
	if err := sess.Query("SELECT count(*) FROM "+cfg.BoontadataKeyspace+".raw_events").ScanContext(ctx, &n); err != nil || n != 3 {
		t.Fatalf("raw_events: %d rows, %v; want 3 (one per send)", n, err)
	}
	var dt, st time.Time
	var m1 int64
	if err := sess.Query("SELECT device_time, send_time, measure1 FROM "+cfg.BoontadataKeyspace+".raw_events WHERE message_id = ? AND send_time = ?",
		"dev-0", time.UnixMilli(1767225601500)).ScanContext(ctx, &dt, &st, &m1); err != nil ||
		dt.UnixMilli() != 1767225601000 || m1 != 3 {
		t.Fatalf("the copy of dev-0: device time %v, measure1 %d, %v", dt, m1, err)
	}
	read, err := store.Boontadata(ctx, cass.DefaultSuffix)
	byDevice, bySend := read.ByDevice, read.BySend
	if err != nil || len(byDevice) != 1 || len(bySend) != 1 || byDevice[0].Key != key || byDevice[0].Agg.M1 != 7 {
		t.Fatalf("agg_events truth: %+v %+v %v", byDevice, bySend, err)
	}
}

// TestTruthWriterKeepsOldRunUntilWritten: a new run's first batch does not
// drop what the previous run still owes: both are written, oldest first.
func TestTruthWriterKeepsOldRunUntilWritten(t *testing.T) {
	store, _, _ := testStore(t)
	b := bus.NewBus()
	w := NewTruthWriter(store, b, RunInfo{Window: 5 * time.Second})
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	for _, tb := range truthBatches("old", 2, 2) {
		b.Publish(tb)
	}
	for _, tb := range truthBatches("new", 1, 2)[:1] {
		b.Publish(tb)
	}
	go func() { done <- w.Run(wctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for tag, want := range map[string]int{"old": 4, "new": 2} {
		rows, err := store.Aggregates(ctx, tag, SourceTruthDevice)
		if err != nil || len(rows) != want {
			t.Errorf("run %s: %d truth rows, %v; want %d", tag, len(rows), err, want)
		}
	}
	if r, err := store.Run(ctx, "old"); err != nil || !r.Done {
		t.Errorf("run old: %+v, %v; want done", r, err)
	}
}
