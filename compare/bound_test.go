package compare_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

func farKey(window, i int) engine.Key {
	return key(farFuture+int64(window)*5000, fmt.Sprintf("d%02d", i), "cat-1")
}

func expectUnjudged(t *testing.T, c *compare.Comparator, want int) compare.Report {
	t.Helper()
	r := c.Report(false)
	if r.Unjudged != want {
		t.Fatalf("unjudged = %d, want %d (report %+v)", r.Unjudged, want, r.Provisional)
	}
	return r
}

// Rows that can never settle (window ends far beyond the horizon) are held
// up to MaxUnsettled keys; past it the farthest window end is dropped and
// refused. What is not held is counted, never judged: not even later, once
// there is room again, so a truth dropped never meets its downstream as a
// false "missing truth" exception.
func TestMaxUnsettledBoundsAndCountsFarWindows(t *testing.T) {
	c := newCmp(t, compare.Options{M2Tolerance: -1, MaxUnsettled: 100})
	c.Settle(t0, t0)
	for w := range 30 { // 300 keys, 10 a window, farther and farther
		for i := range 10 {
			c.AddTruth(farKey(w, i), agg(1, 0, 1))
		}
	}
	r := expectUnjudged(t, c, 200)
	expectScore(t, "held", r.Provisional, 100, 100)
	if c.Keys() != 100 || r.Pending != 100 {
		t.Fatalf("keys %d, pending %d: want the 100 nearest held", c.Keys(), r.Pending)
	}
	// Nearer keys displace the farthest held windows (10 keys each).
	for i := range 50 {
		k := key(t0+5000, fmt.Sprintf("n%02d", i), "cat-1")
		c.AddTruth(k, agg(2, 0, 1))
		c.Observe(down(k, 2, 0, 1))
	}
	r = expectUnjudged(t, c, 250)
	expectScore(t, "held with near keys", r.Provisional, 50, 100)
	// The near windows settle: room for 50 more keys. A downstream value for
	// a key whose truth was dropped (window 7) is still not judged.
	c.Settle(t0+5000, t0+5000)
	c.Observe(down(farKey(7, 3), 1, 0, 1))
	c.Observe(down(farKey(29, 9), 1, 0, 1))
	r = expectUnjudged(t, c, 252)
	expectScore(t, "settled", r.Settled, 0, 50)
	expectScore(t, "provisional", r.Provisional, 50, 100)
	// A held key's input is judged as ever.
	c.Observe(down(farKey(4, 0), 1, 0, 1))
	expectScore(t, "held key matched", c.Report(false).Provisional, 49, 100)
	f := c.Report(true)
	if f.Unjudged != 252 || len(f.Exceptions) != 49 || f.Exceptions[48].Key != farKey(4, 9) {
		t.Fatalf("final: unjudged %d, %d exceptions, last %v", f.Unjudged, len(f.Exceptions), f.Exceptions[len(f.Exceptions)-1].Key)
	}
}

// However many distinct window ends are refused, every one stays refused.
func TestRefusedWindowEndsStayRefused(t *testing.T) {
	c := newCmp(t, compare.Options{M2Tolerance: -1, MaxUnsettled: 1})
	c.AddTruth(farKey(0, 0), agg(1, 0, 1)) // held
	n := compare.MaxRefusedEnds + 100
	for w := 1; w <= n; w++ {
		c.AddTruth(farKey(w, 0), agg(1, 0, 1))
	}
	expectUnjudged(t, c, n)
	for w := 1; w <= n; w++ {
		c.Observe(down(farKey(w, 0), 1, 0, 1))
		c.Observe(down(farKey(w, 1), 1, 0, 1)) // new keys at a refused end too
	}
	r := expectUnjudged(t, c, 3*n)
	expectScore(t, "provisional", r.Provisional, 1, 1)
}

func TestMaxUnsettledOption(t *testing.T) {
	if _, err := compare.New(compare.Options{MaxUnsettled: -1}); !errors.Is(err, compare.ErrBadMaxUnsettled) {
		t.Fatalf("negative MaxUnsettled: %v", err)
	}
	c := newCmp(t, compare.Options{M2Tolerance: -1}) // 0: the default
	for i := range compare.DefaultMaxUnsettled + 1 {
		c.AddTruth(key(farFuture+int64(i)*5000, "d", "cat-1"), agg(1, 0, 1))
	}
	if r := expectUnjudged(t, c, 1); r.Pending != compare.DefaultMaxUnsettled {
		t.Fatalf("pending %d, want %d", r.Pending, compare.DefaultMaxUnsettled)
	}
}

// The exception and pending lists are kept in key order as rows change
// (and as the MaxUnsettled bound drops windows); a limited report must list
// exactly the tail of a full sort.
func TestListsMatchAFullSort(t *testing.T) {
	for _, most := range []int{0, 40} {
		t.Run(fmt.Sprintf("MaxUnsettled=%d", most), func(t *testing.T) {
			c := newCmp(t, compare.Options{M2Tolerance: -1, MaxUnsettled: most})
			randomRows(t, c)
			if r := c.Report(false); (r.Unjudged > 0) != (most > 0) {
				t.Fatalf("unjudged %d with MaxUnsettled %d", r.Unjudged, most)
			}
		})
	}
}

func randomRows(t *testing.T, c *compare.Comparator) {
	rng := rand.New(rand.NewPCG(7, 11))
	horizon := t0
	for step := range 4000 {
		k := key(t0+int64(rng.IntN(60))*5000, fmt.Sprintf("d%d", rng.IntN(15)), fmt.Sprintf("cat-%d", rng.IntN(3)))
		switch op := rng.IntN(10); {
		case op < 4:
			c.AddTruth(k, agg(int64(rng.IntN(3)), 0, 1))
		case op < 5:
			c.SetTruth(k, agg(int64(rng.IntN(3)), 0, 1))
		case op < 9:
			r := down(k, int64(rng.IntN(3)), 0, 1)
			r.Incomplete = rng.IntN(4) == 0
			c.Observe(r)
		default:
			horizon += 5000
			c.Settle(horizon, horizon-int64(rng.IntN(3))*5000)
			if rng.IntN(4) == 0 {
				c.Evict(horizon - 60000)
			}
		}
		if step%25 == 0 {
			checkLists(t, c)
		}
	}
	checkLists(t, c)
}

func checkLists(t *testing.T, c *compare.Comparator) {
	t.Helper()
	var exc, pend []engine.Key
	for _, r := range c.Rows() {
		if r.Exception(compare.DefaultOptions()) {
			exc = append(exc, r.Key)
		}
		if r.Incomplete {
			pend = append(pend, r.Key)
		}
	}
	for _, limit := range []int{0, 1, 7, 50} {
		want := exc
		if limit > 0 && len(want) > limit {
			want = want[len(want)-limit:]
		}
		if got := keysOf(c.ReportLimit(false, limit).Exceptions); !slices.Equal(got, want) {
			t.Fatalf("limit %d: exceptions %v, want %v", limit, got, want)
		}
	}
	f := c.Report(true)
	if got := keysOf(f.PendingRows); !slices.Equal(got, pend) || f.Pending != len(pend) {
		t.Fatalf("pending rows %v (%d), want %v", got, f.Pending, pend)
	}
}
