// Package perf holds what the benchmarks share: generated events, the
// naive aggregator that is the engine's peer, and the stages `streamtop
// bench` and `go test -bench` both time. Everything here runs on one
// goroutine, with no I/O.
package perf

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// Events draws n events of `devices` devices in send order, at `rate`
// events/s of event time in all, 5% duplicates of one of the last ten
// events, no late ones (the steady state the targets talk about), device
// time = send time. Device and category strings are shared, as a decoder
// that interns them hands them over.
func Events(n, devices int, rate float64) []engine.Event {
	r := rand.New(rand.NewPCG(34, 1))
	ids := make([]string, devices)
	for d := range ids {
		ids[d] = fmt.Sprintf("%08x-0c0f-403a-beca-77db1decc360", r.Uint32())
	}
	seq := make([]int, devices)
	out := make([]engine.Event, 0, n)
	t := float64(1767225600000)
	for len(out) < n {
		d := r.IntN(devices)
		t += r.Float64() * 2000 / rate
		ev := engine.Event{ID: ids[d] + "-" + strconv.Itoa(seq[d]), Device: ids[d], Time: int64(t),
			Category: categories[r.IntN(4)], M1: int64(r.IntN(100)), M2: r.Float64() * 500}
		seq[d]++
		out = append(out, ev)
		if r.Float64() < 0.05 && len(out) > 10 {
			out = append(out, out[len(out)-1-r.IntN(10)])
		}
	}
	return out[:n]
}

var categories = [4]string{"cat-1", "cat-2", "cat-3", "cat-4"}

// Encode renders events as the JSON lines they are on Kafka.
func Encode(evs []engine.Event) [][]byte {
	out := make([][]byte, len(evs))
	for i, ev := range evs {
		out[i] = ev.AppendJSON(nil)
	}
	return out
}

// Naive is the peer: the aggregator anyone writes first, a map keyed by
// window, device and category, and a per-window set of the ids seen.
type Naive struct {
	win  int64
	aggs map[naiveKey]*engine.Agg
	seen map[int64]map[string]struct{}
	n    int
}

type naiveKey struct {
	end              int64
	device, category string
}

// NewNaive returns an empty peer with tumbling windows of size win.
func NewNaive(win time.Duration) *Naive {
	return &Naive{win: win.Milliseconds(), aggs: map[naiveKey]*engine.Agg{}, seen: map[int64]map[string]struct{}{}}
}

