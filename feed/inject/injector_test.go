package inject

import (
	"context"
	"github.com/streamtop/streamtop/feed/kafka/kafkatest"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// setup starts a broker with topic "events" of parts partitions and an
// injector on it (not running).
func setup(t *testing.T, ctx context.Context, parts int32, cfg Config) (*Injector, kafka.Config, *kadm.Client) {
	t.Helper()
	b := kafkatest.Start(t, ctx, parts, "events")
	kc, cl, adm := b.Config, b.Prod, b.Adm
	controls, err := bus.NewControls(bus.Settings{Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Topic, cfg.Window, cfg.Session = "events", 5*time.Second, "s"
	in, err := New(cfg, Deps{Client: cl, Bus: bus.NewBus(), Controls: controls})
	if err != nil {
		t.Fatal(err)
	}
	return in, kc, adm
}

// run runs the injector until the test ends.
func run(t *testing.T, ctx context.Context, in *Injector) {
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// read hands every record of "events" (partitions added later included)
// to the returned channel.
func read(t *testing.T, ctx context.Context, kc kafka.Config) <-chan *kgo.Record {
	cl, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *kgo.Record, 1<<16)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l := kafka.Loop{Client: cl, Assign: []string{"events"}, Discover: 50 * time.Millisecond, Wait: 50 * time.Millisecond}
		l.Run(rctx, func(fs kgo.Fetches) {
			fs.EachRecord(func(r *kgo.Record) {
				select {
				case out <- r:
				case <-rctx.Done():
				}
			})
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cl.Close()
	})
	return out
}

// marker is a verified marker: its kind and partition.
type marker struct {
	kind string
	p    int32
}

// check verifies rec's run header with key: an event's (EventHeader) or a
// marker's (MarkerHeader); it returns the marker, if rec is one.
func check(t *testing.T, key kafka.RunKey, rec *kgo.Record) (marker, bool) {
	t.Helper()
	runV, _ := kafka.Header(rec, kafka.HeaderRun)
	for _, kind := range []string{kafka.HeaderClock, kafka.HeaderEnd} {
		if v, ok := kafka.Header(rec, kind); ok {
			if tag, ok := key.VerifyMarker(runV, kind, v, rec.Partition); !ok || tag != "s/0" {
				t.Fatalf("%s marker on partition %d: run header %q does not verify", kind, rec.Partition, runV)
			}
			return marker{kind, rec.Partition}, true
		}
	}
	if tag, ok := key.VerifyEvent(runV); !ok || tag != "s/0" {
		t.Fatalf("event on partition %d: run header %q does not verify", rec.Partition, runV)
	}
	return marker{}, false
}

// Every event carries the run key's event header, every marker a header
// bound to its kind, value and partition.
func TestInjectorSignsEventsAndMarkers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, _ := kafka.NewRunKey()
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 3, 50
	in, kc, _ := setup(t, ctx, 2, Config{Generator: gc, Clock: bus.VirtualClock, RunKey: key, EndMarker: true, ClockMarkers: true})
	run(t, ctx, in)
	recs := read(t, ctx, kc)
	events, ends, clocks := 0, map[int32]bool{}, 0
	for len(ends) < 2 {
		select {
		case rec := <-recs:
			m, ok := check(t, key, rec)
			switch {
			case !ok:
				events++
			case m.kind == kafka.HeaderEnd:
				ends[m.p] = true
			default:
				clocks++
			}
		case <-ctx.Done():
			t.Fatalf("end markers on %v only", ends)
		}
	}
	if events < 150 || clocks == 0 {
		t.Fatalf("%d events, %d clock markers: want every event (≥ 150) and clock markers", events, clocks)
	}
}

// Defect 18: the injector wrote markers only to the partitions the topic
// had at its start, so an engine reading partitions added during the run
// waited for them forever. It reads the count again as it goes and marks
// every partition, the new ones included.
func TestInjectorMarksPartitionsAddedDuringTheRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, _ := kafka.NewRunKey()
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 2, 0 // unbounded, paced
	in, kc, adm := setup(t, ctx, 2, Config{Generator: gc, Clock: bus.VirtualClock, Speed: 20, RunKey: key,
		EndMarker: true, ClockMarkers: true, PartitionCheck: 50 * time.Millisecond})
	run(t, ctx, in)
	recs := read(t, ctx, kc)
	seen := map[marker]bool{}
	waitFor := func(what string, want ...marker) {
		t.Helper()
		for {
			all := true
			for _, m := range want {
				all = all && seen[m]
			}
			if all {
				return
			}
			select {
			case rec := <-recs:
				if m, ok := check(t, key, rec); ok {
					seen[m] = true
				}
			case <-ctx.Done():
				t.Fatalf("%s: markers seen %v", what, seen)
			}
		}
	}
	waitFor("a clock marker before the new partitions", marker{kafka.HeaderClock, 0})
	if _, err := adm.CreatePartitions(ctx, 2, "events"); err != nil {
		t.Fatal(err)
	}
	waitFor("clock markers on the new partitions", marker{kafka.HeaderClock, 2}, marker{kafka.HeaderClock, 3})
	in.Stop(0)
	<-in.Finished()
	waitFor("end markers on every partition", marker{kafka.HeaderEnd, 0}, marker{kafka.HeaderEnd, 1},
		marker{kafka.HeaderEnd, 2}, marker{kafka.HeaderEnd, 3})
	if n := in.failed.Load(); n != 0 {
		t.Fatalf("%d records refused (a marker for a partition the producer did not know yet)", n)
	}
}

// Each run says where it begins (for peers restarted on a reset): after
// every record of the run before, before any record of its own.
func TestInjectorPublishesWhereEachRunStarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 3, 40
	in, kc, _ := setup(t, ctx, 2, Config{Generator: gc, Clock: bus.VirtualClock, EndMarker: true, PublishStart: true})
	starts := in.deps.Bus.Subscribe(8, func(m any) bool { _, ok := m.(*bus.RunStart); return ok })
	run(t, ctx, in)
	next := func() *bus.RunStart {
		select {
		case m := <-starts.C():
			return m.(*bus.RunStart)
		case <-ctx.Done():
			t.Fatal("no RunStart")
			return nil
		}
	}
	if s := next(); s.Run != 0 || s.Tag != "s/0" || s.Topic != "events" || s.Offsets[0] != 0 || s.Offsets[1] != 0 {
		t.Fatalf("run 0 starts at %+v", s)
	}
	recs := read(t, ctx, kc)
	ends := map[int32]int64{} // partition → offset of its end marker + 1
	for len(ends) < 2 {
		select {
		case rec := <-recs:
			if _, ok := kafka.Header(rec, kafka.HeaderEnd); ok {
				ends[rec.Partition] = rec.Offset + 1
			}
		case <-ctx.Done():
			t.Fatal("run 0 did not end")
		}
	}
	in.deps.Controls.Apply(bus.Reset)
	s := next()
	if s.Run != 1 || s.Tag != "s/1" || s.Offsets[0] != ends[0] || s.Offsets[1] != ends[1] {
		t.Fatalf("run 1 starts at %+v, run 0 ended at %v", s, ends)
	}
	// The first record at each start offset is run 1's.
	for got := 0; got < 2; {
		select {
		case rec := <-recs:
			if rec.Offset != s.Offsets[rec.Partition] {
				continue
			}
			if v, _ := kafka.Header(rec, kafka.HeaderRun); v != "s/1" {
				t.Fatalf("record at run 1's start on partition %d has run header %q", rec.Partition, v)
			}
			got++
		case <-ctx.Done():
			t.Fatal("run 1 wrote nothing")
		}
	}
}
