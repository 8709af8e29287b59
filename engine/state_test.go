package engine_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// liveHeap is the heap still reachable after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// steady feeds 100 devices × 4 categories, 200 events a second of device
// (and arrival) time, from ms from to ms to, draining the results.
func steady(e *engine.Engine, devices []string, from, to int64, out []engine.Result) []engine.Result {
	for t, i := from, 0; t < to; t, i = t+5, i+1 {
		d := devices[i%len(devices)]
		e.Ingest(0, t0+t, ev(d+"-"+strconv.FormatInt(t, 10), d, t0+t, "cat-"+strconv.Itoa(1+i%4), 1, 1))
		if out = e.Drain(out[:0]); cap(out) > 4096 {
			out = nil // the caller's buffer is not the engine's state
		}
	}
	return out
}

// The engine's state is released with its windows: after a burst of
// 200 K new devices, once their windows have closed (and a steady stream
// went on for a few windows), the live heap is back within 2× of what it
// was before the burst.
func TestStateShrinksAfterABurst(t *testing.T) {
	e := newEngine(t, nil)
	devices := make([]string, 100)
	for i := range devices {
		devices[i] = "dev-" + strconv.Itoa(i)
	}
	var out []engine.Result
	out = steady(e, devices, 0, 30_000, out)
	before := liveHeap()

	const burst = 200_000
	for i := range burst {
		d := "burst-" + strconv.Itoa(i)
		e.Ingest(0, t0+30_000, ev(d+"-1", d, t0+30_000+int64(i%4000), "cat-1", 1, 1))
		if i%1000 == 0 {
			out = e.Drain(out[:0])[:0]
		}
	}
	if s := e.Stats(); s.OpenKeys < burst {
		t.Fatalf("the burst did not open its keys: %+v", s)
	}
	out = steady(e, devices, 30_000, 90_000, out)
	if s := e.Stats(); s.OpenKeys > 2000 || s.DedupIDs > 5000 {
		t.Fatalf("the burst's windows did not close: %+v", s)
	}
	after := liveHeap()
	t.Logf("live heap: %d KB before the burst, %d KB after it", before>>10, after>>10)
	if after > 2*before {
		t.Fatalf("live heap %d KB after the burst's windows closed, more than 2× the %d KB before it", after>>10, before>>10)
	}
	runtime.KeepAlive(e) // it is what is measured
	runtime.KeepAlive(devices)
}
