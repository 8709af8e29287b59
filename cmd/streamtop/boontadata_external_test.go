package main

// Integration tests of the original boontadata injector's data (external:
// no streamtop headers) and of the injector's raw_events. Like
// TestIntegrationBoontadataRoundTrip they use the fixed boontadata keyspace.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/cass"
	"github.com/streamtop/streamtop/feed/sim"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// emptyBoontadata empties boontadata.agg_events (compare --downstream
// boontadata judges the whole table) and deletes the rows of devices at
// the end.
func emptyBoontadata(t *testing.T, s *gocql.Session, devices map[string]bool) {
	t.Helper()
	var tables int
	if err := s.Query("SELECT count(*) FROM system_schema.tables WHERE keyspace_name = 'boontadata' AND table_name = 'agg_events'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables > 0 {
		if err := s.Query("TRUNCATE boontadata.agg_events").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for d := range devices {
			if err := s.Query("DELETE FROM boontadata.agg_events WHERE device_id = ?", d).Exec(); err != nil {
				t.Logf("cleaning boontadata.agg_events: %v", err)
			}
		}
	})
}

// produceOriginal sends events as the original ingest.py does: the pipe
// form, keyed by device, timestamped at send time, no headers.
func (e itEnv) produceOriginal(t *testing.T, topic string, sent []sim.Sent) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil || r.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, r.Err)
	}
	var recs []*kgo.Record
	for _, s := range sent {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(s.Event.Device), Value: s.Event.AppendPipe(nil),
			Timestamp: time.UnixMilli(s.Send)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationOriginalInjectorJudged (defect 16): the original injector's
// events (pipe form, no run tag) and its truth in boontadata.agg_events.
// `engine --boontadata --results-to cassandra` writes its results (under run
// external in our keyspace, and m1_sum_downstream) and exits 0 on SIGINT
// with nothing lost; `compare --downstream boontadata`, given no run and no
// flag, judges them: final, every key, 0 exceptions (no late events sent).
func TestIntegrationOriginalInjectorJudged(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	start, _ := nowStart()
	var sent []sim.Sent
	for _, s := range generated(t, 77, 2, 150, start) {
		if !s.Late {
			sent = append(sent, s)
		}
	}
	truth := expectedTruth(sent)
	devices := map[string]bool{}
	var rows []cass.Row
	for k, a := range truth {
		devices[k.Device] = true
		rows = append(rows, cass.Row{Key: k, Agg: a})
	}
	s := e.cql(t)
	emptyBoontadata(t, s, devices)

	e.produceOriginal(t, n.events, sent)
	eng := e.start(t, "engine", e.engineArgs(n, "--cassandra", e.cass, "--keyspace", n.keyspace, "--results-to", "cassandra",
		"--boontadata", "--lateness", "10m")...)
	// The original's truth, as its ingest.py writes it at the end (UTC host).
	cfg := cass.DefaultConfig()
	cfg.Hosts, cfg.Keyspace, cfg.Boontadata = []string{e.cass}, n.keyspace, true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := cass.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertBoontadataTruth(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	eng.waitFor(t, "all events read", 2*time.Minute, func(stderr string) bool {
		return strings.Contains(stderr, fmt.Sprintf("%d events,", len(sent)))
	})
	if !eng.stop(t, 30*time.Second) {
		return
	}
	if strings.Contains(eng.stderr.String(), "empty run") {
		t.Errorf("the engine's writes were refused:\n%s", tail(eng.stderr.String(), 2000))
	}
	ours, err := store.Aggregates(ctx, cass.ExternalRun, "streamtop")
	if err != nil || len(ours) != len(truth) {
		t.Errorf("our keyspace, run %s: %d results, %v; want %d", cass.ExternalRun, len(ours), err, len(truth))
	}
	r := e.compareJSON(t, n, 0, "--downstream", "boontadata", "--idle-final", "3s")
	if r.Score.Keys != len(truth) || r.Score.Exceptions != 0 {
		t.Errorf("compare: %+v, want %d keys and 0 exceptions", r.Score, len(truth))
	}
}

// TestIntegrationInjectBoontadataRawEvents: `inject --boontadata` writes
// every event it sends, copies included, to boontadata.raw_events, as the
// original did, and its run ends done in our runs table.
func TestIntegrationInjectBoontadataRawEvents(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	const seed, devices, events = 4242, 1, 200
	sent := injected(t, seed, devices, events)
	sends := map[string]bool{} // a copy sent in the same ms as its original is the same row
	var ids []string
	for _, s := range sent {
		id := fmt.Sprintf("%s@%d", s.Event.ID, s.Send)
		if !sends[id] {
			sends[id] = true
		}
		if s.Kind == sim.Original {
			ids = append(ids, s.Event.ID)
		}
	}
	s := e.cql(t)
	t.Cleanup(func() {
		for _, id := range ids {
			if err := s.Query("DELETE FROM boontadata.raw_events WHERE message_id = ?", id).Exec(); err != nil {
				t.Logf("cleaning boontadata.raw_events: %v", err)
				return
			}
		}
	})
	line, _ := e.itInject(t, n, seed, devices, events, "--speed", "0", "--boontadata")
	got := 0
	for _, id := range ids {
		var c int
		if err := s.Query("SELECT count(*) FROM boontadata.raw_events WHERE message_id = ?", id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		got += c
	}
	if got != len(sends) {
		t.Errorf("boontadata.raw_events: %d rows of this run's ids, want %d (one per send, %d events sent)", got, len(sends), line.sent)
	}
	var done bool
	if err := s.Query("SELECT done FROM "+n.keyspace+".runs WHERE run = ?", line.tag).Scan(&done); err != nil || !done {
		t.Errorf("run %s: done %v, %v; want the final Done row", line.tag, done, err)
	}
	var m1 int64
	k := engine.Key{}
	for key := range expectedTruth(sent) {
		k = key
		break
	}
	if err := s.Query("SELECT m1_sum_ingest_devicetime FROM boontadata.agg_events WHERE device_id = ? AND category = ? AND window_time = ?",
		k.Device, k.Category, engine.FormatWindow(k.WindowEnd)).Scan(&m1); err != nil || m1 != expectedTruth(sent)[k].M1 {
		t.Errorf("agg_events truth of %v: %d, %v", k, m1, err)
	}
	t.Cleanup(func() {
		if err := s.Query("DELETE FROM boontadata.agg_events WHERE device_id = ?", k.Device).Exec(); err != nil {
			t.Logf("cleaning boontadata.agg_events: %v", err)
		}
	})
}
