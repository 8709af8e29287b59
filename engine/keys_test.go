package engine_test

import (
	"strconv"
	"testing"
	"time"

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
