package compare_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// t0 is 2026-01-01T00:00:00Z, a window boundary.
const t0 int64 = 1767225600000

func key(end int64, dev, cat string) engine.Key {
	return engine.Key{Device: dev, Category: cat, WindowEnd: end}
}

func agg(m1 int64, m2 float64, n int64) engine.Agg { return engine.Agg{M1: m1, M2: m2, Count: n} }

func down(k engine.Key, m1 int64, m2 float64, n int64) engine.Result {
	return engine.Result{Key: k, Agg: agg(m1, m2, n), Engine: "test"}
}

func incomplete(k engine.Key, m1 int64, m2 float64, n int64) engine.Result {
	r := down(k, m1, m2, n)
	r.Incomplete = true
	return r
}

func newCmp(t *testing.T, opts compare.Options) *compare.Comparator {
	t.Helper()
	c, err := compare.New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return c
}

func expectScore(t *testing.T, what string, got compare.Score, exc, keys int) {
	t.Helper()
	if got != (compare.Score{Exceptions: exc, Keys: keys}) {
		t.Fatalf("%s score = %q, want %q", what, got, compare.Score{Exceptions: exc, Keys: keys})
	}
}

func keysOf(rows []compare.Row) []engine.Key {
	var ks []engine.Key
	for _, r := range rows {
		ks = append(ks, r.Key)
	}
	return ks
}

func TestNewAndDefaults(t *testing.T) {
	if compare.DefaultOptions().M2Tolerance >= 0 {
		t.Fatalf("DefaultOptions judges m2: %+v", compare.DefaultOptions())
	}
	if c, err := compare.New(compare.Options{M2Tolerance: math.NaN()}); !errors.Is(err, compare.ErrBadTolerance) || c != nil {
		t.Fatalf("NaN tolerance: %v, %v", c, err)
	}
	c := newCmp(t, compare.DefaultOptions())
	if c.Horizon() != engine.None || c.Keys() != 0 {
		t.Fatalf("fresh comparator: horizon %d keys %d", c.Horizon(), c.Keys())
	}
	r := c.Report(false)
	expectScore(t, "empty settled", r.Settled, 0, 0)
	expectScore(t, "empty provisional", r.Provisional, 0, 0)
	if r.Pending != 0 || len(r.Exceptions) != 0 || r.Final {
		t.Fatalf("empty report = %+v", r)
	}
}

