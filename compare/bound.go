package compare

import (
	"maps"
	"math"
	"slices"
)

// MaxRefusedEnds is how many dropped window ends are remembered one by one;
// past it the farthest become a bound (every end at or beyond it refused),
// so windows from a clock gone wrong cost nothing however many there are.
const MaxRefusedEnds = 4096

// refusal is the window ends the MaxUnsettled bound dropped. A key at one of
// them is never held again, so a key is judged on all of its input or on
// none of it: a truth dropped and a downstream kept would be a false
// exception.
type refusal struct {
	ends     []int64 // ascending, all below from when past is set
	past     bool    // every end ≥ from is refused
	from     int64
	unjudged int // Report.Unjudged
}

// refused reports whether new keys at window end end are not held.
func (r *refusal) refused(end int64) bool {
	if r.past && end >= r.from {
		return true
	}
	if len(r.ends) == 0 {
		return false
	}
	_, found := slices.BinarySearch(r.ends, end)
	return found
}

// refuse adds end to the refused window ends.
func (r *refusal) refuse(end int64) {
	if r.past && end >= r.from {
		return
	}
	i, found := slices.BinarySearch(r.ends, end)
	if !found {
		r.ends = slices.Insert(r.ends, i, end)
	}
	if len(r.ends) > MaxRefusedEnds {
		last := len(r.ends) - 1
		r.from, r.past = r.ends[last], true
		r.ends = r.ends[:last]
	}
}

// forget drops the refused ends at or before end. Like an evicted row, a
// window that far behind the horizon is expected to get no more input.
func (r *refusal) forget(end int64) {
	n := len(r.ends)
	if end < math.MaxInt64 {
		n, _ = slices.BinarySearch(r.ends, end+1)
	}
	if n > 0 {
		r.ends = clip(slices.Delete(r.ends, 0, n))
	}
}

// bound keeps at most MaxUnsettled keys pending: past it, it drops the
// farthest window end held (its keys counted as unjudged, the end refused)
// until the bound holds. Ends at or below the horizon are not dropped: their
// rows are pending only because the downstream called them incomplete.
// It reports whether it dropped anything.
func (c *Comparator) bound() bool {
	dropped := false
	for c.prov.Keys-c.settled.Keys > c.opts.MaxUnsettled && len(c.ends) > 0 {
		end := c.ends[len(c.ends)-1]
		if end <= c.horizon {
			break
		}
		c.drop(end)
		dropped = true
	}
	if dropped {
		c.rows = shrink(c.rows, &c.peakRows)
	}
	return dropped
}

// drop forgets the rows of window end end, above the horizon (none is
// settled), and refuses the end.
func (c *Comparator) drop(end int64) {
	for _, e := range c.waiting[end] {
		c.uncount(e)
		delete(c.rows, e.Key)
		c.prov.Keys--
		if e.exc {
			c.prov.Exceptions--
			c.exc.remove(e)
		}
		if e.Incomplete {
			c.incompl--
			c.pend.remove(e)
		}
		c.unjudged++
	}
	delete(c.waiting, end)
	c.ends = c.ends[:len(c.ends)-1]
	c.refuse(end)
	c.dropEvidence(end)
}

// Evict forgets settled rows that are not exceptions, with window ends at
// or before `before`, and, past MaxListed exceptions, the oldest settled
// exceptions so far behind: an unbounded run keeps its memory bounded, and
// their keys stay counted in the scores (the evicted exceptions as
// Report.Unlisted). Call it well behind the horizon: an emission for an
// evicted key would start a new row. The maps are rebuilt once they hold
// a quarter of their peak: Go maps keep their memory after deletes.
func (c *Comparator) Evict(before int64) int {
	cut := min(before, c.horizon)
	n := 0
	for k, e := range c.rows {
		if !e.exc && e.Settled && k.WindowEnd <= cut {
			delete(c.rows, k)
			n++
		}
	}
	if over := c.exc.n - MaxListed; over > 0 {
		var old []*entry
		c.exc.ascend(func(e *entry) bool {
			if e.WindowEnd > cut {
				return false
			}
			if e.Settled {
				old = append(old, e)
			}
			return len(old) < over
		})
		for _, e := range old {
			c.exc.remove(e)
			delete(c.rows, e.Key)
			c.unlisted++
			n++
		}
	}
	c.forget(cut)
	c.rows = shrink(c.rows, &c.peakRows)
	c.evictEvidence(cut)
	return n
}

// minShrink is the peak below which a map is never rebuilt: not worth it.
const minShrink = 1024

// shrink returns m, or a fresh copy of it once it holds a quarter of its
// peak or less (Go maps never give back their buckets), resetting the peak.
// Rebuilding costs O(len(m)) only after ¾ of the peak was deleted, so
// amortised it is O(1) a delete.
func shrink[K comparable, V any](m map[K]V, peak *int) map[K]V {
	if *peak < minShrink || len(m) > *peak/4 {
		return m
	}
	fresh := make(map[K]V, len(m))
	maps.Copy(fresh, m)
	*peak = len(m)
	return fresh
}

// clip returns s in a smaller array once it uses a quarter of its capacity.
func clip(s []int64) []int64 {
	if cap(s) < minShrink || len(s) > cap(s)/4 {
		return s
	}
	if len(s) == 0 {
		return nil
	}
	return append(make([]int64, 0, 2*len(s)), s...)
}
