// Package compare judges a downstream result set against the injector's
// truth (SPEC §4): a full outer join on (device, category, window end), an
// exception for a key missing on one side or an m1_sum that differs, and
// the score "N exceptions out of M".
//
// It is pure: no goroutines, no I/O, no clock. The caller feeds truth
// deltas and downstream emissions and advances the two settle horizons;
// scores are kept incrementally so a report costs O(exceptions).
package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/streamtop/streamtop/engine"
)

// Options tunes judging. The zero value is not valid; use DefaultOptions.
type Options struct {
	// M2Tolerance judges m2_sum when ≥ 0: |Δm2| above it is an exception.
	// Negative means m2 is shown with its delta but not judged [-1].
	M2Tolerance float64
}

// DefaultOptions judges m1 only, as SPEC §4 says.
func DefaultOptions() Options { return Options{M2Tolerance: -1} }

// Score is "Exceptions exceptions out of Keys".
type Score struct {
	Exceptions int
	Keys       int
}

func (s Score) String() string {
	return fmt.Sprintf("%d exceptions out of %d", s.Exceptions, s.Keys)
}

// Row is one joined key.
type Row struct {
	engine.Key
	Truth      engine.Agg
	Down       engine.Agg
	HasTruth   bool
	HasDown    bool
	Incomplete bool // the downstream said its value is partial
	Settled    bool // both sides are final
	// In a Report's rows: whether each side alone is final. A live
	// exception where neither is (the window is still open everywhere) is
	// likely to resolve itself; one where the downstream is final is not.
	TruthFinal bool
	DownFinal  bool
}

// DeltaM1 is truth − downstream (the original compare script's sign),
// saturated at the int64 limits: m1 sums near them would wrap and show the
// wrong sign. It is 0 exactly when the sums are equal.
func (r Row) DeltaM1() int64 {
	a, b := r.Truth.M1, r.Down.M1
	switch {
	case b > 0 && a < math.MinInt64+b:
		return math.MinInt64
	case b < 0 && a > math.MaxInt64+b:
		return math.MaxInt64
	}
	return a - b
}

// DeltaM2 is truth − downstream for m2_sum.
func (r Row) DeltaM2() float64 { return r.Truth.M2 - r.Down.M2 }

// Exception reports whether the row is an exception under opts. A row the
// downstream marked incomplete is pending, never an exception.
func (r Row) Exception(opts Options) bool {
	switch {
	case r.Incomplete:
		return false
	case !r.HasTruth || !r.HasDown:
		return true
	case r.Truth.M1 != r.Down.M1: // exact: not through DeltaM1
		return true
	case opts.M2Tolerance >= 0 && math.Abs(r.DeltaM2()) > opts.M2Tolerance:
		return true
	}
	return false
}

// Report is a comparator's verdict at one moment.
type Report struct {
	Settled     Score // keys final on both sides
	Provisional Score // every key seen so far
	Pending     int   // keys not settled (at the end: keys reported incomplete)
	Exceptions  []Row // every exception row kept, sorted by window end, device, category
	PendingRows []Row // at the end: the incomplete rows, sorted likewise
	Final       bool
	// Unlisted counts the settled exceptions Evict dropped from the list
	// (the oldest, past MaxListed): still counted in the scores.
	Unlisted int
}

// MaxListed is how many exception rows Evict keeps listed: an unbounded
// run with late events makes exceptions without end.
const MaxListed = 10_000

type entry struct {
	Row
	exc bool
}

// Comparator joins one downstream with the truth.
type Comparator struct {
	opts     Options
	rows     map[engine.Key]*entry
	exc      map[engine.Key]*entry
	waiting  map[int64][]*entry // unsettled rows by window end
	ends     []int64            // keys of waiting, ascending
	truthH   int64              // truth is final for window ends ≤ truthH
	downH    int64              // downstream is final for window ends ≤ downH
	horizon  int64              // min(truthH, downH): windows with end ≤ horizon are settled
	prov     Score
	settled  Score
	incompl  int
	unlisted int // settled exceptions evicted from the list
}

// ErrBadTolerance is returned for a NaN m2 tolerance.
var ErrBadTolerance = errors.New("compare: m2 tolerance must be a number")

// New returns a comparator.
func New(opts Options) (*Comparator, error) {
	if math.IsNaN(opts.M2Tolerance) {
		return nil, ErrBadTolerance
	}
	return &Comparator{
		opts:    opts,
		rows:    make(map[engine.Key]*entry),
		exc:     make(map[engine.Key]*entry),
		waiting: make(map[int64][]*entry),
		truthH:  engine.None,
		downH:   engine.None,
		horizon: engine.None,
	}, nil
}

func (c *Comparator) entry(k engine.Key) *entry {
	if e, ok := c.rows[k]; ok {
		return e
	}
	e := &entry{Row: Row{Key: k}}
	c.rows[k] = e
	c.prov.Keys++
	if k.WindowEnd <= c.horizon {
		e.Settled = true
		c.settled.Keys++
	} else {
		c.wait(e)
	}
	return e
}

func (c *Comparator) wait(e *entry) {
	end := e.WindowEnd
	if _, ok := c.waiting[end]; !ok {
		i, _ := slices.BinarySearch(c.ends, end)
		c.ends = slices.Insert(c.ends, i, end)
	}
	c.waiting[end] = append(c.waiting[end], e)
}

// AddTruth adds a truth delta (one or more first sends) at key k.
func (c *Comparator) AddTruth(k engine.Key, delta engine.Agg) {
	e := c.entry(k)
	e.Truth.Merge(delta)
	e.HasTruth = true
	c.judge(e)
}

// SetTruth replaces the truth at key k (a truth read back from a table).
func (c *Comparator) SetTruth(k engine.Key, a engine.Agg) {
	e := c.entry(k)
	e.Truth, e.HasTruth = a, true
	c.judge(e)
}