func TestScoreString(t *testing.T) {
	for _, tc := range []struct {
		s    compare.Score
		want string
	}{
		{compare.Score{}, "0 exceptions out of 0"},
		{compare.Score{Exceptions: 3, Keys: 319}, "3 exceptions out of 319"},
		{compare.Score{Exceptions: 1, Keys: 1}, "1 exceptions out of 1"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestRowException(t *testing.T) {
	k := key(t0+5000, "d", "cat-1")
	tenth, fifth := 0.1, 0.2 // variables: 0.1+0.2 is 0.30000000000000004 at run time
	tests := []struct {
		name string
		row  compare.Row
		tol  float64
		want bool
	}{
		{"equal", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(5, 1.5, 2), HasTruth: true, HasDown: true}, -1, false},
		{"missing downstream", compare.Row{Key: k, Truth: agg(5, 1.5, 2), HasTruth: true}, -1, true},
		{"missing truth", compare.Row{Key: k, Down: agg(5, 1.5, 2), HasDown: true}, -1, true},
		{"missing both zero values", compare.Row{Key: k, Truth: agg(0, 0, 0), HasTruth: true}, -1, true},
		{"m1 differs", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(6, 1.5, 2), HasTruth: true, HasDown: true}, -1, true},
		{"m1 differs by sign", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(-5, 1.5, 2), HasTruth: true, HasDown: true}, -1, true},
		{"count differs only", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(5, 1.5, 3), HasTruth: true, HasDown: true}, -1, false},
		{"m2 differs, not judged", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(5, 100, 2), HasTruth: true, HasDown: true}, -1, false},
		{"m2 differs above tolerance", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(5, 2.5, 2), HasTruth: true, HasDown: true}, 0.5, true},
		{"m2 differs at tolerance", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(5, 2, 2), HasTruth: true, HasDown: true}, 0.5, false},
		{"m2 differs below tolerance (negative delta)", compare.Row{Key: k, Truth: agg(5, 2, 2), Down: agg(5, 1.75, 2), HasTruth: true, HasDown: true}, 0.5, false},
		{"m2 tolerance 0 exact", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(5, 1.5, 2), HasTruth: true, HasDown: true}, 0, false},
		{"m2 tolerance 0 tiny delta", compare.Row{Key: k, Truth: agg(5, 0.3, 2), Down: agg(5, tenth+fifth, 2), HasTruth: true, HasDown: true}, 0, true},
		{"incomplete with m1 difference is pending", compare.Row{Key: k, Truth: agg(5, 1.5, 2), Down: agg(1, 1.5, 2), HasTruth: true, HasDown: true, Incomplete: true}, -1, false},
		{"incomplete without truth is pending", compare.Row{Key: k, Down: agg(1, 1.5, 2), HasDown: true, Incomplete: true}, -1, false},
	}
	for _, tc := range tests {
		if got := tc.row.Exception(compare.Options{M2Tolerance: tc.tol}); got != tc.want {
			t.Errorf("%s: Exception(tol %v) = %v, want %v", tc.name, tc.tol, got, tc.want)
		}
	}
	r := compare.Row{Truth: agg(10, 2.5, 1), Down: agg(7, 3, 1)}
	if r.DeltaM1() != 3 || r.DeltaM2() != -0.5 {
		t.Errorf("deltas = %d, %v; want 3 (truth − downstream), -0.5", r.DeltaM1(), r.DeltaM2())
	}
}

func TestFullOuterJoin(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	kEq := key(t0+5000, "d1", "cat-1")
	kDiff := key(t0+5000, "d1", "cat-2")
	kTruthOnly := key(t0+10000, "d0", "cat-1")
	kDownOnly := key(t0+5000, "d2", "cat-4")
	kM2 := key(t0, "d9", "cat-3")

	c.AddTruth(kEq, agg(10, 1.5, 2))
	c.Observe(down(kEq, 10, 1.5, 2))
	c.AddTruth(kDiff, agg(10, 1.5, 2))
	c.Observe(down(kDiff, 9, 1.5, 2))
	c.AddTruth(kTruthOnly, agg(3, 0.5, 1))
	c.Observe(down(kDownOnly, 4, 0.5, 1))
	c.AddTruth(kM2, agg(1, 1, 1))
	c.Observe(down(kM2, 1, 2, 1))

	r := c.Report(false)
	expectScore(t, "provisional", r.Provisional, 3, 5)
	expectScore(t, "settled", r.Settled, 0, 0)
	if r.Pending != 5 {
		t.Fatalf("pending = %d, want 5", r.Pending)
	}
	// Exception rows sorted by window end, device, category.
	wantExc := []engine.Key{kDiff, kDownOnly, kTruthOnly}
	if got := keysOf(r.Exceptions); !slices.Equal(got, wantExc) {
		t.Fatalf("exception keys = %v, want %v", got, wantExc)
	}
	e0 := r.Exceptions[0]
	if !e0.HasTruth || !e0.HasDown || e0.DeltaM1() != 1 || e0.Truth.M1 != 10 || e0.Down.M1 != 9 {
		t.Fatalf("m1 exception row = %+v", e0)
	}
	if r.Exceptions[1].HasTruth || !r.Exceptions[1].HasDown {
		t.Fatalf("downstream-only row = %+v", r.Exceptions[1])
	}
	if !r.Exceptions[2].HasTruth || r.Exceptions[2].HasDown {
		t.Fatalf("truth-only row = %+v", r.Exceptions[2])
	}
	// All rows, sorted.
	wantAll := []engine.Key{kM2, kEq, kDiff, kDownOnly, kTruthOnly}
	if got := keysOf(c.Rows()); !slices.Equal(got, wantAll) {
		t.Fatalf("Rows keys = %v, want %v", got, wantAll)
	}
	if c.Keys() != 5 {
		t.Fatalf("Keys = %d", c.Keys())
	}

	// With an m2 tolerance the m2 row becomes an exception.
	c2 := newCmp(t, compare.Options{M2Tolerance: 0.25})
	c2.AddTruth(kM2, agg(1, 1, 1))
	c2.Observe(down(kM2, 1, 2, 1))
	c2.AddTruth(kEq, agg(1, 1, 1))
	c2.Observe(down(kEq, 1, 1.25, 1))
	r2 := c2.Report(true)
	expectScore(t, "tolerance", r2.Settled, 1, 2)
	if got := keysOf(r2.Exceptions); !slices.Equal(got, []engine.Key{kM2}) {
		t.Fatalf("tolerance exceptions = %v", got)
	}
	// At the end everything is judged: the rows are reported settled even
	// though no horizon was ever given.
	if !r2.Exceptions[0].Settled || r2.Pending != 0 {
		t.Fatalf("final report: exception %+v, pending %d", r2.Exceptions[0], r2.Pending)
	}
}

