package observe

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/kafka/kafkatest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// observed starts what watch runs against a fresh embedded broker and
// returns a producer to the events and results topics and the bus's latest.
func observed(t *testing.T, ctx context.Context, key kafka.RunKey) (*kgo.Client, *bus.Latest) {
	t.Helper()
	b := kafkatest.Start(t, ctx, 1, "events", "aggregates")
	kc, prod := b.Config, b.Prod
	eventBus := bus.NewBus()
	latest := eventBus.Watch()
	cfg := Config{Kafka: kc, Events: "events", Results: "aggregates", Group: "streamtop-engine", Window: 5 * time.Second, RunKey: key}
	octx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- Events(octx, cfg, eventBus) }()
	go func() { done <- Engines(octx, cfg, eventBus) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	})
	for latest.Peek().Injector == nil || latest.Peek().Engine == nil { // both read from the end now
		select {
		case <-ctx.Done():
			t.Fatal("no first status")
		case <-time.After(10 * time.Millisecond):
		}
	}
	return prod, latest
}

// marker is a marker record kind=value on partition 0, its run header
// signed with key (nil: an unsigned tag).
func marker(topic, kind, value string, key kafka.RunKey, body []byte) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: 0, Value: body, Headers: []kgo.RecordHeader{
		{Key: kafka.HeaderRun, Value: []byte(key.MarkerHeader("s1-1", kind, value, 0))},
		{Key: kind, Value: []byte(value)},
	}}
}

func waitFor(t *testing.T, ctx context.Context, latest *bus.Latest, what string, ok func(bus.Snapshot) bool) {
	t.Helper()
	for !ok(latest.Peek()) {
		select {
		case <-ctx.Done():
			s := latest.Peek()
			t.Fatalf("%s: injector %+v engine %+v", what, s.Injector, s.Engine)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A watcher acts on the markers whose run header its key verifies, and
// only counts the others: a forged end marker does not end the run on its
// screen, a forged progress record does not move the closed horizon.
func TestWatcherVerifiesMarkers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := kafka.NewRunKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := kafka.NewRunKey()
	prod, latest := observed(t, ctx, key)
	progress := kafka.ProgressValue("streamtop", map[int32]int64{0: 5000})
	for _, r := range []*kgo.Record{
		marker("events", kafka.HeaderEnd, "1", nil, nil),     // unsigned
		marker("events", kafka.HeaderEnd, "1", other, nil),   // another run's key
		marker("events", kafka.HeaderClock, "7", other, nil), // likewise
		marker("aggregates", kafka.HeaderProgress, string(progress), other, progress),
	} {
		if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, latest, "the forged markers counted", func(s bus.Snapshot) bool {
		return s.Injector.Unverified == 3 && s.Engine.Unverified == 1
	})
	if s := latest.Peek(); s.Injector.Done || s.Engine.ClosedBefore == 5000 {
		t.Fatalf("a forged marker was acted on: done %v, closed ≤ %d", s.Injector.Done, s.Engine.ClosedBefore)
	}
	for _, r := range []*kgo.Record{
		marker("events", kafka.HeaderEnd, "1", key, nil),
		marker("aggregates", kafka.HeaderProgress, string(progress), key, progress),
	} {
		if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, latest, "the run's own markers acted on", func(s bus.Snapshot) bool {
		return s.Injector.Done && s.Engine.ClosedBefore == 5000
	})
	if s := latest.Peek(); s.Injector.Unverified != 3 || s.Engine.Unverified != 1 {
		t.Errorf("unverified %d and %d after the run's own markers, want 3 and 1", s.Injector.Unverified, s.Engine.Unverified)
	}
}

// An engine that reads without a consumer group (one process) has no lag
// the brokers can tell: the watcher says why, and it is no error.
func TestWatcherWithoutTheEnginesGroup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, latest := observed(t, ctx, nil)
	waitFor(t, ctx, latest, "the lag read", func(s bus.Snapshot) bool { return s.Engine.LagUnknown != "" || s.Engine.Err != "" })
	if e := latest.Peek().Engine; e.Err != "" || !strings.Contains(e.LagUnknown, "no consumer group streamtop-engine") || !e.Observed {
		t.Errorf("error %q, lag unknown %q, observed %v", e.Err, e.LagUnknown, e.Observed)
	}
}

// A watcher started before its broker waits for it, says why, and reads
// the topics once the broker is up.
func TestWatcherWaitsForItsBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0") // a free port, nothing listening once closed
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	eventBus := bus.NewBus()
	latest := eventBus.Watch()
	cfg := Config{Kafka: kafka.Config{Brokers: []string{addr}}, Events: "events", Results: "aggregates", Group: "g", Window: 5 * time.Second}
	octx, ocancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Events(octx, cfg, eventBus) }()
	defer func() {
		ocancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, ctx, latest, "a word on why it waits", func(s bus.Snapshot) bool {
		for _, e := range s.Logs {
			if strings.Contains(e.Text, "waiting for events") {
				return true
			}
		}
		return false
	})
	b, err := kafka.StartEmbedded(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	prod, err := cfg.Kafka.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	if _, err := kafka.EnsureTopics(ctx, kadm.NewClient(prod), 1, 1, b.TopicConfigs(), "events"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, latest, "the first status once the broker is up", func(s bus.Snapshot) bool { return s.Injector != nil })
	ev := engine.Event{ID: "a", Device: "d", Time: 1000, Category: "cat-1", M1: 1}
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "events", Value: ev.AppendJSON(nil), Timestamp: time.UnixMilli(1000)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, latest, "the event read", func(s bus.Snapshot) bool { return s.Injector.Sent == 1 })
}

// Without a key the watcher takes the markers the roles take: a tagged end
// marker ends the run on its screen, an untagged one (which the engine
// ignores) does not; an untagged progress record counts, as for the judge.
func TestWatcherWithoutAKeyJudgesMarkersAsTheRolesDo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	prod, latest := observed(t, ctx, nil)
	untagged := &kgo.Record{Topic: "events", Headers: []kgo.RecordHeader{{Key: kafka.HeaderEnd, Value: []byte("1")}}}
	progress := kafka.ProgressValue("streamtop", map[int32]int64{0: 5000})
	plainProgress := &kgo.Record{Topic: "aggregates", Value: progress, Headers: []kgo.RecordHeader{{Key: kafka.HeaderProgress, Value: progress}}}
	for _, r := range []*kgo.Record{untagged, plainProgress} {
		if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, latest, "the untagged markers judged", func(s bus.Snapshot) bool {
		return s.Injector.Unverified == 1 && s.Engine.ClosedBefore == 5000
	})
	if latest.Peek().Injector.Done {
		t.Fatal("an untagged end marker ended the run on the watcher's screen")
	}
	if err := prod.ProduceSync(ctx, marker("events", kafka.HeaderEnd, "1", nil, nil)).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, latest, "a tagged end marker taken", func(s bus.Snapshot) bool { return s.Injector.Done })
}
