// Package compare judges a downstream result set against the injector's
// truth (SPEC §4): a full outer join on (device, category, window end), an
// exception for a key missing on one side or an m1_sum that differs, and
// the score "N exceptions out of M". Each exception is given a cause
// (evidence.go, explain.go) derived only from the events as they were sent.
//
// It is pure: no goroutines, no I/O, no clock. The caller feeds truth
// deltas and downstream emissions and advances the two settle horizons;
// scores are kept incrementally and the listed rows in key order, so a
// report limited to n rows costs O(n + log rows) however many rows are held.
package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// Options tunes judging. The zero value is not valid; use DefaultOptions.
type Options struct {
	// M2Tolerance judges m2_sum when ≥ 0: |Δm2| above it is an exception.
	// Negative means m2 is shown with its delta but not judged [-1].
	M2Tolerance float64
	// MaxUnsettled bounds the keys held unsettled [0: DefaultMaxUnsettled]:
	// a window far beyond the horizon (a device or engine clock gone wrong)
	// may never settle. Past it the farthest window end held is dropped and
	// refused: its keys, and later input for any key at that end, are
	// counted in Report.Unjudged, never judged (so never a false exception).
	MaxUnsettled int
	// Window is the size of the truth's windows, which Sent needs to place
	// sent events [0: 5s].
	Window time.Duration
	// DedupTTL is how long a processing-time downstream remembers ids, for
	// the send-window sums of SPEC §4's causes [0: 10m].
	DedupTTL time.Duration
}

// DefaultMaxUnsettled is how many keys are held unsettled when
// Options.MaxUnsettled is 0: more than a whole 3 M-event run joins (31 K
// keys), so only windows that cannot settle reach it.
const DefaultMaxUnsettled = 100_000

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
	// Cause explains an exception in a Report's rows (SPEC §4, causes),
	// e.g. "late dropped (2)"; "" elsewhere.
	Cause string
	// Late and Dups are, in a Report's rows, the sent events the cause
	// names: the late originals dropped and the copies counted (shared
	// between reports: never to be changed).
	Late, Dups []Candidate
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
	// BeforeRun is the part of Settled in windows that ended by the first
	// event sent (see early.go): only late events reach those keys.
	BeforeRun Score
	// Unjudged counts what was not judged because Options.MaxUnsettled
	// keys were held unsettled: each held key dropped (the farthest window
	// ends first) and each later truth delta or emission for a key at a
	// dropped window end. None of it is in a score, as a match or an exception.
	Unjudged int
}

// MaxListed is how many exception rows Evict keeps listed: an unbounded
// run with late events makes exceptions without end.
const MaxListed = 10_000

type entry struct {
	Row
	exc         bool
	left, right *entry      // links in the exception or the pending tree
	prio        uint64      // the tree's heap priority
	cause       string      // the cause last computed…
	late, dups  []Candidate // …the events it names…
	causeGen    uint64      // …under Comparator.gen (0: stale)…
	causeEv     uint64      // …and its evidence's version
}

// Comparator joins one downstream with the truth.
type Comparator struct {
	opts        Options
	rows        map[engine.Key]*entry
	exc         rowTree            // the exception rows, in key order
	pend        rowTree            // the rows reported incomplete, in key order
	waiting     map[int64][]*entry // unsettled rows by window end
	ends        []int64            // keys of waiting, ascending
	truthH      int64              // truth is final for window ends ≤ truthH
	downH       int64              // downstream is final for window ends ≤ downH
	horizon     int64              // min(truthH, downH): windows with end ≤ horizon are settled
	prov        Score
	settled     Score
	incompl     int
	unlisted    int // settled exceptions evicted from the list
	refusal         // window ends dropped by the MaxUnsettled bound
	peakRows    int // the most rows since rows was last rebuilt
	peakWaiting int // likewise for waiting

	// The evidence for causes (evidence.go): per window end and key, the
	// ids sent, and what is known of the downstream.
	ev         map[int64]map[evPair]*keyEvidence
	evKeys     int
	idm        idMemory
	fed        bool // Sent was called
	latestSend int64
	firstSend  int64 // the first send fed: windows ending by it are before the run
	before     tally // the keys of those windows
	down       Downstream
	gen        uint64 // bumped when down changes: every cause is stale
}

// ErrBadTolerance is returned for a NaN m2 tolerance.
var ErrBadTolerance = errors.New("compare: m2 tolerance must be a number")

// ErrBadMaxUnsettled is returned for a negative Options.MaxUnsettled.
var ErrBadMaxUnsettled = errors.New("compare: the most unsettled keys held must not be negative")

// ErrBadDurations is returned for a negative window or dedup-ttl.
var ErrBadDurations = errors.New("compare: window and dedup-ttl must not be negative")