func TestTruthDeltasAndLatestEmissionWins(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, agg(5, 1, 1))
	c.AddTruth(k, agg(7, 2, 1)) // deltas add up
	c.Observe(down(k, 5, 1, 1)) // an early partial emission
	expectScore(t, "partial", c.Report(false).Provisional, 1, 1)
	c.Observe(down(k, 12, 3, 2)) // the latest emission wins
	expectScore(t, "updated", c.Report(false).Provisional, 0, 1)
	rows := c.Rows()
	if len(rows) != 1 || rows[0].Truth != agg(12, 3, 2) || rows[0].Down != agg(12, 3, 2) {
		t.Fatalf("rows = %+v", rows)
	}
	c.Observe(down(k, 11, 3, 2)) // a later, wrong emission wins too
	expectScore(t, "regressed", c.Report(false).Provisional, 1, 1)
	// SetTruth replaces instead of adding.
	c.SetTruth(k, agg(11, 3, 2))
	expectScore(t, "truth replaced", c.Report(false).Provisional, 0, 1)
	if c.Rows()[0].Truth != agg(11, 3, 2) {
		t.Fatalf("SetTruth: %+v", c.Rows()[0].Truth)
	}
}

func TestSettledProvisionalPending(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	k1 := key(t0+5000, "d", "cat-1")  // will match
	k2 := key(t0+5000, "d", "cat-2")  // truth only
	k3 := key(t0+10000, "d", "cat-1") // m1 differs
	k4 := key(t0+15000, "d", "cat-1") // matches

	c.AddTruth(k1, agg(1, 0, 1))
	c.Observe(down(k1, 1, 0, 1))
	c.AddTruth(k2, agg(2, 0, 1))
	c.AddTruth(k3, agg(3, 0, 1))
	c.Observe(down(k3, 4, 0, 1))
	c.AddTruth(k4, agg(4, 0, 1))
	c.Observe(down(k4, 4, 0, 1))

	r := c.Report(false)
	expectScore(t, "settled", r.Settled, 0, 0)
	expectScore(t, "provisional", r.Provisional, 2, 4)
	if r.Pending != 4 {
		t.Fatalf("pending = %d, want 4", r.Pending)
	}
	if len(r.Exceptions) != 2 || r.Exceptions[0].Settled || r.Exceptions[1].Settled {
		t.Fatalf("exceptions = %+v", r.Exceptions)
	}

	// The truth is final up to t0+10000 but the downstream only to t0+5000:
	// only window t0+5000 settles (min of both).
	c.Settle(t0+10000, t0+5000)
	if c.Horizon() != t0+5000 {
		t.Fatalf("horizon = %d, want t0+5000", c.Horizon()-t0)
	}
	r = c.Report(false)
	expectScore(t, "settled@5000", r.Settled, 1, 2)
	expectScore(t, "provisional@5000", r.Provisional, 2, 4)
	if r.Pending != 2 {
		t.Fatalf("pending = %d, want 2", r.Pending)
	}
	for _, row := range c.Rows() {
		if row.Settled != (row.WindowEnd <= t0+5000) {
			t.Fatalf("row %v settled = %v", row.Key, row.Settled)
		}
	}

	// Both final up to t0+12000 (not a window end): window t0+10000 settles.
	c.Settle(t0+12000, t0+20000)
	r = c.Report(false)
	expectScore(t, "settled@12000", r.Settled, 2, 3)
	if r.Pending != 1 {
		t.Fatalf("pending = %d, want 1", r.Pending)
	}

	// Horizons never go back: a smaller call changes nothing.
	c.Settle(t0, t0)
	if c.Horizon() != t0+12000 {
		t.Fatalf("horizon went back to t0%+d", c.Horizon()-t0)
	}
	expectScore(t, "settled after a smaller Settle", c.Report(false).Settled, 2, 3)

	// A key created after its window is already below the horizon is settled at once.
	k5 := key(t0+10000, "e", "cat-3")
	c.Observe(down(k5, 9, 0, 1)) // downstream only: an exception, settled
	r = c.Report(false)
	expectScore(t, "late key", r.Settled, 3, 4)
	expectScore(t, "late key provisional", r.Provisional, 3, 5)
	k6 := key(t0+12000, "e", "cat-3") // end == horizon: settled too
	c.AddTruth(k6, agg(1, 0, 1))
	c.Observe(down(k6, 1, 0, 1))
	expectScore(t, "key at horizon", c.Report(false).Settled, 3, 5)

	// A change to a settled key updates the settled score.
	c.AddTruth(k2, agg(0, 0, 0))   // still no downstream
	c.Observe(down(k2, 2, 0, 1))   // now it matches
	c.Observe(down(k1, 100, 0, 1)) // a settled match becomes an exception
	r = c.Report(false)
	expectScore(t, "settled after changes", r.Settled, 3, 5)
	expectScore(t, "provisional after changes", r.Provisional, 3, 6)
	wantExc := []engine.Key{k1, k3, k5}
	if got := keysOf(r.Exceptions); !slices.Equal(got, wantExc) {
		t.Fatalf("exceptions = %v, want %v", got, wantExc)
	}
	for _, row := range r.Exceptions {
		if !row.Settled {
			t.Fatalf("exception %v should be settled", row.Key)
		}
	}
	c.SetTruth(k1, agg(100, 0, 1))
	expectScore(t, "after SetTruth", c.Report(false).Settled, 2, 5)

	// Final: everything judged.
	f := c.Report(true)
	if !f.Final {
		t.Fatal("Final not set")
	}
	expectScore(t, "final settled", f.Settled, 2, 6)
	expectScore(t, "final provisional", f.Provisional, 2, 6)
	if f.Pending != 0 || len(f.PendingRows) != 0 {
		t.Fatalf("final pending = %d %v", f.Pending, f.PendingRows)
	}
	for _, row := range f.Exceptions {
		if !row.Settled {
			t.Fatalf("final exception %v not marked settled", row.Key)
		}
	}
}