// Add counts ev unless its id was seen in its window. Every 1024 events
// it drops the windows that ended 2 s before the event, as a streaming
// aggregator must to stay bounded.
func (n *Naive) Add(ev engine.Event) {
	end := engine.WindowEnd(ev.Time, n.win)
	ids := n.seen[end]
	if ids == nil {
		ids = map[string]struct{}{}
		n.seen[end] = ids
	}
	if n.n++; n.n%1024 == 0 {
		n.CloseBefore(ev.Time-2000, nil)
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

// CloseBefore drops the windows that end at or before h, adding their
// sums to out (when not nil).
func (n *Naive) CloseBefore(h int64, out map[engine.Key]engine.Agg) {
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

// Lap feeds one lap of evs to ingest, shifted by lap hours so every lap
// opens new windows (a long stream from a finite sample).
func Lap(evs []engine.Event, lap int, ingest func(engine.Event)) {
	shift := int64(lap) * 3_600_000
	for _, ev := range evs {
		ev.Time += shift
		ingest(ev)
	}
}

// LapBatches is Lap handing over batches of size events (as a fetch
// does), in a buffer reused from batch to batch.
func LapBatches(evs []engine.Event, lap, size int, add func([]engine.Event)) {
	shift := int64(lap) * 3_600_000
	buf := make([]engine.Event, 0, size)
	for _, ev := range evs {
		ev.Time += shift
		if buf = append(buf, ev); len(buf) == size {
			add(buf)
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		add(buf)
	}
}

// LapEvents is how many events the engine stages draw and replay lap after
// lap: at 100 K events/s of 100 devices, 5.2 s of event time, so the
// dedup state holds a whole 5 s window of ids as a stream at that rate
// does. (Laps of 64 K events, 0.65 s, never filled a window: the peer's
// per-window sets then stayed small and in cache, as in no real stream,
// and the ratio to it read 1.5-1.7 instead of 2.1-2.5.)
const LapEvents = 1 << 19

// LapRate is the event-time rate of the laps, events/s.
const LapRate = 100_000

// FetchSize is the batch of events the benchmarks hand the engine at once,
// about what one fetch of a partition brings at a high rate.
const FetchSize = 256

// EngineFeeder feeds events to an engine the way the engine runner does:
// ingest, then drain the results.
type EngineFeeder struct {
	E   *engine.Engine
	out []engine.Result
	oc  []engine.Outcome
	arr [1]int64
	buf []engine.Event // DecodeLap's fetch
}

// NewEngineFeeder returns a feeder of a new engine with the default
// configuration (event time, watermark, dedup on).
func NewEngineFeeder() *EngineFeeder {
	e, err := engine.New(engine.DefaultConfig())
	if err != nil {
		panic(err) // the default configuration is valid
	}
	return &EngineFeeder{E: e}
}

// Add ingests ev at its own time and drains the results.
func (f *EngineFeeder) Add(ev engine.Event) {
	f.E.Ingest(0, ev.Time, ev)
	f.out = f.E.Drain(f.out[:0])
}

// AddBatch ingests evs, read when the last of them was sent, and drains
// the results.
func (f *EngineFeeder) AddBatch(evs []engine.Event) {
	f.arr[0] = evs[len(evs)-1].Time
	f.oc = f.E.IngestBatch(0, f.arr[:], evs, f.oc[:0])
	f.out = f.E.Drain(f.out[:0])
}

// Turns are the engine (fed a fetch at a time) and the naive peer on the
// same lap of events, to be timed in turns. Both have run lap 0 already,
// so their tables are at their steady size.
type Turns struct {
	Evs   []engine.Event
	feed  *EngineFeeder
	naive *Naive
}

// NewTurns draws LapEvents events (100 devices at LapRate) and runs the
// first lap of each side.
func NewTurns() *Turns {
	t := &Turns{Evs: Events(LapEvents, 100, LapRate), feed: NewEngineFeeder(), naive: NewNaive(5 * time.Second)}
	t.Engine(0)
	t.Naive(0)
	return t
}

// Engine runs lap (≥ 1 once timed) through the engine.
func (t *Turns) Engine(lap int) { LapBatches(t.Evs, lap, FetchSize, t.feed.AddBatch) }

// Naive runs lap through the peer.
func (t *Turns) Naive(lap int) { Lap(t.Evs, lap, t.naive.Add) }

// DecodeAll decodes every line; generated lines are well formed, so an
// error is a bug in the decoder.
func DecodeAll(lines [][]byte, decode func([]byte) (engine.Event, error)) error {
	for _, l := range lines {
		if _, err := decode(l); err != nil {
			return err
		}
	}
	return nil
}

// DecodeLap decodes lap of lines (shifted by lap hours, as Lap) and feeds
// them a fetch at a time: decode + engine, as the engine runner does.
func (f *EngineFeeder) DecodeLap(lines [][]byte, dec *engine.Decoder, lap int) error {
	shift := int64(lap) * 3_600_000
	if cap(f.buf) < FetchSize {
		f.buf = make([]engine.Event, 0, FetchSize)
	}
	buf := f.buf[:0]
	for i, l := range lines {
		ev, err := dec.Decode(l)
		if err != nil {
			return err
		}
		ev.Time += shift
		if buf = append(buf, ev); len(buf) == cap(buf) || i == len(lines)-1 {
			f.AddBatch(buf)
			buf = buf[:0]
		}
	}
	return nil
}

// Figures are one stage's measurements.
type Figures struct {
	Events  int64
	Elapsed time.Duration
	Allocs  uint64 // heap allocations in all
	Bytes   uint64 // heap bytes allocated in all
}

// PerSecond is the throughput in events/s.
func (f Figures) PerSecond() float64 {
	if f.Elapsed <= 0 {
		return 0
	}
	return float64(f.Events) / f.Elapsed.Seconds()
}

// NsPerEvent is the time per event.
func (f Figures) NsPerEvent() float64 {
	if f.Events == 0 {
		return 0
	}
	return float64(f.Elapsed.Nanoseconds()) / float64(f.Events)
}

// AllocsPerEvent and BytesPerEvent are the heap allocations per event.
func (f Figures) AllocsPerEvent() float64 { return div(f.Allocs, f.Events) }

// BytesPerEvent: see AllocsPerEvent.
func (f Figures) BytesPerEvent() float64 { return div(f.Bytes, f.Events) }

func div(a uint64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(a) / float64(n)
}

// Plus adds two measurements up.
func (f Figures) Plus(g Figures) Figures {
	return Figures{Events: f.Events + g.Events, Elapsed: f.Elapsed + g.Elapsed,
		Allocs: f.Allocs + g.Allocs, Bytes: f.Bytes + g.Bytes}
}

// Time runs run once, collecting first (outside the clock), and returns its
// figures for the given number of events.
func Time(events int, run func()) Figures {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	run()
	el := time.Since(start)
	runtime.ReadMemStats(&after)
	return Figures{Events: int64(events), Elapsed: el,
		Allocs: after.Mallocs - before.Mallocs, Bytes: after.TotalAlloc - before.TotalAlloc}
}
