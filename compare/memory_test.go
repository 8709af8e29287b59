package compare_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/streamtop/streamtop/compare"
)

// liveHeap is the heap still reachable after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// After a burst of keys whose windows settle and are evicted, the
// comparator gives the memory back: Go maps keep their buckets after
// deletes, so a map that shrank well below its peak is rebuilt. Two bursts:
// 1 M keys in 1 000 windows settling every 10, and 90 K windows of one key
// each settling at once (the unsettled rows by window end).
func TestEvictedBurstGivesMemoryBack(t *testing.T) {
	for _, b := range []struct{ windows, devices, settleEvery int }{{1000, 1000, 10}, {90_000, 1, 90_000}} {
		t.Run(fmt.Sprintf("%dx%d", b.windows, b.devices), func(t *testing.T) {
			c := newCmp(t, compare.DefaultOptions())
			c.Settle(t0, t0)
			for i := range 5_000 { // the steady state: rows that stay
				c.AddTruth(key(farFuture+int64(i/100)*5000, fmt.Sprintf("s%03d", i%100), "cat-1"), agg(1, 0, 1))
			}
			devices := make([]string, b.devices)
			for i := range devices {
				devices[i] = fmt.Sprintf("d%04d", i)
			}
			before := liveHeap()
			for w := range b.windows {
				end := t0 + int64(w+1)*5000
				for _, d := range devices {
					k := key(end, d, "cat-1")
					c.AddTruth(k, agg(1, 0, 1))
					c.Observe(down(k, 1, 0, 1))
				}
				if (w+1)%b.settleEvery == 0 {
					c.Settle(end, end)
				}
			}
			peak := liveHeap()
			keys := b.windows * b.devices
			if n := c.Evict(t0 + int64(b.windows)*5000); n != keys {
				t.Fatalf("evicted %d rows, want %d", n, keys)
			}
			after := liveHeap()
			if r := c.Report(false); r.Settled != (compare.Score{Keys: keys}) || r.Pending != 5_000 {
				t.Fatalf("after eviction: settled %v, pending %d", r.Settled, r.Pending)
			}
			if after > 2*before {
				t.Fatalf("live heap %.1f× what it was before the burst after its eviction (peak %.1f×), want within 2×",
					float64(after)/float64(before), float64(peak)/float64(before))
			}
			t.Logf("live heap: peak %.1f×, after eviction %.2f× the steady state", float64(peak)/float64(before), float64(after)/float64(before))
		})
	}
}
