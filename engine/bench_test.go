package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// benchEvents draws n events of `devices` devices in send order at `rate`
// events/s of event time in all, 5% duplicates, no late events (the steady
// state the targets talk about), device time = send time.
func benchEvents(n, devices int, rate float64) []engine.Event {
	r := rand.New(rand.NewPCG(34, 1))
	ids := make([]string, devices)
	for d := range ids {
		ids[d] = fmt.Sprintf("%08x-0c0f-403a-beca-77db1decc360", r.Uint32())
	}
	seq := make([]int, devices)
	var out []engine.Event
	t := float64(1767225600000)
	for len(out) < n {
		d := r.IntN(devices)
		t += r.Float64() * 2000 / rate
		// Device and category strings are shared, as a decoder that interns
		// them hands them over.
		ev := engine.Event{ID: ids[d] + "-" + strconv.Itoa(seq[d]), Device: ids[d], Time: int64(t),
			Category: benchCats[r.IntN(4)], M1: int64(r.IntN(100)), M2: r.Float64() * 500}
		seq[d]++
		out = append(out, ev)
		if r.Float64() < 0.05 && len(out) > 10 {
			dup := out[len(out)-1-r.IntN(10)]
			out = append(out, dup)
		}
	}
	return out[:n]
}

var benchCats = [4]string{"cat-1", "cat-2", "cat-3", "cat-4"}

// naive is the peer: the aggregator anyone writes first, a map keyed by
// window, device and category, and a per-window set of the ids seen.
type naive struct {
	win  int64
	aggs map[naiveKey]*engine.Agg
	seen map[int64]map[string]struct{}
}

type naiveKey struct {
	end              int64
	device, category string
}

func newNaive(win time.Duration) *naive {
	return &naive{win: win.Milliseconds(), aggs: map[naiveKey]*engine.Agg{}, seen: map[int64]map[string]struct{}{}}
}

func (n *naive) add(ev engine.Event) {
	end := engine.WindowEnd(ev.Time, n.win)
	ids := n.seen[end]
	if ids == nil {
		ids = map[string]struct{}{}
		n.seen[end] = ids
	}
	if _, dup := ids[ev.ID]; dup {
		return
	}
	ids[ev.ID] = struct{}{}
	k := naiveKey{end, ev.Device, ev.Category}
	a := n.aggs[k]
	if a == nil {
		a = &engine.Agg{}
		n.aggs[k] = a
	}
	a.Add(ev.M1, ev.M2)
}

// closeBefore drops the windows that end at or before h, as a streaming
// aggregator must to stay bounded, returning what it drops.
func (n *naive) closeBefore(h int64, out map[engine.Key]engine.Agg) {
	for end := range n.seen {
		if end <= h {
			delete(n.seen, end)
		}
	}
	for k, a := range n.aggs {
		if k.end <= h {
			if out != nil {
				out[engine.Key{Device: k.device, Category: k.category, WindowEnd: k.end}] = *a
			}
			delete(n.aggs, k)
		}
	}
}

const benchN = 1 << 16

// runEngine feeds evs to a fresh engine (event time, watermark, dedup) and
// returns its final results per key.
func runEngine(tb testing.TB, e *engine.Engine, evs []engine.Event, out []engine.Result) []engine.Result {
	for _, ev := range evs {
		e.Ingest(0, ev.Time, ev)
		out = e.Drain(out[:0])
	}
	return out
}

func TestEngineMatchesTheNaivePeer(t *testing.T) {
	evs := benchEvents(benchN, 3, 2000)
	e, err := engine.New(engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := map[engine.Key]engine.Agg{}
	var buf []engine.Result
	for _, ev := range evs {
		e.Ingest(0, ev.Time, ev)
		for _, r := range e.Drain(buf[:0]) {
			got[r.Key] = r.Agg
		}
	}
	e.Flush()
	for _, r := range e.Drain(nil) {
		got[r.Key] = r.Agg
	}
	n := newNaive(5 * time.Second)
	for _, ev := range evs {
		n.add(ev)
	}
	want := map[engine.Key]engine.Agg{}
	n.closeBefore(1<<62, want)
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("engine has %d keys, naive %d", len(got), len(want))
	}
	for k, w := range want {
		if g := got[k]; g.M1 != w.M1 || g.Count != w.Count {
			t.Fatalf("%v: engine %+v, naive %+v", k, g, w)
		}
	}
}