// Each side's horizon is final once passed (SPEC §4): a lower truth value in
// a later call (the injector's possible lag grew when late events were
// switched on) must not unsettle what the earlier one settled.
func TestSettleHorizonsMonotonePerSide(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+20000, "d", "cat-1")
	c.AddTruth(k, agg(1, 0, 1))
	c.Observe(down(k, 1, 0, 1))
	c.Settle(t0+20000, t0+5000) // truth final to t0+20000, downstream to t0+5000
	if c.Horizon() != t0+5000 {
		t.Fatalf("horizon = t0%+d, want t0+5000", c.Horizon()-t0)
	}
	// The truth side reports a smaller value (it never goes back, so it stays
	// t0+20000); the downstream side reaches t0+30000. Both are final to t0+20000.
	c.Settle(t0+15000, t0+30000)
	if c.Horizon() != t0+20000 {
		t.Errorf("horizon = t0%+d, want t0+20000 (min of the per-side maxima)", c.Horizon()-t0)
	}
	expectScore(t, "settled", c.Report(false).Settled, 0, 1)
}

func TestTruthOnlyKeyBelowHorizonSettlesAtOnce(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	c.Settle(t0+10000, t0+10000)
	kMiss := key(t0+10000, "d", "cat-1")
	c.AddTruth(kMiss, agg(3, 0, 1)) // no downstream (yet): a settled exception
	r := c.Report(false)
	expectScore(t, "settled", r.Settled, 1, 1)
	if r.Pending != 0 || len(r.Exceptions) != 1 || !r.Exceptions[0].Settled {
		t.Fatalf("report = %+v", r)
	}
	kAbove := key(t0+15000, "d", "cat-1")
	c.AddTruth(kAbove, agg(3, 0, 1)) // above the horizon: pending
	r = c.Report(false)
	expectScore(t, "settled", r.Settled, 1, 1)
	expectScore(t, "provisional", r.Provisional, 2, 2)
	if r.Pending != 1 {
		t.Fatalf("pending = %d, want 1", r.Pending)
	}
	c.Observe(down(kMiss, 3, 0, 1)) // it arrives: the settled score follows
	expectScore(t, "settled after arrival", c.Report(false).Settled, 0, 1)
}

