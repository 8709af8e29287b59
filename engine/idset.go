package engine

import "hash/maphash"

// idSet maps an event id to an int64 (the window end in event time, the
// arrival in processing time) and forgets in bulk: an entry whose value is
// at or below the floor is expired, skipped by lookups and reused by
// inserts, so closing a window costs nothing per id. When the table fills
// up it is rebuilt without the expired entries, sized to what is live (it
// shrinks after a burst).
//
// An id is remembered by its fingerprint, two 64-bit keyed hashes with
// random seeds: the set holds no pointers (the garbage collector never
// scans it) and no decoded string stays alive for it. Two distinct ids are
// mistaken for one another with probability about n/2^128 per lookup (n
// ids remembered): below 10^-30 for ten million ids, far below any
// hardware error rate.
type idSet struct {
	seed, seed2 maphash.Seed
	slots       []idSlot
	mask        uint64
	used        int   // slots not empty (live or expired)
	floor       int64 // values at or below are expired
	// live counts the ids not expired while liveOK; an Expire that moves
	// the floor makes it stale until the next Len or rebuild counts again.
	live   int
	liveOK bool
	counts liveCount // keeps live right across Expire while it counts
	// inserts since the last check: every len(slots)/8 of them, a table
	// mostly expired (expired slots are reused, so it never fills) shrinks.
	inserts int
	sparse  int // checks in a row that found the table mostly expired
	// Expire checks too, once the floor moved checkSpan past the last
	// check (a window): a table left large by a burst shrinks even when
	// few ids come in after it.
	checkSpan, checked int64
	touched            uint64 // what touch read, so the reads stay
	cursor             uint64 // where sweep goes on
	// old is the table before the last resize, emptied into slots a few
	// entries per insert (so a resize of millions of ids does not stall
	// the engine). Moved entries stay in it, expired, until it is dropped.
	old     []idSlot
	oldMask uint64
	moved   int // old[:moved] are moved
}

// migrateSteps is how many old slots each insert moves: an old table is
// empty before the new one (at least twice as large) can fill up.
const migrateSteps = 4

// migrate moves the live entries among the next steps slots of the old
// table into the new one.
func (s *idSet) migrate(steps int) {
	end := min(s.moved+steps, len(s.old))
	for k := s.moved; k < end; k++ {
		e := &s.old[k]
		if e.h != 0 && e.v > s.floor {
			j := e.h & s.mask
			for s.slots[j].h != 0 {
				j = (j + 1) & s.mask
			}
			s.slots[j] = *e
			s.used++
		}
		e.v = None // expired for good: counted and found in slots now
	}
	s.moved = end
	if s.moved == len(s.old) {
		s.old, s.oldMask, s.moved = nil, 0, 0
	}
}

// findOld finds a live f in the old table.
func (s *idSet) findOld(f fingerprint) (uint64, bool) {
	if s.old == nil {
		return 0, false
	}
	for i := f.h & s.oldMask; ; i = (i + 1) & s.oldMask {
		e := &s.old[i]
		if e.h == 0 {
			return 0, false
		}
		if e.fingerprint == f && e.v > s.floor {
			return i, true
		}
	}
}

// sweepSteps is how many slots each insert sweeps: the whole table every
// len/4 inserts, so expired entries are emptied as fast as the live ones
// (at most a quarter of the table) come in, and the table never fills up
// with them: no insert pays for a whole rebuild, which at millions of ids
// would stall the engine for a tenth of a second.
const sweepSteps = 4

// sweep empties the expired entries among the next steps slots.
func (s *idSet) sweep(steps int) {
	for range steps {
		i := s.cursor & s.mask // the table may have been resized
		s.cursor = (i + 1) & s.mask
		if e := s.slots[i]; e.h != 0 && e.v <= s.floor {
			s.deleteAt(i)
		}
	}
}

// deleteAt empties slot i, moving back the entries after it whose probe
// run crossed it (backward-shift deletion: no tombstones).
func (s *idSet) deleteAt(i uint64) {
	j := i
	for {
		j = (j + 1) & s.mask
		e := s.slots[j]
		if e.h == 0 {
			break
		}
		home := e.h & s.mask
		// e stays if its home lies cyclically in (i, j].
		if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		s.slots[i] = e
		i = j
	}
	s.slots[i] = idSlot{}
	s.used--
}

// fingerprint is an id's two hashes; h is never 0 (0 marks an empty slot).
type fingerprint struct{ h, g uint64 }

// idSlot is one entry: 24 bytes, no pointers.
type idSlot struct {
	fingerprint
	v int64
}

