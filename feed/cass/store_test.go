package cass

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// server returns the address of the real Cassandra the integration tests
// use, or skips (fails under STREAMTOP_REQUIRE_SERVICES) when there is none.
func server(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("STREAMTOP_TESTENV_CASSANDRA")
	if addr == "" {
		if os.Getenv("STREAMTOP_REQUIRE_SERVICES") != "" {
			t.Fatal("STREAMTOP_TESTENV_CASSANDRA is required")
		}
		t.Skip("STREAMTOP_TESTENV_CASSANDRA is not set; CI runs these against a real Cassandra (eval \"$(testenv/up.sh)\")")
	}
	return addr
}

// testConfig gives the test its own keyspaces, dropped at the end.
func testConfig(t *testing.T) Config {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	cfg := DefaultConfig()
	cfg.Hosts = []string{server(t)}
	cfg.Keyspace = "st_test_" + id
	cfg.BoontadataKeyspace = "st_boon_" + id
	cfg.Timeout = 20 * time.Second // a busy test node can be slow with DDL
	return cfg
}

func openStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg, func(err error, wait time.Duration) { t.Logf("%v, retrying in %v", err, wait) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, ks := range []string{s.ks, s.bks} {
			if err := s.sess.Query("DROP KEYSPACE IF EXISTS " + ks).ExecContext(ctx); err != nil {
				t.Errorf("drop keyspace %s: %v", ks, err)
			}
		}
		s.Close()
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestOpenRealServer(t *testing.T) {
	cfg := testConfig(t)
	called := false
	s, err := Open(ctxT(t), cfg, func(error, time.Duration) { called = true })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if called {
		t.Error("onRetry called against a running server")
	}
	var v string
	if err := s.sess.Query("SELECT release_version FROM system.local").ScanContext(ctxT(t), &v); err != nil {
		t.Fatal(err)
	}
	t.Logf("connected to Cassandra %s", v)
}

func TestEnsureSchema(t *testing.T) {
	cfg := testConfig(t)
	cfg.Boontadata = true
	s := openStore(t, cfg)
	ctx := ctxT(t)
	start := time.Now()
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("first EnsureSchema (2 keyspaces, 5 tables): %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatalf("second EnsureSchema: %v", err)
	}
	t.Logf("second EnsureSchema: %v", time.Since(start).Round(time.Millisecond))
	for ks, tables := range map[string][]table{s.ks: ourTables, s.bks: boontadataTables} {
		for _, tb := range tables {
			have, err := s.columns(ctx, ks, tb.name)
			if err != nil {
				t.Fatal(err)
			}
			if p := tb.check(ks, have); len(have) == 0 || len(p) > 0 {
				t.Errorf("%s.%s: %d columns, problems %v", ks, tb.name, len(have), p)
			}
		}
	}
	// The keyspace got our replication.
	var repl map[string]string
	if err := s.sess.Query("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", s.bks).ScanContext(ctx, &repl); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(repl["class"], "SimpleStrategy") || repl["replication_factor"] != "1" {
		t.Errorf("replication of %s = %v", s.bks, repl)
	}
	// Extra columns are fine.
	if err := s.sess.Query("ALTER TABLE " + s.ks + ".aggregates ADD note text").ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureSchema(ctx); err != nil {
		t.Fatalf("EnsureSchema with an extra column: %v", err)
	}
}

func TestEnsureSchemaMismatch(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	ctx := ctxT(t)
	for _, stmt := range []string{
		"CREATE KEYSPACE " + s.ks + " WITH replication = " + defaultReplication,
		// m2_sum is missing and count has the wrong type.
		"CREATE TABLE " + s.ks + ".aggregates (run text, source text, window_end timestamp, device text, category text, m1_sum bigint, count text, incomplete boolean, updated timestamp, PRIMARY KEY ((run, source), window_end, device, category))",
		// clustering column turned regular.
		"CREATE TABLE " + s.ks + ".progress (run text, engine text, partition int, closed_before bigint, updated timestamp, PRIMARY KEY ((run, engine)))",
	} {
		if err := s.sess.Query(stmt).ExecContext(ctx); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	err := s.EnsureSchema(ctx)
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("EnsureSchema = %v, want ErrSchema", err)
	}
	t.Log(err)
	for _, want := range []string{
		s.ks + ".aggregates lacks column m2_sum (double)",
		s.ks + ".aggregates column count is text, want bigint",
		s.ks + ".progress column partition is a regular column, want clustering",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// The missing runs table was still created.
	have, err := s.columns(ctx, s.ks, "runs")
	if err != nil || len(have) == 0 {
		t.Errorf("runs table: %d columns, %v", len(have), err)
	}
}

func schemaStore(t *testing.T, boontadata bool) *Store {
	cfg := testConfig(t)
	cfg.Boontadata = boontadata
	s := openStore(t, cfg)
	if err := s.EnsureSchema(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return s
}

func sameRows(t *testing.T, what string, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		// m2 must round-trip bit for bit.
		if g.Key != w.Key || g.Agg.M1 != w.Agg.M1 || g.Agg.Count != w.Agg.Count || g.Incomplete != w.Incomplete ||
			math.Float64bits(g.Agg.M2) != math.Float64bits(w.Agg.M2) {
			t.Fatalf("%s: row %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func TestAggregates(t *testing.T) {
	s := schemaStore(t, false)
	ctx := ctxT(t)
	const W = 5000
	special := []Row{
		{Key: engine.Key{Device: "dev-a", Category: "cat-1", WindowEnd: engine.WindowEnd(-1, W)}, Agg: engine.Agg{M1: -7, M2: -0.1, Count: 1}},
		{Key: engine.Key{Device: "dev-a", Category: "cat-1", WindowEnd: engine.WindowEnd(-123456789, W)}, Agg: engine.Agg{M1: math.MaxInt64, M2: math.MaxFloat64, Count: math.MaxInt64}},
		{Key: engine.Key{Device: "dev-a", Category: "cat-2", WindowEnd: -engine.MaxTime}, Agg: engine.Agg{M1: math.MinInt64, M2: math.SmallestNonzeroFloat64, Count: 0}, Incomplete: true},
		{Key: engine.Key{Device: "dev-b", Category: "cat-3", WindowEnd: engine.MaxTime}, Agg: engine.Agg{M1: 0, M2: 0.1 + 0.2, Count: 3}},
		{Key: engine.Key{Device: "dév ü|x", Category: "", WindowEnd: 0}, Agg: engine.Agg{M1: 1, M2: -math.MaxFloat64, Count: 1}, Incomplete: true},
		{Key: engine.Key{Device: "dev-b", Category: "cat-3", WindowEnd: time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC).UnixMilli()}, Agg: engine.Agg{M1: 4950, M2: 12345.678901234567, Count: 99}},
	}
	if err := s.UpsertAggregates(ctx, "run1", "truth:device", special); err != nil {
		t.Fatal(err)
	}
	got, err := s.Aggregates(ctx, "run1", "truth:device")
	if err != nil {
		t.Fatal(err)
	}
	want := append([]Row(nil), special...)
	sortRows(want)
	sameRows(t, "special rows", got, want)

	// 10k rows, written twice: the same values (idempotent upserts).
	big := bigRows(10000)
	if n := len(lastPerKey(big)); n != len(big) {
		t.Fatalf("test data has duplicate keys: %d distinct of %d", n, len(big))
	}
	for pass := 1; pass <= 2; pass++ {
		start := time.Now()
		if err := s.UpsertAggregates(ctx, "run1", "engine-x", big); err != nil {
			t.Fatal(err)
		}
		up := time.Since(start)
		start = time.Now()
		got, err := s.Aggregates(ctx, "run1", "engine-x")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("pass %d: upsert 10k rows %v, read 10k rows %v", pass, up.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		want := append([]Row(nil), big...)
		sortRows(want)
		sameRows(t, fmt.Sprintf("10k rows, pass %d", pass), got, want)
	}
	// Sources are separate.
	if got, _ := s.Aggregates(ctx, "run1", "truth:device"); len(got) != len(special) {
		t.Fatalf("truth:device has %d rows after writing engine-x, want %d", len(got), len(special))
	}
	if got, err := s.Aggregates(ctx, "run2", "engine-x"); err != nil || len(got) != 0 {
		t.Fatalf("unknown run: %d rows, %v", len(got), err)
	}
	// A key written again takes the new value; within one call the last row wins.
	k := special[0].Key
	again := []Row{{Key: k, Agg: engine.Agg{M1: 1, M2: 1, Count: 1}}, {Key: k, Agg: engine.Agg{M1: 2, M2: 2, Count: 2}, Incomplete: true}}
	if err := s.UpsertAggregates(ctx, "run1", "truth:device", again); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Aggregates(ctx, "run1", "truth:device")
	for _, r := range got {
		if r.Key == k && (r.Agg != engine.Agg{M1: 2, M2: 2, Count: 2} || !r.Incomplete) {
			t.Fatalf("rewritten key = %+v, want the last row", r)
		}
	}
	if len(got) != len(special) {
		t.Fatalf("%d rows after rewriting one, want %d", len(got), len(special))
	}
	if err := s.UpsertAggregates(ctx, "", "x", special); err == nil {
		t.Fatal("empty run accepted")
	}
	if err := s.UpsertAggregates(ctx, "run1", "none", nil); err != nil {
		t.Fatalf("no rows: %v", err)
	}
}

func sortRows(rs []Row) { slices.SortFunc(rs, compareRows) }

// bigRows are n rows of distinct keys: 37 devices, 4 categories, 148 keys
// per 5 s window from 2026-01-01.
func bigRows(n int) []Row {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	big := make([]Row, n)
	for i := range big {
		big[i] = Row{
			Key:        engine.Key{Device: fmt.Sprintf("device-%02d", i%37), Category: fmt.Sprintf("cat-%d", i%4+1), WindowEnd: base + int64(i/148)*5000},
			Agg:        engine.Agg{M1: int64(i * 13), M2: float64(i) * 1.1, Count: int64(i%20 + 1)},
			Incomplete: i%97 == 0,
		}
	}
	return big
}

func TestRunsAndProgress(t *testing.T) {
	s := schemaStore(t, false)
	ctx := ctxT(t)
	if _, err := s.Run(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Run(nope) = %v, want ErrNotFound", err)
	}
	if _, err := s.LatestRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestRun on no runs = %v, want ErrNotFound", err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC)
	runs := []Run{
		{ID: "a", Started: t0, Seed: 34, Devices: 1, Events: 300, WindowMs: 5000, Source: "virtual", Horizon: 420000, Clock: 1767225600000},
		{ID: "b", Started: t0.Add(time.Hour), Seed: -1, Devices: 4, Events: 0, WindowMs: 1000, Source: "replay:x.jsonl", Horizon: 0, Clock: -5, Done: true},
		{ID: "c", Started: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Seed: math.MaxInt64},
		{ID: "z"}, // no start time
	}
	for _, r := range runs {
		if err := s.UpsertRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range runs {
		got, err := s.Run(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Started.Equal(want.Started) {
			t.Errorf("run %s started %v, want %v", want.ID, got.Started, want.Started)
		}
		got.Started = want.Started
		if got != want {
			t.Errorf("run %s = %+v, want %+v", want.ID, got, want)
		}
	}
	latest, err := s.LatestRun(ctx)
	if err != nil || latest.ID != "b" {
		t.Fatalf("LatestRun = %+v, %v; want b", latest, err)
	}
	// Upsert replaces all fields.
	runs[0].Started = t0.Add(2 * time.Hour)
	runs[0].Done = true
	if err := s.UpsertRun(ctx, runs[0]); err != nil {
		t.Fatal(err)
	}
	if latest, err = s.LatestRun(ctx); err != nil || latest.ID != "a" || !latest.Done {
		t.Fatalf("LatestRun = %+v, %v; want a, done", latest, err)
	}
	if err := s.UpsertRun(ctx, Run{}); err == nil {
		t.Fatal("empty run id accepted")
	}

	if p, err := s.Progress(ctx, "a", "engine"); err != nil || len(p) != 0 {
		t.Fatalf("Progress before any = %v, %v", p, err)
	}
	want := map[int32]int64{0: 1767225605000, 1: -5000, 3: math.MaxInt64}
	for p, c := range want {
		if err := s.UpsertProgress(ctx, "a", "engine", p, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertProgress(ctx, "a", "engine", 0, 1767225610000); err != nil {
		t.Fatal(err)
	}
	want[0] = 1767225610000
	if err := s.UpsertProgress(ctx, "a", "other", 0, 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Progress(ctx, "a", "engine")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Progress = %v, want %v", got, want)
	}
}
