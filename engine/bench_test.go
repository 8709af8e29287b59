package engine_test

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/internal/perf"
)

// The fast path gives the naive peer's results on the same events.
func TestEngineMatchesTheNaivePeer(t *testing.T) {
	evs := perf.Events(1<<16, 10, 500)
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
	n := perf.NewNaive(5 * time.Second)
	want := map[engine.Key]engine.Agg{}
	for _, ev := range evs {
		n.Add(ev)
		n.CloseBefore(ev.Time-2000, want) // what the peer drops is final
	}
	n.CloseBefore(1<<62, want)
	if len(got) != len(want) || len(want) < 100 {
		t.Fatalf("engine has %d keys, naive %d", len(got), len(want))
	}
	for k, w := range want {
		if g := got[k]; g.M1 != w.M1 || g.Count != w.Count {
			t.Fatalf("%v: engine %+v, naive %+v", k, g, w)
		}
	}
}

// BenchmarkEngine is the engine alone on decoded events (event time,
// watermark, dedup on) handed over a fetch at a time, and the naive peer
// on the same events one by one: compare their ns/op (benchstat), or see
// BenchmarkEngineVsNaive for the ratio.
func BenchmarkEngine(b *testing.B) {
	evs := perf.Events(perf.LapEvents, 100, perf.LapRate)
	b.Run("streamtop", func(b *testing.B) {
		f := perf.NewEngineFeeder()
		benchLaps(b, evs, f.AddBatch)
	})
	b.Run("naive", func(b *testing.B) {
		n := perf.NewNaive(5 * time.Second)
		benchLaps(b, evs, func(evs []engine.Event) {
			for _, ev := range evs {
				n.Add(ev)
			}
		})
	})
}