func TestIncompleteRowsArePending(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	kOK := key(t0+5000, "d", "cat-1")
	kInc := key(t0+5000, "d", "cat-2")
	kIncNoTruth := key(t0+10000, "e", "cat-1")
	kBad := key(t0+10000, "d", "cat-1")

	c.AddTruth(kOK, agg(1, 0, 1))
	c.Observe(down(kOK, 1, 0, 1))
	c.AddTruth(kInc, agg(10, 0, 3))
	c.Observe(incomplete(kInc, 4, 0, 1)) // lost input: not an exception
	c.Observe(incomplete(kIncNoTruth, 4, 0, 1))
	c.AddTruth(kBad, agg(5, 0, 1))
	c.Observe(down(kBad, 6, 0, 1))

	r := c.Report(false)
	expectScore(t, "provisional", r.Provisional, 1, 4)
	if got := keysOf(r.Exceptions); !slices.Equal(got, []engine.Key{kBad}) {
		t.Fatalf("exceptions = %v", got)
	}
	// Incomplete rows never settle, whatever the horizons.
	c.Settle(t0+60000, t0+60000)
	r = c.Report(false)
	expectScore(t, "settled", r.Settled, 1, 2)
	if r.Pending != 2 {
		t.Fatalf("pending = %d, want 2", r.Pending)
	}
	for _, row := range c.Rows() {
		if row.Settled == row.Incomplete {
			t.Fatalf("row %v: settled %v incomplete %v", row.Key, row.Settled, row.Incomplete)
		}
	}

	// At the end they are listed as pending and left out of M.
	f := c.Report(true)
	expectScore(t, "final settled", f.Settled, 1, 2)
	expectScore(t, "final provisional", f.Provisional, 1, 2)
	if f.Pending != 2 {
		t.Fatalf("final pending = %d, want 2", f.Pending)
	}
	if got := keysOf(f.PendingRows); !slices.Equal(got, []engine.Key{kInc, kIncNoTruth}) {
		t.Fatalf("pending rows = %v, want [%v %v]", got, kInc, kIncNoTruth)
	}
	if !f.PendingRows[0].Incomplete || f.PendingRows[0].Down.M1 != 4 || f.PendingRows[0].Truth.M1 != 10 {
		t.Fatalf("pending row = %+v", f.PendingRows[0])
	}
	if got := keysOf(f.Exceptions); !slices.Equal(got, []engine.Key{kBad}) {
		t.Fatalf("final exceptions = %v", got)
	}

	// A later complete emission settles them (the horizon is already past).
	c.Observe(down(kInc, 10, 0, 3))
	r = c.Report(false)
	expectScore(t, "after complete kInc", r.Settled, 1, 3)
	c.Observe(down(kIncNoTruth, 4, 0, 1)) // complete, but no truth: an exception
	r = c.Report(false)
	expectScore(t, "after complete kIncNoTruth", r.Settled, 2, 4)
	if r.Pending != 0 {
		t.Fatalf("pending = %d, want 0", r.Pending)
	}
	f = c.Report(true)
	expectScore(t, "final after completion", f.Settled, 2, 4)
	if f.Pending != 0 || len(f.PendingRows) != 0 {
		t.Fatalf("final pending = %d %v", f.Pending, f.PendingRows)
	}
}

