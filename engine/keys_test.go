package engine_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// keyEvents returns n events in one window: n categories of one device,
// or n devices of one category.
func keyEvents(n int, oneDevice bool) []engine.Event {
	evs := make([]engine.Event, n)
	for i := range evs {
		d, c := "dev", "cat-"+strconv.Itoa(i)
		if !oneDevice {
			d, c = "dev-"+strconv.Itoa(i), "cat-1"
		}
		evs[i] = ev(d+"-"+strconv.Itoa(i), d, t0+int64(i%4000), c, int64(i%100), 0.5)
	}
	return evs
}

// Sums are right for 80 K categories of one device, as for 80 K devices:
// every key gets its own sum, a second lap of the same keys adds to them.
func TestManyCategoriesOfOneDevice(t *testing.T) {
	const n = 80_000
	for _, oneDevice := range []bool{true, false} {
		e := newEngine(t, func(c *engine.Config) { c.Dedup = false })
		evs := keyEvents(n, oneDevice)
		for lap := range 2 {
			for i := range evs {
				expectOutcome(t, e.Ingest(0, t0+int64(lap), evs[i]), engine.Accepted, evs[i].ID)
			}
		}
		e.Flush()
		got := e.Drain(nil)
		if len(got) != n {
			t.Fatalf("one device %v: %d results, want %d", oneDevice, len(got), n)
		}
		seen := map[engine.Key]bool{}
		for _, r := range got {
			i, err := strconv.Atoi(r.Category[len("cat-"):])
			if !oneDevice {
				i, err = strconv.Atoi(r.Device[len("dev-"):])
			}
			if err != nil || seen[r.Key] || r.M1 != 2*int64(i%100) || r.Count != 2 || r.M2 != 1 || r.WindowEnd != t0+5000 {
				t.Fatalf("one device %v: wrong or repeated result %s", oneDevice, fmtResults([]engine.Result{r}))
			}
			seen[r.Key] = true
		}
	}
}

// BenchmarkManyCategoriesVsManyDevices ingests n keys of one device and
// n keys of n devices into one window, in turns: the time per event of
// each, and their ratio (target: close to 1; a scan of a device's
// categories makes it grow with n).
func BenchmarkManyCategoriesVsManyDevices(b *testing.B) {
	const n = 20_000
	cats, devs := keyEvents(n, true), keyEvents(n, false)
	var tc, td time.Duration
	laps := 0
	for b.Loop() {
		for _, c := range []struct {
			evs []engine.Event
			t   *time.Duration
		}{{cats, &tc}, {devs, &td}} {
			e, _ := engine.New(engine.DefaultConfig())
			start := time.Now()
			for i := range c.evs {
				e.Ingest(0, t0, c.evs[i])
			}
			*c.t += time.Since(start)
		}
		laps++
	}
	events := float64(laps * n)
	b.ReportMetric(float64(tc.Nanoseconds())/events, "categories-ns/event")
	b.ReportMetric(float64(td.Nanoseconds())/events, "devices-ns/event")
	b.ReportMetric(float64(tc)/float64(td), "categories-ratio")
}

// Past MaxKeys open keys, an event of a new key is shed: counted, not
// aggregated, and every window that shed one reports incomplete results
// (the shed key too, at once), so a comparator keeps them pending and
// finds no exception; keys already open still count, and a window after
// the cap freed up is complete again.
func TestMaxKeysShedsNewKeysAndMarksTheirWindowsIncomplete(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.MaxKeys = 10 })
	cmp, err := compare.New(compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var want []engine.Outcome
	var got []engine.Outcome
	seq := 0
	send := func(arrival int64, dev string, dt int64, o engine.Outcome) {
		seq++
		x := ev(dev+"-"+strconv.Itoa(seq), dev, dt, "cat-1", 1, 1)
		cmp.AddTruth(engine.Key{Device: dev, Category: "cat-1", WindowEnd: engine.WindowEnd(dt, 5000)}, engine.Agg{M1: 1, M2: 1, Count: 1})
		want, got = append(want, o), append(got, e.Ingest(0, arrival, x))
		if s := e.Stats(); s.OpenKeys > 10 {
			t.Fatalf("%d keys open, above MaxKeys 10", s.OpenKeys)
		}
	}
	for i := range 10 { // window t0+5000: 10 keys, the cap
		send(t0+100, "d"+strconv.Itoa(i), t0+100, engine.Accepted)
	}
	send(t0+100, "new", t0+200, engine.Shed)    // an 11th key
	send(t0+100, "d3", t0+300, engine.Accepted) // a key already open
	// Window t0+10000 does not exist yet: shed. Then this event's device
	// time moves the watermark to t0+6000: window t0+5000 closes, freeing
	// its keys.
	send(t0+100, "later", t0+7000, engine.Shed)
	send(t0+6200, "d0", t0+6200, engine.Accepted)        // into t0+10000, born incomplete
	send(t0+6300, "later", t0+7100, engine.Accepted)     // likewise
	send(t0+20_000, "fresh", t0+20_000, engine.Accepted) // window t0+25000: complete
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if s := e.Stats(); s.Shed != 2 || s.Accepted != 14 {
		t.Fatalf("stats %+v: want Shed 2, Accepted 14", s)
	}
	e.Flush()
	incomplete := map[int64]int{}
	for _, r := range e.Drain(nil) {
		cmp.Observe(r)
		if r.Incomplete {
			incomplete[r.WindowEnd]++
		}
	}
	// t0+5000: its 10 keys and the shed one; t0+10000: the shed key, then
	// d0 and "later" when the window fired. 11 + 2 keys pending.
	if incomplete[t0+5000] != 11 || incomplete[t0+10_000] != 3 || incomplete[t0+25_000] != 0 {
		t.Fatalf("incomplete results per window: %v", incomplete)
	}
	rep := cmp.Report(true)
	if len(rep.Exceptions) != 0 || rep.Pending != 13 {
		t.Fatalf("comparator: %d exceptions (%v), %d pending; want 0 and 13", len(rep.Exceptions), rep.Exceptions, rep.Pending)
	}
}