// benchLaps feeds b.N events of evs, lap after lap, to add in batches of
// perf.FetchSize (an op is one event), after a lap outside the clock: the
// tables grow to their steady size then.
func benchLaps(b *testing.B, evs []engine.Event, add func([]engine.Event)) {
	perf.LapBatches(evs, 0, perf.FetchSize, add)
	buf := make([]engine.Event, 0, perf.FetchSize)
	i := len(evs)
	b.ReportAllocs()
	for b.Loop() {
		ev := evs[i%len(evs)]
		ev.Time += int64(i/len(evs)) * 3_600_000 // later laps are later in time
		if buf = append(buf, ev); len(buf) == cap(buf) {
			add(buf)
			buf = buf[:0]
		}
		i++
	}
	if len(buf) > 0 {
		add(buf)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEngineVsNaive times laps of the engine and of the naive peer on
// the same events, in turns, so both see the same machine and neither
// finds its tables still in cache from its previous lap: each one's
// ns/event and their ratio (target: naive-ratio ≥ 2). A collection runs
// before each lap, outside the clocks, so neither pays for the other's
// garbage; a first lap of each, untimed, grows their tables.
func BenchmarkEngineVsNaive(b *testing.B) {
	t := perf.NewTurns()
	var te, tn time.Duration
	laps := 1
	b.ReportAllocs()
	for b.Loop() {
		te += timedLap(b, func() { t.Engine(laps) })
		tn += timedLap(b, func() { t.Naive(laps) })
		laps++
	}
	events := float64((laps - 1) * len(t.Evs))
	b.ReportMetric(float64(te.Nanoseconds())/events, "engine-ns/event")
	b.ReportMetric(float64(tn.Nanoseconds())/events, "naive-ns/event")
	b.ReportMetric(float64(tn)/float64(te), "naive-ratio")
}

func timedLap(b *testing.B, lap func()) time.Duration {
	b.StopTimer()
	runtime.GC()
	b.StartTimer()
	start := time.Now()
	lap()
	return time.Since(start)
}

// BenchmarkDecode is decoding alone: the floor of decode + engine.
func BenchmarkDecode(b *testing.B) {
	lines := perf.Encode(perf.Events(1<<14, 100, 100_000))
	for _, c := range []struct {
		name   string
		decode func([]byte) (engine.Event, error)
	}{{"streamtop", engine.NewDecoder().Decode}, {"encoding-json", engine.DecodeEventStd}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkDecodeVsStd decodes the same lines with streamtop's decoder
// and with encoding/json, in turns: their ratio (how much the choice of
// decoder buys).
func BenchmarkDecodeVsStd(b *testing.B) {
	lines := perf.Encode(perf.Events(1<<14, 100, 100_000))
	d := engine.NewDecoder()
	var ts, tj time.Duration
	laps := 0
	for b.Loop() {
		for _, c := range []struct {
			decode func([]byte) (engine.Event, error)
			t      *time.Duration
		}{{d.Decode, &ts}, {engine.DecodeEventStd, &tj}} {
			start := time.Now()
			if err := perf.DecodeAll(lines, c.decode); err != nil {
				b.Fatal(err)
			}
			*c.t += time.Since(start)
		}
		laps++
	}
	events := float64(laps * len(lines))
	b.ReportMetric(events/ts.Seconds(), "events/s")
	b.ReportMetric(events/tj.Seconds(), "encoding-json-events/s")
	b.ReportMetric(float64(tj)/float64(ts), "encoding-json-ratio")
}

// BenchmarkDecodeEngine is decode + engine on one core, in turns with
// decode alone on the same lines: events/s of both and their ratio
// (targets: ≥ 1.5 M events/s, decode-ratio ≥ 0.5).
func BenchmarkDecodeEngine(b *testing.B) {
	lines := perf.Encode(perf.Events(perf.LapEvents, 100, perf.LapRate))
	d := engine.NewDecoder()
	f := perf.NewEngineFeeder()
	if err := f.DecodeLap(lines, d, 0); err != nil { // untimed: the tables grow
		b.Fatal(err)
	}
	var tde, td, cpu time.Duration
	laps := 1
	b.ReportAllocs()
	for b.Loop() {
		start, cpuStart := time.Now(), processCPU(b)
		if err := f.DecodeLap(lines, d, laps); err != nil {
			b.Fatal(err)
		}
		tde += time.Since(start)
		cpu += processCPU(b) - cpuStart
		start = time.Now()
		if err := perf.DecodeAll(lines, d.Decode); err != nil {
			b.Fatal(err)
		}
		td += time.Since(start)
		laps++
	}
	events := float64((laps - 1) * len(lines))
	b.ReportMetric(events/tde.Seconds(), "events/s")
	b.ReportMetric(events/td.Seconds(), "decode-events/s")
	b.ReportMetric(float64(td)/float64(tde), "decode-ratio")
	// CPU time moves far less with the load of others than wall time: the
	// figure to set beside the engine role's (scripts/engine-cpu.sh).
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
}

// processCPU is the CPU time the process has used (user + system).
func processCPU(b *testing.B) time.Duration {
	u, s, err := perf.ProcessCPU(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	return u + s
}

// IngestBatch gives Ingest's outcomes, results and counters on the same
// events, with duplicates and late events, whatever the batch sizes; and
// IngestMerged, on events of several partitions with caught-up flags set
// between them, the watermark after each event as well.
func TestIngestBatchMatchesIngest(t *testing.T) {
	evs := perf.Events(20_000, 7, 300)
	for i := range evs {
		if i%37 == 0 {
			evs[i].Time -= 9000 // late by more than the watermark lag
		}
	}
	one, _ := engine.New(engine.DefaultConfig())
	batch, _ := engine.New(engine.DefaultConfig())
	marks, _ := engine.New(engine.DefaultConfig())
	mixedOne, _ := engine.New(engine.DefaultConfig()) // marks' events one at a time
	rnd := rand.New(rand.NewPCG(3, 4))
	var want, got, wantMixed, gotMarked []engine.Outcome
	var wantWM, gotWM []int64
	var wantRes, gotRes []engine.Result
	for i := 0; i < len(evs); {
		n := min(1+i%53, len(evs)-i) // batches of 1 to 53 events
		arrivals := make([]int64, n) // one each, or one for all
		for k := range arrivals {
			arrivals[k] = evs[i+k].Time + int64(k%3)
		}
		if i%2 == 0 {
			arrivals = arrivals[:1]
		}
		for k, ev := range evs[i : i+n] {
			want = append(want, one.Ingest(int32(i%2), arrivals[min(k, len(arrivals)-1)], ev))
		}
		got = batch.IngestBatch(int32(i%2), arrivals, evs[i:i+n], got)
		if rnd.IntN(4) == 0 { // flags alone
			f := engine.CaughtUpAt{Part: int32(rnd.IntN(2)), CaughtUp: rnd.IntN(2) == 0}
			mixedOne.SetCaughtUp(f.Part, f.CaughtUp)
			gotMarked, gotWM = marks.IngestMerged(nil, nil, nil, []engine.CaughtUpAt{f}, gotMarked, gotWM)
		}
		parts, each := make([]int32, n), make([]int64, n) // IngestMerged: a partition and an arrival each
		var flags []engine.CaughtUpAt                     // and caught-up flags set within the batch, after its last event too
		for k := range n + 1 {
			if rnd.IntN(5) == 0 {
				f := engine.CaughtUpAt{Before: k, Part: int32(rnd.IntN(2)), CaughtUp: rnd.IntN(3) != 0}
				flags = append(flags, f)
				mixedOne.SetCaughtUp(f.Part, f.CaughtUp)
			}
			if k == n {
				break
			}
			parts[k], each[k] = int32((i+k)/2500%2), arrivals[min(k, len(arrivals)-1)] // silent longer than idle in turns
			wantMixed = append(wantMixed, mixedOne.Ingest(parts[k], each[k], evs[i+k]))
			wantWM = append(wantWM, mixedOne.Watermark())
		}
		gotMarked, gotWM = marks.IngestMerged(parts, each, evs[i:i+n], flags, gotMarked, gotWM)
		wantRes, gotRes = one.Drain(wantRes), batch.Drain(gotRes)
		i += n
	}
	if !slices.Equal(want, got) {
		t.Fatal("IngestBatch outcomes differ from Ingest's")
	}
	if !slices.Equal(wantMixed, gotMarked) || !slices.Equal(wantWM, gotWM) {
		t.Fatal("IngestMerged: the outcomes or watermarks differ from Ingest's, event by event")
	}
	if ms, mm := mixedOne.Stats(), marks.Stats(); ms != mm {
		t.Fatalf("IngestMerged: stats %+v, one at a time %+v", mm, ms)
	}
	if !slices.Equal(wantRes, gotRes) || len(wantRes) == 0 {
		t.Fatalf("results differ: %d vs %d", len(wantRes), len(gotRes))
	}
	ws, gs := one.Stats(), batch.Stats()
	if ws != gs || ws.Late == 0 || ws.Duplicates == 0 {
		t.Fatalf("stats differ or miss a case: %+v vs %+v", ws, gs)
	}
}
