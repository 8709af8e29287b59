package compare_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/streamtop/streamtop/compare"
)

// farFuture is a window end no horizon of a test reaches: its rows never settle.
const farFuture = t0 + 10*365*24*3600*1000

// pendingComparator holds n unsettled truth-only rows (provisional
// exceptions) in far-future windows, 100 keys a window.
func pendingComparator(tb testing.TB, n int) *compare.Comparator {
	tb.Helper()
	c, err := compare.New(compare.Options{M2Tolerance: -1, MaxUnsettled: n})
	if err != nil {
		tb.Fatal(err)
	}
	c.Settle(t0, t0)
	for i := range n {
		k := key(farFuture+int64(i/100)*5000, fmt.Sprintf("d%03d", i%100), "cat-1")
		c.AddTruth(k, agg(int64(i), 0, 1))
	}
	return c
}

// bytesPerReport is what one screen tick asks of a comparator: the latest
// limit rows of the device-time comparator and the send-time score.
func bytesPerReport(c *compare.Comparator, limit int) uint64 {
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		c.ReportLimit(false, limit)
		c.ReportLimit(false, 1)
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// A limited report must not cost in proportion to the rows held: 300 K
// unsettled rows used to be copied and sorted every 100 ms. Counted in bytes
// allocated, not in time: the same for 1 K and 60 K rows.
func TestLimitedReportCostDoesNotGrowWithRows(t *testing.T) {
	small, large := pendingComparator(t, 1_000), pendingComparator(t, 60_000)
	const limit = 50
	bs, bl := bytesPerReport(small, limit), bytesPerReport(large, limit)
	if bl > bs+bs/4 {
		t.Fatalf("a report of %d rows allocates %d bytes with 60 K rows held, %d with 1 K: it grows with the rows", limit, bl, bs)
	}
	r := large.ReportLimit(false, limit)
	if len(r.Exceptions) != limit || r.Provisional.Exceptions != 60_000 || r.Pending != 60_000 {
		t.Fatalf("limited report: %d rows, provisional %v, pending %d", len(r.Exceptions), r.Provisional, r.Pending)
	}
	last := r.Exceptions[limit-1].Key
	if want := key(farFuture+599*5000, "d099", "cat-1"); last != want {
		t.Fatalf("last listed row %v, want %v", last, want)
	}
}

// BenchmarkReportLimit times the screen's limited report at 10 K and 300 K
// unsettled rows; ratio-300K/10K near 1 means its cost does not grow with n.
func BenchmarkReportLimit(b *testing.B) {
	small, large := pendingComparator(b, 10_000), pendingComparator(b, 300_000)
	var inSmall, inLarge time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		small.ReportLimit(false, 2000)
		small.ReportLimit(false, 1)
		mid := time.Now()
		large.ReportLimit(false, 2000)
		large.ReportLimit(false, 1)
		inSmall += mid.Sub(start)
		inLarge += time.Since(mid)
		n++
	}
	b.ReportMetric(float64(inSmall.Nanoseconds())/float64(n), "ns-10K/report")
	b.ReportMetric(float64(inLarge.Nanoseconds())/float64(n), "ns-300K/report")
	b.ReportMetric(float64(inLarge)/float64(inSmall), "ratio-300K/10K")
}
