package engine

import "slices"

// liveCount counts an idSet's live ids by value, so that Expire takes the
// expired ones off the count and Len needs no scan of the table (a status
// read Len at every tick, and a scan of a table of millions of ids at every
// floor move cost more than a twentieth of the engine role's CPU). In event
// time the values are window ends: a few hundred at most. Past
// maxCountedValues distinct values (processing time's arrivals) it stops
// counting, and Len counts in a scan as before.
type liveCount struct {
	on   bool
	vals []valueCount // ascending by value
	// The last value changed and its change not yet in vals: nearly every
	// insert goes to the newest window.
	lastV int64
	lastN int
}

type valueCount struct {
	v int64
	n int
}

// maxCountedValues bounds the distinct live values counted.
const maxCountedValues = 1024

func newLiveCount() liveCount { return liveCount{on: true, lastV: None} }

// add counts d more ids of value v (d < 0: fewer).
func (c *liveCount) add(v int64, d int) {
	if !c.on {
		return
	}
	if v != c.lastV {
		c.flush()
		c.lastV, c.lastN = v, 0
	}
	c.lastN += d
}

// flush moves the pending change into vals.
func (c *liveCount) flush() {
	if c.lastN == 0 || !c.on {
		return
	}
	v, d := c.lastV, c.lastN
	c.lastN = 0
	i, found := slices.BinarySearchFunc(c.vals, v, func(e valueCount, v int64) int {
		switch {
		case e.v < v:
			return -1
		case e.v > v:
			return 1
		}
		return 0
	})
	switch {
	case found:
		if c.vals[i].n += d; c.vals[i].n == 0 {
			c.vals = slices.Delete(c.vals, i, i+1)
		}
	case len(c.vals) >= maxCountedValues:
		c.on, c.vals = false, nil
	default:
		c.vals = slices.Insert(c.vals, i, valueCount{v, d})
	}
}

// expire removes the values at or below floor and returns how many ids
// they counted; ok is false when counting is off.
func (c *liveCount) expire(floor int64) (n int, ok bool) {
	c.flush()
	if !c.on {
		return 0, false
	}
	k := 0
	for k < len(c.vals) && c.vals[k].v <= floor {
		n += c.vals[k].n
		k++
	}
	c.vals = c.vals[:copy(c.vals, c.vals[k:])]
	return n, true
}