func TestIncompleteBeforeHorizonThenComplete(t *testing.T) {
	// The complete emission arrives before the horizon passes: it settles
	// through Settle, like any other row.
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, agg(3, 0, 1))
	c.Observe(incomplete(k, 1, 0, 1))
	c.Observe(down(k, 2, 0, 1)) // complete and wrong
	expectScore(t, "before settle", c.Report(false).Settled, 0, 0)
	c.Settle(t0+5000, t0+5000)
	expectScore(t, "after settle", c.Report(false).Settled, 1, 1)
	expectScore(t, "final", c.Report(true).Settled, 1, 1)
}

func TestSettledMatchBecomesIncomplete(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, agg(3, 0, 1))
	c.Observe(down(k, 3, 0, 1))
	c.Settle(t0+5000, t0+5000)
	expectScore(t, "settled", c.Report(false).Settled, 0, 1)
	c.Observe(incomplete(k, 1, 0, 1)) // the engine says it lost input after all
	r := c.Report(false)
	expectScore(t, "settled after incomplete", r.Settled, 0, 0)
	expectScore(t, "provisional after incomplete", r.Provisional, 0, 1)
	if r.Pending != 1 {
		t.Fatalf("pending = %d, want 1", r.Pending)
	}
	f := c.Report(true)
	expectScore(t, "final", f.Settled, 0, 0)
	if f.Pending != 1 || len(f.PendingRows) != 1 {
		t.Fatalf("final pending = %d %v", f.Pending, f.PendingRows)
	}
}

// A settled exception re-emitted as incomplete becomes pending and leaves
// the settled score entirely (SPEC §4: incomplete keys are pending, never
// exceptions), with no phantom "1 exceptions out of 0".
func TestSettledExceptionBecomesIncomplete(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, agg(3, 0, 1))
	c.Observe(down(k, 2, 0, 1)) // wrong
	c.Settle(t0+5000, t0+5000)
	expectScore(t, "settled", c.Report(false).Settled, 1, 1)
	c.Observe(incomplete(k, 2, 0, 1)) // now known to be partial: pending
	r := c.Report(false)
	expectScore(t, "provisional", r.Provisional, 0, 1)
	expectScore(t, "settled", r.Settled, 0, 0)
}

func TestSettledTruthOnlyKeyBecomesIncomplete(t *testing.T) {
	// Same bug through the "key created below the horizon" path: a truth-only
	// key settles as an exception at once, then the downstream reports it
	// incomplete.
	c := newCmp(t, compare.DefaultOptions())
	c.Settle(t0+60000, t0+60000)
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, agg(3, 0, 1))
	expectScore(t, "settled", c.Report(false).Settled, 1, 1)
	c.Observe(incomplete(k, 1, 0, 1))
	expectScore(t, "settled after incomplete", c.Report(false).Settled, 0, 0)
}

