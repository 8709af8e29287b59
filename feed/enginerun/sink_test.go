package enginerun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// failingSink refuses every write, as Cassandra did for untagged results
// (defect 16), and reports each call.
type failingSink struct{ calls chan string }

func (s *failingSink) WriteResults(_ context.Context, run string, _ []engine.Result) error {
	s.calls <- run
	return errors.New("cassandra: upsert aggregates: empty run or source")
}

func (s *failingSink) WriteProgress(_ context.Context, run string, _ map[int32]int64) error {
	return errors.New("cassandra: upsert progress: empty run or engine")
}

// TestSinkFailingLogsOnceAndShutdownFails (defect 16): the original
// injector's events (pipe form, no streamtop headers) are aggregated; a
// sink that keeps refusing the results logs its error once, not at every
// tick, and stopping the engine with results unwritten is an error (the
// role then exits non-zero), never a clean stop with the results lost.
func TestSinkFailingLogsOnceAndShutdownFails(t *testing.T) {
	b, err := kafka.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kc := kafka.Config{Brokers: []string{b.Addr()}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prod, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	topics := kafka.DefaultTopics()
	if _, err := kafka.EnsureTopics(ctx, kadm.NewClient(prod), 1, 1, nil, topics.Events, topics.Results); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := range 40 {
		e := engine.Event{ID: fmt.Sprintf("dev-%d", i), Device: "dev", Time: start + int64(i)*500, Category: "cat-1", M1: int64(i), M2: 1}
		rec := &kgo.Record{Topic: topics.Events, Key: []byte(e.Device), Value: e.AppendPipe(nil), Timestamp: time.UnixMilli(e.Time)}
		if err := prod.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	sink := &failingSink{calls: make(chan string, 1024)}
	m := startRunner(t, ctx, Config{Events: topics.Events, Results: topics.Results, Engine: engine.DefaultConfig(), Clock: bus.VirtualClock,
		Sink: sink, NoKafkaResults: true, Tick: 5 * time.Millisecond}, kc)
	watch := m.latest
	for range 10 { // ten failed writes: the sink kept failing over several ticks
		select {
		case run := <-sink.calls:
			if run != "" {
				t.Errorf("results of untagged events written with run %q, want \"\" (external)", run)
			}
		case <-ctx.Done():
			t.Fatal("the engine never wrote to its sink")
		}
	}
	m.stop()
	err = <-m.done
	m.done <- nil // for the cleanup
	if err == nil || !strings.Contains(err.Error(), "not written") {
		t.Errorf("stopped with results unwritten: Run returned %v, want an error saying they were not written", err)
	}
	if st := watch.Peek().Engine; st == nil || st.Produced == 0 {
		t.Fatalf("no results: %+v", st)
	}
	logged := map[string]int{}
	for _, l := range watch.Peek().Logs {
		if strings.Contains(l.Text, "sink:") {
			logged[l.Text]++
		}
	}
	for text, n := range logged {
		if n != 1 {
			t.Errorf("sink error logged %d times, want once: %s", n, text)
		}
	}
	if len(logged) == 0 {
		t.Error("the sink's error was never logged")
	}
}

// A result's record key and value, written into shared blocks, are its
// Key.String and AppendJSON, and stay so while later results fill the block
// and the next ones (nothing handed out is written again).
func TestResultBytesAreTheKeyAndJSONAndStay(t *testing.T) {
	r := &Runner{}
	type out struct {
		key, value []byte
		res        engine.Result
	}
	var all []out
	for i := range 3000 { // several blocks
		res := engine.Result{Key: engine.Key{Device: fmt.Sprintf("dev-%d\"é", i), Category: "cat|" + strings.Repeat("x", i%300),
			WindowEnd: int64(i) * 5000}, Agg: engine.Agg{M1: int64(i), M2: float64(i) / 7, Count: 3}, Engine: "e", Incomplete: i%2 == 0}
		k, v := r.resultBytes(&res)
		all = append(all, out{k, v, res})
	}
	for i, o := range all {
		if string(o.key) != o.res.Key.String() || string(o.value) != string(o.res.AppendJSON(nil)) {
			t.Fatalf("result %d: key %q value %q, want %q and %q", i, o.key, o.value, o.res.Key.String(), o.res.AppendJSON(nil))
		}
		if cap(o.key) != len(o.key) || cap(o.value) != len(o.value) {
			t.Fatalf("result %d: room to append into the block (key cap %d, value cap %d)", i, cap(o.key), cap(o.value))
		}
	}
}