// BenchmarkEngine is the engine alone on decoded events (event time,
// watermark, dedup on), against the naive peer on the same events.
func BenchmarkEngine(b *testing.B) {
	evs := benchEvents(benchN, 100, 100_000)
	b.Run("streamtop", func(b *testing.B) {
		e, _ := engine.New(engine.DefaultConfig())
		var out []engine.Result
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			ev := evs[i%len(evs)]
			ev.Time += int64(i/len(evs)) * 3_600_000 // later laps are later in time
			e.Ingest(0, ev.Time, ev)
			out = e.Drain(out[:0])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("naive", func(b *testing.B) {
		n := newNaive(5 * time.Second)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			ev := evs[i%len(evs)]
			ev.Time += int64(i/len(evs)) * 3_600_000
			n.add(ev)
			if i%1024 == 0 {
				n.closeBefore(ev.Time-2000, nil) // stay bounded, as a stream must
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// lap feeds one lap of evs, shifted by lap hours so every lap opens new
// windows, to ingest.
func lap(evs []engine.Event, n int, ingest func(engine.Event)) {
	shift := int64(n) * 3_600_000
	for _, ev := range evs {
		ev.Time += shift
		ingest(ev)
	}
}

// BenchmarkEngineVsNaive alternates laps of the engine and of the naive
// peer on the same events, so both see the same machine: it reports each
// one's ns/event and their ratio (target: naive-ratio ≥ 2).
func BenchmarkEngineVsNaive(b *testing.B) {
	evs := benchEvents(benchN, 100, 100_000)
	e, _ := engine.New(engine.DefaultConfig())
	n := newNaive(5 * time.Second)
	var out []engine.Result
	var te, tn time.Duration
	laps := 0
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		lap(evs, laps, func(ev engine.Event) {
			e.Ingest(0, ev.Time, ev)
			out = e.Drain(out[:0])
		})
		te += time.Since(start)
		start = time.Now()
		i := 0
		lap(evs, laps, func(ev engine.Event) {
			n.add(ev)
			if i++; i%1024 == 0 {
				n.closeBefore(ev.Time-2000, nil)
			}
		})
		tn += time.Since(start)
		laps++
	}
	events := float64(laps * len(evs))
	b.ReportMetric(float64(te.Nanoseconds())/events, "engine-ns/event")
	b.ReportMetric(float64(tn.Nanoseconds())/events, "naive-ns/event")
	b.ReportMetric(float64(tn)/float64(te), "naive-ratio")
}

// encodedEvents is evs as JSON lines, as they arrive from Kafka.
func encodedEvents(evs []engine.Event) [][]byte {
	out := make([][]byte, len(evs))
	for i, ev := range evs {
		out[i] = ev.AppendJSON(nil)
	}
	return out
}

// BenchmarkDecode is decoding alone: the floor of decode + engine.
func BenchmarkDecode(b *testing.B) {
	lines := encodedEvents(benchEvents(1<<14, 100, 100_000))
	b.Run("streamtop", func(b *testing.B) {
		d := engine.NewDecoder()
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.Decode(lines[i%len(lines)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("encoding-json", func(b *testing.B) {
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			if _, err := engine.DecodeEventStd(lines[i%len(lines)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkDecodeEngine is decode + engine on one core, alternating with
// decode alone on the same lines: events/s of both and their ratio
// (targets: ≥ 1.5 M events/s, decode-ratio ≥ 0.5).
func BenchmarkDecodeEngine(b *testing.B) {
	evs := benchEvents(benchN, 100, 100_000)
	lines := encodedEvents(evs)
	d := engine.NewDecoder()
	e, _ := engine.New(engine.DefaultConfig())
	var out []engine.Result
	var tde, td time.Duration
	laps := 0
	b.ReportAllocs()
	for b.Loop() {
		shift := int64(laps) * 3_600_000
		start := time.Now()
		for _, l := range lines {
			ev, err := d.Decode(l)
			if err != nil {
				b.Fatal(err)
			}
			ev.Time += shift
			e.Ingest(0, ev.Time, ev)
			out = e.Drain(out[:0])
		}
		tde += time.Since(start)
		start = time.Now()
		for _, l := range lines {
			if _, err := d.Decode(l); err != nil {
				b.Fatal(err)
			}
		}
		td += time.Since(start)
		laps++
	}
	events := float64(laps * len(lines))
	b.ReportMetric(events/tde.Seconds(), "events/s")
	b.ReportMetric(events/td.Seconds(), "decode-events/s")
	b.ReportMetric(float64(td)/float64(tde), "decode-ratio")
}