func TestIncompleteKeyCreatedBelowHorizon(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	c.Settle(t0+60000, t0+60000)
	k := key(t0+5000, "d", "cat-1")
	c.Observe(incomplete(k, 1, 0, 1))
	r := c.Report(false)
	expectScore(t, "settled", r.Settled, 0, 0)
	expectScore(t, "provisional", r.Provisional, 0, 1)
	if r.Pending != 1 {
		t.Fatalf("pending = %d", r.Pending)
	}
	c.AddTruth(k, agg(1, 0, 1))
	c.Observe(down(k, 1, 0, 1))
	expectScore(t, "settled after complete", c.Report(false).Settled, 0, 1)
	// Further Settle calls do not count it twice.
	c.Settle(t0+120000, t0+120000)
	expectScore(t, "settled after more Settle", c.Report(false).Settled, 0, 1)
}

// TestEngineIntoComparator joins the engine's real output with a truth
// computed by hand: a duplicate (dropped by dedup) and a late event (dropped
// by the engine, kept by the truth) give exactly one exception.
func TestEngineIntoComparator(t *testing.T) {
	e, err := engine.New(engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := newCmp(t, compare.DefaultOptions())
	events := []struct {
		send int64
		ev   engine.Event
	}{
		{t0 + 100, engine.Event{ID: "d-1", Device: "d", Time: t0 + 100, Category: "cat-1", M1: 10, M2: 1}},
		{t0 + 200, engine.Event{ID: "d-2", Device: "d", Time: t0 + 200, Category: "cat-2", M1: 20, M2: 1}},
		{t0 + 300, engine.Event{ID: "d-1", Device: "d", Time: t0 + 100, Category: "cat-1", M1: 10, M2: 1}}, // duplicate
		{t0 + 7000, engine.Event{ID: "d-3", Device: "d", Time: t0 + 7000, Category: "cat-1", M1: 30, M2: 1}},
		{t0 + 7100, engine.Event{ID: "d-4", Device: "d", Time: t0 + 4000, Category: "cat-1", M1: 40, M2: 1}}, // late
	}
	seen := map[string]bool{}
	for _, x := range events {
		e.Ingest(0, x.send, x.ev)
		if !seen[x.ev.ID] {
			seen[x.ev.ID] = true
			c.AddTruth(engine.Key{Device: x.ev.Device, Category: x.ev.Category, WindowEnd: engine.WindowEnd(x.ev.Time, 5000)}, engine.Agg{M1: x.ev.M1, M2: x.ev.M2, Count: 1})
		}
	}
	e.Flush()
	for _, r := range e.Drain(nil) {
		c.Observe(r)
	}
	c.Settle(t0+60000, e.ClosedBefore())
	r := c.Report(true)
	expectScore(t, "final", r.Settled, 1, 3)
	if len(r.Exceptions) != 1 || r.Exceptions[0].Key != key(t0+5000, "d", "cat-1") || r.Exceptions[0].DeltaM1() != 40 {
		t.Fatalf("exceptions = %+v", r.Exceptions)
	}
	if s := e.Stats(); s.Duplicates != 1 || s.Late != 1 {
		t.Fatalf("engine stats = %+v", s)
	}
}

func TestReportLimitKeepsTheLatestRowsAndEvictKeepsScores(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	for i := range 10 {
		k := key(t0+int64(i)*5000, "d", "cat-1")
		c.AddTruth(k, agg(int64(i), 0, 1))
		c.Observe(down(k, 100, 0, 1)) // every row an exception
		ok := key(t0+int64(i)*5000, "d", "cat-2")
		c.AddTruth(ok, agg(1, 0, 1))
		c.Observe(down(ok, 1, 0, 1))
	}
	r := c.ReportLimit(false, 3)
	if len(r.Exceptions) != 3 || r.Exceptions[0].WindowEnd != t0+35000 || r.Provisional.Exceptions != 10 {
		t.Fatalf("limited report: %d rows from %d, provisional %v", len(r.Exceptions), r.Exceptions[0].WindowEnd-t0, r.Provisional)
	}
	c.Settle(t0+20000, t0+20000)
	before := c.Report(false)
	if n := c.Evict(t0 + 20000); n != 5 {
		t.Fatalf("evicted %d rows, want the 5 settled matching ones", n)
	}
	after := c.Report(false)
	if after.Settled != before.Settled || after.Provisional != before.Provisional || len(after.Exceptions) != 10 {
		t.Fatalf("eviction changed the verdict: %+v → %+v (%d rows)", before.Settled, after.Settled, len(after.Exceptions))
	}
	if c.Keys() != 15 {
		t.Errorf("%d rows kept, want 15", c.Keys())
	}
}

// Past MaxListed exceptions, Evict drops the oldest settled ones from the
// list, and the scores still count them.
func TestEvictBoundsTheExceptionList(t *testing.T) {
	c, err := compare.New(compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	n := compare.MaxListed + 500
	for i := range n {
		k := engine.Key{Device: "d", Category: "cat-1", WindowEnd: int64(5000 * (i + 1))}
		c.AddTruth(k, engine.Agg{M1: 2, Count: 1})
		c.Observe(engine.Result{Key: k, Agg: engine.Agg{M1: 1, Count: 1}})
	}
	c.Settle(int64(5000*n), int64(5000*n))
	before := c.Report(false)
	if c.Evict(int64(5000*n)) != 500 {
		t.Fatal("Evict did not drop the 500 oldest exceptions")
	}
	r := c.Report(false)
	if len(r.Exceptions) != compare.MaxListed || r.Unlisted != 500 || r.Settled != before.Settled || r.Pending != before.Pending {
		t.Fatalf("after Evict: %d listed, %d unlisted, %v (before %v), pending %d", len(r.Exceptions), r.Unlisted, r.Settled, before.Settled, r.Pending)
	}
	if r.Exceptions[0].WindowEnd != int64(5000*501) {
		t.Fatalf("kept from %d, want the latest", r.Exceptions[0].WindowEnd)
	}
}

// Δm1 is truth − downstream in int64: with m1 sums near the limits the plain
// difference wraps and shows the wrong sign. It saturates instead, is 0
// exactly when the sums are equal, and the exception decision stays exact.
func TestDeltaM1SaturatesWithTheRightSign(t *testing.T) {
	const hi, lo = math.MaxInt64, math.MinInt64
	for _, tc := range []struct {
		truth, down, want int64
	}{
		{hi, -1, hi},
		{hi, lo, hi},
		{0, lo, hi},
		{lo, 1, lo},
		{lo, hi, lo},
		{-2, hi, lo},
		{-1, hi, lo}, // exactly MinInt64: no overflow
		{hi, 0, hi},
		{hi - 1, hi, -1},
		{lo, lo, 0},
		{hi, hi, 0},
		{lo + 1, lo, 1},
	} {
		r := compare.Row{Truth: agg(tc.truth, 0, 1), Down: agg(tc.down, 0, 1), HasTruth: true, HasDown: true}
		if got := r.DeltaM1(); got != tc.want {
			t.Errorf("DeltaM1(%d − %d) = %d, want %d", tc.truth, tc.down, got, tc.want)
		}
		if exc := r.Exception(compare.DefaultOptions()); exc != (tc.truth != tc.down) {
			t.Errorf("Exception(%d vs %d) = %v", tc.truth, tc.down, exc)
		}
	}
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, agg(hi, 0, 1))
	c.Observe(down(k, lo, 0, 1))
	r := c.Report(true)
	if len(r.Exceptions) != 1 || r.Exceptions[0].DeltaM1() <= 0 {
		t.Fatalf("truth max, downstream min: exceptions %+v, want one with a positive Δm1", r.Exceptions)
	}
}