// Observe records a downstream emission; the latest one per key counts.
func (c *Comparator) Observe(r engine.Result) {
	e := c.entry(r.Key)
	e.Down, e.HasDown = r.Agg, true
	if e.Incomplete != r.Incomplete {
		e.Incomplete = r.Incomplete
		if r.Incomplete {
			c.incompl++
			if e.Settled { // incomplete rows are pending whatever the horizons
				e.Settled = false
				c.settled.Keys--
				if e.exc {
					c.settled.Exceptions--
				}
				c.wait(e)
			}
		} else {
			c.incompl--
		}
	}
	c.judge(e)
	if !e.Incomplete && !e.Settled && e.WindowEnd <= c.horizon {
		c.settle(e)
	}
}

// judge updates the counts after a row changed.
func (c *Comparator) judge(e *entry) {
	exc := e.Exception(c.opts)
	if exc == e.exc {
		return
	}
	d := 1
	if !exc {
		d = -1
	}
	c.prov.Exceptions += d
	if e.Settled {
		c.settled.Exceptions += d
	}
	if exc {
		c.exc[e.Key] = e
	} else {
		delete(c.exc, e.Key)
	}
	e.exc = exc
}

func (c *Comparator) settle(e *entry) {
	e.Settled = true
	c.settled.Keys++
	if e.exc {
		c.settled.Exceptions++
	}
}

// Settle advances the horizons: the truth is final for window ends ≤
// truthBefore (the injector's clock minus its largest possible lag) and the
// downstream for ends ≤ downBefore (the windows the engine has closed).
// Horizons never go back.
func (c *Comparator) Settle(truthBefore, downBefore int64) {
	c.truthH = max(c.truthH, truthBefore)
	c.downH = max(c.downH, downBefore)
	h := min(c.truthH, c.downH)
	if h <= c.horizon {
		return
	}
	c.horizon = h
	n := 0
	for n < len(c.ends) && c.ends[n] <= h {
		for _, e := range c.waiting[c.ends[n]] {
			// Incomplete rows stay pending; Observe settles them once a
			// complete value arrives.
			if !e.Settled && !e.Incomplete {
				c.settle(e)
			}
		}
		delete(c.waiting, c.ends[n])
		n++
	}
	c.ends = slices.Delete(c.ends, 0, n)
}

// Evict forgets settled rows that are not exceptions, with window ends at
// or before `before`, and, past MaxListed exceptions, the oldest settled
// exceptions so far behind: an unbounded run keeps its memory bounded, and
// their keys stay counted in the scores (the evicted exceptions as
// Report.Unlisted). Call it well behind the horizon: an emission for an
// evicted key would start a new row.
func (c *Comparator) Evict(before int64) int {
	n := 0
	gone := func(k engine.Key, e *entry) bool {
		return e.Settled && k.WindowEnd <= before && k.WindowEnd <= c.horizon
	}
	for k, e := range c.rows {
		if !e.exc && gone(k, e) {
			delete(c.rows, k)
			n++
		}
	}
	if over := len(c.exc) - MaxListed; over > 0 {
		var old []*entry
		for k, e := range c.exc {
			if gone(k, e) {
				old = append(old, e)
			}
		}
		slices.SortFunc(old, func(a, b *entry) int { return a.Key.Compare(b.Key) })
		for _, e := range old[:min(over, len(old))] {
			delete(c.exc, e.Key)
			delete(c.rows, e.Key)
			c.unlisted++
			n++
		}
	}
	return n
}

// Horizon returns the settle horizon: windows ending at or before it are final.
func (c *Comparator) Horizon() int64 { return c.horizon }

// Keys returns how many keys have been joined.
func (c *Comparator) Keys() int { return len(c.rows) }

// Report returns the verdict. With final set, the input has ended: every
// key is judged, and keys the downstream reported incomplete are pending.
func (c *Comparator) Report(final bool) Report { return c.ReportLimit(final, 0) }

// ReportLimit is Report listing at most limit exception rows (0: all): the
// latest windows, for a screen that cannot show thousands anyway. The
// scores always count every row.
func (c *Comparator) ReportLimit(final bool, limit int) Report {
	r := Report{Settled: c.settled, Provisional: c.prov, Final: final,
		Pending: c.prov.Keys - c.settled.Keys, Unlisted: c.unlisted}
	r.Exceptions = make([]Row, 0, len(c.exc))
	for _, e := range c.exc {
		row := e.Row
		if final {
			row.Settled = true
		}
		row.TruthFinal = final || row.WindowEnd <= c.truthH
		row.DownFinal = final || row.WindowEnd <= c.downH
		r.Exceptions = append(r.Exceptions, row)
	}
	sortRows(r.Exceptions)
	if limit > 0 && len(r.Exceptions) > limit {
		r.Exceptions = r.Exceptions[len(r.Exceptions)-limit:]
	}
	if final {
		s := Score{Exceptions: c.prov.Exceptions, Keys: c.prov.Keys - c.incompl}
		r.Settled, r.Provisional, r.Pending = s, s, c.incompl
		for _, e := range c.rows {
			if e.Incomplete {
				r.PendingRows = append(r.PendingRows, e.Row)
			}
		}
		sortRows(r.PendingRows)
	}
	return r
}

// Rows returns every joined row, sorted (for a full listing or a test).
func (c *Comparator) Rows() []Row {
	out := make([]Row, 0, len(c.rows))
	for _, e := range c.rows {
		out = append(out, e.Row)
	}
	sortRows(out)
	return out
}

func sortRows(rs []Row) {
	slices.SortFunc(rs, func(a, b Row) int { return a.Key.Compare(b.Key) })
}