const minSlots = 1024

// maxLoad is the fill (live and expired) that triggers a rebuild: linear
// probing stays short below a half.
const maxLoadNum, maxLoadDen = 1, 2

func newIDSet(seed, seed2 maphash.Seed) *idSet {
	s := &idSet{seed: seed, seed2: seed2, floor: None, liveOK: true, checked: None, counts: newLiveCount()}
	s.slots, s.mask = make([]idSlot, minSlots), minSlots-1
	return s
}

// fingerprint hashes id.
func (s *idSet) fingerprint(id string) fingerprint {
	f := fingerprint{maphash.String(s.seed, id), maphash.String(s.seed2, id)}
	if f.h == 0 {
		f.h = 1
	}
	return f
}

// find returns the slot holding f, or else the slot an insert should use:
// the first expired one on the probe run, or the empty one ending it.
func (s *idSet) find(f fingerprint) (uint64, bool) {
	i, free, haveFree := f.h&s.mask, uint64(0), false
	for {
		e := &s.slots[i]
		switch {
		case e.h == 0:
			if haveFree {
				return free, false
			}
			return i, false
		case e.v <= s.floor:
			if !haveFree {
				free, haveFree = i, true
			}
		case e.fingerprint == f:
			return i, true
		}
		i = (i + 1) & s.mask
	}
}

// touch reads the slots the probes of fps start at, to have them in cache
// by the time they are looked up. The reads are folded in a local and
// stored once: folding them into a field would chain each read to the
// one before (a store, then a load of it), one cache miss after another.
// It is not inlined: inlined, its local was spilled to the stack, which
// chained the reads again.
//
//go:noinline
func (s *idSet) touch(fps []fingerprint) {
	var t uint64
	for _, f := range fps {
		e := &s.slots[f.h&s.mask]
		t |= e.h ^ uint64(e.v) // both ends: a slot may straddle two cache lines
	}
	if s.old != nil { // a miss in slots is looked up there too
		for _, f := range fps {
			e := &s.old[f.h&s.oldMask]
			t |= e.h ^ uint64(e.v)
		}
	}
	s.touched = t
}

// Has reports whether id is remembered (and not expired).
func (s *idSet) Has(id string) bool { return s.HasPrint(s.fingerprint(id)) }

// HasPrint is Has with the id's fingerprint already computed.
func (s *idSet) HasPrint(f fingerprint) bool {
	_, ok := s.Lookup(f)
	return ok
}

// Get returns id's value.
func (s *idSet) Get(id string) (int64, bool) {
	f := s.fingerprint(id)
	if i, ok := s.find(f); ok {
		return s.slots[i].v, true
	}
	if i, ok := s.findOld(f); ok {
		return s.old[i].v, true
	}
	return 0, false
}

// Put sets id's value.
func (s *idSet) Put(id string, v int64) { s.PutPrint(s.fingerprint(id), v) }

// PutPrint is Put with the id's fingerprint already computed.
func (s *idSet) PutPrint(f fingerprint, v int64) {
	i, ok := s.find(f)
	if ok {
		s.counts.add(s.slots[i].v, -1) // found means it was live
		s.slots[i].v = v
		if v <= s.floor {
			s.live--
		} else {
			s.counts.add(v, 1)
		}
		return
	}
	if k, ok := s.findOld(f); ok { // move it over, with its new value
		s.counts.add(s.old[k].v, -1)
		s.old[k].v = None
		s.live--
	}
	s.insertAt(i, f, v)
}

// Lookup finds f: whether it is there, and where an insert of it goes
// (valid until the set changes). One probe serves the dedup check and the
// insert that follows it.
func (s *idSet) Lookup(f fingerprint) (slot uint64, found bool) {
	if slot, found = s.find(f); !found && s.old != nil {
		_, found = s.findOld(f)
	}
	return slot, found
}

// insertAt puts an id that Lookup did not find at the slot it returned.
func (s *idSet) insertAt(i uint64, f fingerprint, v int64) {
	if s.slots[i].h == 0 {
		s.used++
	}
	if v > s.floor {
		s.live++
		s.counts.add(v, 1)
	}
	s.slots[i] = idSlot{f, v}
	s.sweep(sweepSteps)
	if s.old != nil {
		s.migrate(migrateSteps)
	}
	s.inserts++
	if s.used*maxLoadDen > len(s.slots)*maxLoadNum {
		s.rebuild(len(s.slots))
	} else if s.inserts >= len(s.slots)/8 {
		// A table mostly expired at four checks in a row shrinks (one
		// check could fall just after a window closed, when few ids are
		// live: shrinking then would only grow again).
		s.inserts = 0
		if len(s.slots) > minSlots && s.sampleLive()*16 < len(s.slots) {
			s.sparse++
		} else {
			s.sparse = 0
		}
		if s.sparse >= 4 {
			s.rebuild(8 * s.Len()) // room to grow to twice as many live
		}
	}
}

