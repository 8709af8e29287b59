package inject

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/sim"
)

// recordKnobs: duplicates and late events on, so the recording holds both.
var recordKnobs = sim.Knobs{Dup: 0.1, Late: 0.05, Rate: 20}

// withKnobs gives in controls set to k.
func withKnobs(t *testing.T, in *Injector, k sim.Knobs) {
	t.Helper()
	c, err := bus.NewControls(bus.Settings{Rate: k.Rate, Dup: bus.NewToggle(k.Dup), Late: bus.NewToggle(k.Late), OOO: bus.NewToggle(k.OOO)})
	if err != nil {
		t.Fatal(err)
	}
	in.deps.Controls = c
}

// wantRecorded is the file a recording of gc's run must be: every event the
// generator makes, in its send order, in the replay's JSON-lines form.
func wantRecorded(t *testing.T, gc sim.GeneratorConfig, k sim.Knobs) (file string, dups, late int) {
	t.Helper()
	g, err := sim.NewGenerator(gc, k)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for s, ok := g.Next(); ok; s, ok = g.Next() {
		b = append(sim.AppendRecorded(b, s), '\n')
		if s.Kind == sim.Repeat {
			dups++
		} else if s.Late {
			late++
		}
	}
	return string(b), dups, late
}

// The file holds every event sent, in send order with its send time, and
// is complete (flushed, closed) when the run's input ends: before the
// final truth, without anyone closing it.
func TestRecorderWritesEverySentEventInSendOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 3, 100
	in, _, _ := setup(t, ctx, 2, Config{Generator: gc, Clock: bus.VirtualClock, EndMarker: true, Record: rec})
	withKnobs(t, in, recordKnobs)
	var atFinal []byte // the file when the final truth is published (on the injector's goroutine)
	in.deps.Bus.Subscribe(1, func(m any) bool {
		if tb, ok := m.(*bus.TruthBatch); ok && tb.Done {
			atFinal, _ = os.ReadFile(path)
		}
		return false
	})
	run(t, ctx, in)
	select {
	case <-in.Finished():
	case <-ctx.Done():
		t.Fatal("the run did not finish")
	}
	want, dups, late := wantRecorded(t, gc, recordKnobs)
	if dups == 0 || late == 0 {
		t.Fatalf("%d duplicates, %d late: the recording would prove little", dups, late)
	}
	if got := string(atFinal); got != want {
		t.Fatalf("recorded %d bytes, want %d:\n%.400s\nwant:\n%.400s", len(got), len(want), got, want)
	}
	if rec.Events() != int64(300+dups) {
		t.Fatalf("%d events recorded, want %d", rec.Events(), 300+dups)
	}
}

// A reset ends the recording: the file holds the first run only (a second
// run appended would replay as neither).
func TestRecorderStopsAtAReset(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 2, 0 // unbounded, paced: reset mid-run
	in, _, _ := setup(t, ctx, 1, Config{Generator: gc, Clock: bus.VirtualClock, Speed: 50, EndMarker: true, Record: rec})
	statuses := in.deps.Bus.Subscribe(1024, func(m any) bool { _, ok := m.(*bus.InjectorStatus); return ok })
	run(t, ctx, in)
	waitSent := func(run int) {
		t.Helper()
		for {
			select {
			case m := <-statuses.C():
				if st := m.(*bus.InjectorStatus); st.Run == run && st.Sent > 0 {
					return
				}
			case <-ctx.Done():
				t.Fatalf("run %d sent nothing", run)
			}
		}
	}
	waitSent(0)
	in.deps.Controls.Apply(bus.Reset)
	waitSent(1)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if int64(len(lines)) != rec.Events() || len(lines) == 0 {
		t.Fatalf("%d lines, %d events recorded", len(lines), rec.Events())
	}
	g, err := sim.NewGenerator(gc, sim.Knobs{Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines { // run 0's events, in order, and nothing else
		s, _ := g.Next()
		if want := string(sim.AppendRecorded(nil, s)); l != want {
			t.Fatalf("line %d: %s, want run 0's %s", i+1, l, want)
		}
	}
}

// A file that cannot be written is an error the injector logs and Close
// returns, never a panic; the run goes on.
func TestRecorderWriteErrorIsLoggedAndReturned(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec, err := CreateRecorder("/dev/full")
	if err != nil {
		t.Fatal(err)
	}
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 3, 2000 // over the write buffer: the error comes mid-run
	in, _, _ := setup(t, ctx, 1, Config{Generator: gc, Clock: bus.VirtualClock, EndMarker: true, Record: rec})
	logs := in.deps.Bus.Subscribe(1024, func(m any) bool { e, ok := m.(bus.LogEntry); return ok && e.Level == bus.Error })
	run(t, ctx, in)
	select {
	case <-in.Finished():
	case <-ctx.Done():
		t.Fatal("the run did not finish")
	}
	var texts []string
	for len(logs.C()) > 0 {
		texts = append(texts, (<-logs.C()).(bus.LogEntry).Text)
	}
	if len(texts) != 1 || !strings.Contains(texts[0], "record /dev/full") || !strings.Contains(texts[0], "no space left") {
		t.Fatalf("error logs %q: want one naming the file and the cause", texts)
	}
	if err := rec.Close(); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Close: %v", err)
	}
}

// An injector stopped mid-run (quit) leaves a file of whole lines: what
// was sent, flushed and closed.
func TestRecorderIsClosedWhenTheInjectorStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var buf bytes.Buffer
	rec := NewRecorder(&buf, "buffer")
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 2, 0
	in, _, _ := setup(t, ctx, 1, Config{Generator: gc, Clock: bus.VirtualClock, Speed: 50, Record: rec})
	statuses := in.deps.Bus.Subscribe(1024, func(m any) bool { st, ok := m.(*bus.InjectorStatus); return ok && st.Sent > 0 })
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(rctx) }()
	select {
	case <-statuses.C():
	case <-ctx.Done():
		t.Fatal("nothing sent")
	}
	stop()
	<-done
	if rec.Events() == 0 || buf.Len() == 0 {
		t.Fatalf("%d events recorded, %d bytes in the file: want what was sent, flushed", rec.Events(), buf.Len())
	}
	r := sim.NewReplay(&buf, "buffer")
	n := int64(0)
	for _, ok := r.Next(); ok; _, ok = r.Next() {
		n++
	}
	if bad, err := r.Malformed(); bad != 0 || n != rec.Events() {
		t.Fatalf("%d events read back, %d recorded, %d malformed (%v)", n, rec.Events(), bad, err)
	}
}

// Recording costs no allocation per event once its line buffer has grown:
// the encoding appends into it and the writer copies.
func TestRecorderWritesWithoutAllocating(t *testing.T) {
	g, err := sim.NewGenerator(sim.DefaultGeneratorConfig(), recordKnobs)
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]sim.Sent, 256)
	for i := range batch {
		batch[i], _ = g.Next()
	}
	rec := NewRecorder(io.Discard, "discard")
	rec.write(batch)
	if n := testing.AllocsPerRun(20, func() { rec.write(batch) }); n != 0 {
		t.Fatalf("%v allocations per batch of %d", n, len(batch))
	}
}