// New returns a comparator.
func New(opts Options) (*Comparator, error) {
	if math.IsNaN(opts.M2Tolerance) {
		return nil, ErrBadTolerance
	}
	if opts.MaxUnsettled < 0 {
		return nil, fmt.Errorf("%w: %d", ErrBadMaxUnsettled, opts.MaxUnsettled)
	}
	if opts.Window < 0 || opts.DedupTTL < 0 {
		return nil, fmt.Errorf("%w: window %v, dedup-ttl %v", ErrBadDurations, opts.Window, opts.DedupTTL)
	}
	if opts.MaxUnsettled == 0 {
		opts.MaxUnsettled = DefaultMaxUnsettled
	}
	if opts.Window < time.Millisecond {
		opts.Window = 5 * time.Second
	}
	if opts.DedupTTL == 0 {
		opts.DedupTTL = 10 * time.Minute
	}
	return &Comparator{
		opts:       opts,
		rows:       make(map[engine.Key]*entry),
		waiting:    make(map[int64][]*entry),
		truthH:     engine.None,
		downH:      engine.None,
		horizon:    engine.None,
		down:       DefaultDownstream(),
		gen:        1,
		latestSend: engine.None,
		firstSend:  engine.None,
	}, nil
}

// entry returns the row of key k, a new one if need be, or nil when k is
// not judged (its window end was dropped by the MaxUnsettled bound): that
// input is counted in Unjudged.
func (c *Comparator) entry(k engine.Key) *entry {
	if e, ok := c.rows[k]; ok {
		return e
	}
	if c.refused(k.WindowEnd) {
		c.unjudged++
		return nil
	}
	e := &entry{Row: Row{Key: k}}
	c.rows[k] = e
	c.peakRows = max(c.peakRows, len(c.rows))
	c.prov.Keys++
	if k.WindowEnd <= c.horizon {
		e.Settled = true
		c.settled.Keys++
		c.recount(e)
		return e
	}
	c.recount(e)
	c.wait(e)
	if c.bound() && c.rows[k] != e {
		return nil // its own window end was the farthest: dropped and counted
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
	c.peakWaiting = max(c.peakWaiting, len(c.waiting))
}

// AddTruth adds a truth delta (one or more first sends) at key k.
func (c *Comparator) AddTruth(k engine.Key, delta engine.Agg) {
	e := c.entry(k)
	if e == nil {
		return
	}
	e.Truth.Merge(delta)
	e.HasTruth = true
	c.judge(e)
}

// SetTruth replaces the truth at key k (a truth read back from a table).
func (c *Comparator) SetTruth(k engine.Key, a engine.Agg) {
	e := c.entry(k)
	if e == nil {
		return
	}
	e.Truth, e.HasTruth = a, true
	c.judge(e)
}

// Observe records a downstream emission; the latest one per key counts.
func (c *Comparator) Observe(r engine.Result) {
	e := c.entry(r.Key)
	if e == nil {
		return
	}
	e.Down, e.HasDown = r.Agg, true
	changed := e.Incomplete != r.Incomplete
	if changed {
		c.setIncomplete(e, r.Incomplete)
	}
	c.judge(e) // an incomplete row leaves the exception list here…
	if changed && e.Incomplete {
		c.pend.insert(e) // …before it joins the pending one
	}
	if !e.Incomplete && !e.Settled && e.WindowEnd <= c.horizon {
		c.settle(e)
	}
}

// setIncomplete records that the downstream now says e is (or is no longer)
// partial. An incomplete row is pending whatever the horizons.
func (c *Comparator) setIncomplete(e *entry, incomplete bool) {
	c.uncount(e)
	defer c.recount(e)
	e.Incomplete = incomplete
	if !incomplete {
		c.incompl--
		c.pend.remove(e)
		return
	}
	c.incompl++
	if e.Settled {
		e.Settled = false
		c.settled.Keys--
		if e.exc {
			c.settled.Exceptions--
		}
		c.wait(e)
	}
}

// judge updates the counts after a row changed.
func (c *Comparator) judge(e *entry) {
	e.causeGen = 0
	exc := e.Exception(c.opts)
	if exc == e.exc {
		return
	}
	c.uncount(e)
	defer c.recount(e)
	d := 1
	if !exc {
		d = -1
	}
	c.prov.Exceptions += d
	if e.Settled {
		c.settled.Exceptions += d
	}
	if exc {
		c.exc.insert(e)
	} else {
		c.exc.remove(e)
	}
	e.exc = exc
}

func (c *Comparator) settle(e *entry) {
	c.uncount(e)
	defer c.recount(e)
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
	c.ends = clip(slices.Delete(c.ends, 0, n))
	c.waiting = shrink(c.waiting, &c.peakWaiting)
}

// Horizon returns the settle horizon: windows ending at or before it are final.
func (c *Comparator) Horizon() int64 { return c.horizon }

// Keys returns how many keys have been joined.
func (c *Comparator) Keys() int { return len(c.rows) }