// sampleLive estimates the live entries from 1024 slots spread over the
// table (a full count would read every slot).
func (s *idSet) sampleLive() int {
	step := max(len(s.slots)/1024, 1)
	n := 0
	for k := 0; k < len(s.slots); k += step {
		if e := s.slots[k]; e.h != 0 && e.v > s.floor {
			n++
		}
	}
	return n * step
}

// rebuild drops the expired entries into a table of at least min slots
// that the live ones fill at most a quarter of. Sizes are powers of two,
// so a steady state settles on one size, and compacts in place; a new
// size starts a new table that the inserts to come fill from the old one.
func (s *idSet) rebuild(min int) {
	if s.old != nil {
		s.migrate(len(s.old))
	}
	live := s.Len()
	s.sparse = 0
	n := minSlots
	for live*4 > n || n < min {
		n *= 2
	}
	if n == len(s.slots) {
		s.compact()
		return
	}
	s.old, s.oldMask, s.moved = s.slots, s.mask, 0
	s.slots, s.mask, s.used, s.inserts = make([]idSlot, n), uint64(n-1), 0, 0
}

// compact drops the expired entries in place, allocating nothing. It walks
// the table once from a slot that was empty, moving each live entry to the
// first empty slot of its probe run: no run crosses that slot, so every
// entry stays reachable from its home.
func (s *idSet) compact() {
	start := -1
	for k := range s.slots {
		if s.slots[k].h == 0 {
			start = k
			break
		}
	}
	for k := range s.slots {
		if e := &s.slots[k]; e.h != 0 && e.v <= s.floor {
			*e = idSlot{}
		}
	}
	s.used = 0
	for step := 1; step <= len(s.slots); step++ {
		p := uint64(start+step) & s.mask
		e := s.slots[p]
		if e.h == 0 {
			continue
		}
		s.slots[p] = idSlot{}
		j := e.h & s.mask
		for s.slots[j].h != 0 {
			j = (j + 1) & s.mask
		}
		s.slots[j] = e
		s.used++
	}
}

// Expire forgets every id whose value is at or below floor. It never goes
// back. Once a window of floor, it looks at how many ids the table held
// until then (the most it held since the last look: live ids only come in
// between floor moves): a table under 1/16 live at four looks in a row
// shrinks at once, to a quarter full with the ids live until now (rebuild).
func (s *idSet) Expire(floor int64) {
	if floor <= s.floor {
		return
	}
	if s.old == nil && len(s.slots) > minSlots && (s.checked == None || floor-s.checked >= s.checkSpan) {
		s.checked = floor
		if s.sampleLive()*16 < len(s.slots) { // at the old floor
			s.sparse++
		} else {
			s.sparse = 0
		}
		if s.sparse >= 4 {
			s.rebuild(0)
			s.migrate(len(s.old)) // the old table goes now, not over the inserts to come
		}
	}
	if n, ok := s.counts.expire(floor); ok {
		s.live -= n // liveOK stays as it was
	} else {
		s.liveOK = false
	}
	s.floor = floor
}

// Len is the number of ids remembered. After the floor moved it counts
// them in a scan (once per move: statistics read it at a frame rate).
func (s *idSet) Len() int {
	if !s.liveOK {
		n := 0
		for _, t := range [2][]idSlot{s.slots, s.old} {
			for k := range t {
				if e := t[k]; e.h != 0 && e.v > s.floor {
					n++
				}
			}
		}
		s.live, s.liveOK = n, true
	}
	return s.live
}

// Each calls f for the fingerprint of every id remembered.
func (s *idSet) Each(f func(fingerprint)) {
	for _, t := range [2][]idSlot{s.slots, s.old} {
		for k := range t {
			if e := t[k]; e.h != 0 && e.v > s.floor {
				f(e.fingerprint)
			}
		}
	}
}

// Clear forgets every id, and the floor (a mode switch changes what the
// values mean).
func (s *idSet) Clear() {
	clear(s.slots)
	s.old, s.oldMask, s.moved = nil, 0, 0
	s.used, s.floor, s.live, s.liveOK = 0, None, 0, true
	s.counts = newLiveCount()
}
