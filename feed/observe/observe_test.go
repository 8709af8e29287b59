package observe

import (
	"context"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The events observer reads from the end (what was there before it is not
// counted) and reads a partition added while it runs from its start.
func TestEventsObserverReadsFromTheEndAndNewPartitions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := kafka.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kc := kafka.Config{Brokers: []string{b.Addr()}}
	prod, err := kc.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	adm := kadm.NewClient(prod)
	if _, err := kafka.EnsureTopics(ctx, adm, 1, 1, b.TopicConfigs(), "events"); err != nil {
		t.Fatal(err)
	}
	produce := func(p int32, id string) {
		t.Helper()
		ev := engine.Event{ID: id, Device: "d", Time: 1000, Category: "cat-1", M1: 1}
		rec := &kgo.Record{Topic: "events", Partition: p, Value: ev.AppendJSON(nil), Timestamp: time.UnixMilli(1000)}
		if err := prod.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(0, "before")
	eventBus := bus.NewBus()
	latest := eventBus.Watch()
	octx, ocancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Events(octx, Config{Kafka: kc, Events: "events", Window: 5 * time.Second}, eventBus) }()
	defer func() {
		ocancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	wait := func(what string, ok func(*bus.InjectorStatus) bool) {
		t.Helper()
		for {
			if st := latest.Peek().Injector; st != nil && ok(st) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: last status %+v", what, latest.Peek().Injector)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	wait("first status", func(*bus.InjectorStatus) bool { return true })
	produce(0, "a")
	if _, err := adm.CreatePartitions(ctx, 1, "events"); err != nil {
		t.Fatal(err)
	}
	if prod, err = kc.NewClient(kgo.ProducerLinger(0)); err != nil { // one that knows the new partition
		t.Fatal(err)
	}
	defer prod.Close()
	produce(1, "b")
	wait("both new events", func(st *bus.InjectorStatus) bool { return st.Sent >= 2 })
	if st := latest.Peek().Injector; st.Sent != 2 || st.Originals != 2 {
		t.Fatalf("sent %d originals %d: want the 2 events written after the start", st.Sent, st.Originals)
	}
}
