package cass

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

func TestBoontadata(t *testing.T) {
	s := schemaStore(t, true)
	ctx := ctxT(t)
	w := func(sec int64) int64 { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + sec*1000 }
	byDevice := []Row{
		{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: w(5)}, Agg: engine.Agg{M1: 10, M2: 1.25, Count: 2}},
		{Key: engine.Key{Device: "d1", Category: "cat-2", WindowEnd: w(5)}, Agg: engine.Agg{M1: 99, M2: 0.1 + 0.2, Count: 1}},
		{Key: engine.Key{Device: "d2", Category: "cat-1", WindowEnd: -5000}, Agg: engine.Agg{M1: 3, M2: 3.5, Count: 1}}, // before 1970
	}
	bySend := []Row{
		{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: w(5)}, Agg: engine.Agg{M1: 10, M2: 1.25, Count: 2}},
		{Key: engine.Key{Device: "d1", Category: "cat-2", WindowEnd: w(425)}, Agg: engine.Agg{M1: 99, M2: 0.1 + 0.2, Count: 1}}, // sent late
		{Key: engine.Key{Device: "d2", Category: "cat-1", WindowEnd: w(10)}, Agg: engine.Agg{M1: 3, M2: 3.5, Count: 1}},
	}
	down := []Row{
		{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: w(5)}, Agg: engine.Agg{M1: 11, M2: 2.5, Count: 3}},
		{Key: engine.Key{Device: "d3", Category: "cat-4", WindowEnd: w(15)}, Agg: engine.Agg{M1: 1, M2: 0, Count: 1}},
	}
	if err := s.UpsertBoontadataTruth(ctx, byDevice, bySend); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertBoontadataDownstream(ctx, DefaultSuffix, down); err != nil {
		t.Fatal(err)
	}
	// Written again: no change (idempotent).
	if err := s.UpsertBoontadataDownstream(ctx, DefaultSuffix, down); err != nil {
		t.Fatal(err)
	}
	read, err := s.Boontadata(ctx, DefaultSuffix)
	gd, gs, gx := read.ByDevice, read.BySend, read.Down
	if err != nil {
		t.Fatal(err)
	}
	noCount := func(rs []Row) []Row {
		out := make([]Row, len(rs))
		for i, r := range rs {
			r.Agg.Count = 0
			out[i] = r
		}
		sortRows(out)
		return out
	}
	sameRows(t, "by device", gd, noCount(byDevice))
	sameRows(t, "by send", gs, noCount(bySend))
	sameRows(t, "downstream", gx, noCount(down))

	// The original compare.py's query returns one row per key shared by truth and engine.
	sc := s.sess.Query("SELECT window_time, device_id, category, m1_sum_ingest_sendtime, m1_sum_ingest_devicetime, m1_sum_downstream, m2_sum_ingest_sendtime, m2_sum_ingest_devicetime, m2_sum_downstream FROM " + s.bks + ".agg_events").IterContext(ctx).Scanner()
	shared := map[string]string{}
	for sc.Next() {
		var wt, dev, cat string
		var m1s, m1d, m1x *int64
		var m2s, m2d, m2x *float64
		if err := sc.Scan(&wt, &dev, &cat, &m1s, &m1d, &m1x, &m2s, &m2d, &m2x); err != nil {
			t.Fatal(err)
		}
		f := func(p *int64) string {
			if p == nil {
				return "null"
			}
			return fmt.Sprint(*p)
		}
		shared[dev+"|"+cat+"|"+wt] = f(m1s) + " " + f(m1d) + " " + f(m1x)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if got := shared["d1|cat-1|2026-01-01 00:00:05"]; got != "10 10 11" {
		t.Errorf("shared row d1|cat-1 = %q, want send, device and downstream m1 10 10 11", got)
	}
	if got := shared["d2|cat-1|1969-12-31 23:59:55"]; got != "null 3 null" {
		t.Errorf("row before 1970 = %q, want null 3 null", got)
	}
	if len(shared) != 6 {
		t.Errorf("agg_events has %d rows, want 6: %v", len(shared), shared)
	}
}

// TestBoontadataColumnPairs: an engine's own column pair must exist (we do
// not add it); window ends and window_time texts the other cannot carry are
// errors, not rounded or skipped.
func TestBoontadataColumnPairs(t *testing.T) {
	s := schemaStore(t, true)
	ctx := ctxT(t)
	w := func(sec int64) int64 { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + sec*1000 }
	down := []Row{{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: w(5)}, Agg: engine.Agg{M1: 11, M2: 2.5}}}
	err := s.UpsertBoontadataDownstream(ctx, "flink_eventtime", down)
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "m1_sum_flink_eventtime") {
		t.Fatalf("missing column pair: %v, want ErrSchema naming m1_sum_flink_eventtime", err)
	}
	if _, err := s.Boontadata(ctx, "flink_eventtime"); !errors.Is(err, ErrSchema) {
		t.Fatalf("Boontadata with a missing pair: %v, want ErrSchema", err)
	}
	if err := s.UpsertBoontadataDownstream(ctx, "Bad-Suffix", down); err == nil {
		t.Fatal("bad suffix accepted")
	}
	for _, stmt := range []string{
		"ALTER TABLE " + s.bks + ".agg_events ADD m1_sum_flink_eventtime bigint",
		"ALTER TABLE " + s.bks + ".agg_events ADD m2_sum_flink_eventtime double",
	} {
		if err := s.sess.Query(stmt).ExecContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertBoontadataDownstream(ctx, "flink_eventtime", down[:1]); err != nil {
		t.Fatal(err)
	}
	read, err := s.Boontadata(ctx, "flink_eventtime")
	gx := read.Down
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "flink_eventtime", gx, down[:1])

	// A window end the text form cannot carry is refused, not rounded.
	odd := []Row{{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: w(5) + 500}}}
	if err := s.UpsertBoontadataDownstream(ctx, DefaultSuffix, odd); err == nil || !strings.Contains(err.Error(), "window_time") {
		t.Fatalf("sub-second window end: %v, want an error", err)
	}
	// A window_time that does not parse (a row another program wrote) is
	// skipped and counted, naming the row; the other rows are read.
	before, err := s.Boontadata(ctx, DefaultSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sess.Query("INSERT INTO "+s.bks+".agg_events (device_id, category, window_time, m1_sum_downstream) VALUES (?, ?, ?, ?)",
		"d9", "cat-9", "yesterday", int64(1)).ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.Boontadata(ctx, DefaultSuffix)
	if err != nil || after.Skipped != 1 || len(after.Down) != len(before.Down) {
		t.Fatalf("bad window_time: %v, %d skipped, %d rows read (want 1 skipped, %d rows)", err, after.Skipped, len(after.Down), len(before.Down))
	}
	if !strings.Contains(after.Problem, `device_id="d9"`) || !strings.Contains(after.Problem, `"yesterday"`) {
		t.Fatalf("the skipped row's problem %q does not name it", after.Problem)
	}
}

func TestRawEvents(t *testing.T) {
	s := schemaStore(t, true)
	ctx := ctxT(t)
	ev := []RawEvent{
		{ID: "d1-1", Device: "d1", DeviceTime: 1767225600010, SendTime: 1767225600012, Category: "cat-1", M1: 5, M2: 1.5},
		{ID: "d1-2", Device: "d1", DeviceTime: -1000, SendTime: 1767225600050, Category: "cat-2", M1: 99, M2: 499.99},
		{ID: "d1-1", Device: "d1", DeviceTime: 1767225600010, SendTime: 1767225600090, Category: "cat-1", M1: 5, M2: 1.5}, // duplicate, sent again
	}
	if err := s.UpsertRawEvents(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertRawEvents(ctx, ev); err != nil { // idempotent
		t.Fatal(err)
	}
	var n int
	if err := s.sess.Query("SELECT count(*) FROM "+s.bks+".raw_events").ScanContext(ctx, &n); err != nil || n != 3 {
		t.Fatalf("raw_events: %d rows, %v; want 3", n, err)
	}
	var dt int64
	var m2 float64
	if err := s.sess.Query("SELECT device_time, measure2 FROM "+s.bks+".raw_events WHERE message_id = ?", "d1-2").ScanContext(ctx, &dt, &m2); err != nil || dt != -1000 || m2 != 499.99 {
		t.Fatalf("d1-2: %d %v %v", dt, m2, err)
	}
	if err := s.UpsertRawEvents(ctx, []RawEvent{{Device: "x"}}); err == nil {
		t.Fatal("empty id accepted")
	}
}

// TestBoontadataZone: the original's ingest.py wrote window_time on the
// host's local clock. With BoontadataZone set to that host's zone, its rows
// and ours share keys: our downstream lands on its truth row, and its
// window_time reads as the UTC window end.
func TestBoontadataZone(t *testing.T) {
	cfg := testConfig(t)
	cfg.Boontadata, cfg.BoontadataZone = true, "Europe/Paris"
	s := openStore(t, cfg)
	ctx := ctxT(t)
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 7, 1, 10, 0, 5, 0, time.UTC).UnixMilli()
	// As ingest.py on a Paris host (UTC+2 in July) writes its truth.
	if err := s.sess.Query("INSERT INTO "+s.bks+".agg_events (window_time, device_id, category, m1_sum_ingest_devicetime, m2_sum_ingest_devicetime) VALUES (?, ?, ?, ?, ?)",
		"2026-07-01 12:00:05", "d1", "cat-1", int64(7), 1.5).ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	down := []Row{{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: end}, Agg: engine.Agg{M1: 7, M2: 1.5}}}
	if err := s.UpsertBoontadataDownstream(ctx, DefaultSuffix, down); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.sess.Query("SELECT count(*) FROM "+s.bks+".agg_events").ScanContext(ctx, &n); err != nil || n != 1 {
		t.Fatalf("agg_events: %d rows, %v; want 1 (our result on the original's truth row)", n, err)
	}
	read, err := s.Boontadata(ctx, DefaultSuffix)
	gd, gx := read.ByDevice, read.Down
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "truth by device", gd, down)
	sameRows(t, "downstream", gx, down)
}
