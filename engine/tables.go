package engine

import (
	"hash/maphash"
	"unsafe"
)

// The engine's two hot lookups, each one hash of the strings per event:
// idSet remembers ids for dedup, cellTable numbers (device, category)
// pairs. Both are open-addressing tables with linear probing that keep the
// full strings, so a hash collision is never mistaken for a match.

// idSet maps an event id to an int64 (the window end in event time, the
// arrival in processing time) and forgets in bulk: an entry whose value is
// at or below the floor is expired, skipped by lookups and reused by
// inserts, so closing a window costs nothing per id. When the table fills
// up it is rebuilt without the expired entries, into a spare array: in a
// steady state it allocates nothing.
type idSet struct {
	seed  maphash.Seed
	slots []idSlot // hash and value: 16 bytes, what every probe reads
	ids   []string // the ids, parallel to slots: read only when a hash matches
	spare []idSlot // for rebuilds without allocating
	spids []string
	mask  uint64
	used  int   // slots not empty (live or expired)
	floor int64 // values at or below are expired
}

type idSlot struct {
	h uint64 // 0: empty
	v int64
}

// maxLoad is the fill (live and expired) that triggers a rebuild: linear
// probing stays short below a half.
const maxLoadNum, maxLoadDen = 1, 2

func newIDSet(seed maphash.Seed) *idSet {
	s := &idSet{seed: seed, floor: None}
	s.slots, s.ids = make([]idSlot, 1024), make([]string, 1024)
	s.mask = 1023
	return s
}

func (s *idSet) hash(id string) uint64 {
	h := maphash.String(s.seed, id)
	if h == 0 {
		h = 1
	}
	return h
}

// find returns the slot holding id, or else the slot an insert should use:
// the first expired one on the probe run, or the empty one ending it.
func (s *idSet) find(h uint64, id string) (uint64, bool) {
	i, free, haveFree := h&s.mask, uint64(0), false
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
		case e.h == h && s.ids[i] == id:
			return i, true
		}
		i = (i + 1) & s.mask
	}
}

// Has reports whether id is remembered (and not expired).
func (s *idSet) Has(id string) bool { return s.HasHashed(s.hash(id), id) }

// HasHashed is Has with the id's hash already computed.
func (s *idSet) HasHashed(h uint64, id string) bool {
	_, ok := s.find(h, id)
	return ok
}

// Get returns id's value.
func (s *idSet) Get(id string) (int64, bool) {
	i, ok := s.find(s.hash(id), id)
	if !ok {
		return 0, false
	}
	return s.slots[i].v, true
}

// Put sets id's value.
func (s *idSet) Put(id string, v int64) { s.PutHashed(s.hash(id), id, v) }

// PutHashed is Put with the id's hash already computed.
func (s *idSet) PutHashed(h uint64, id string, v int64) {
	i, ok := s.find(h, id)
	if ok {
		s.slots[i].v = v
		return
	}
	s.insertAt(i, h, id, v)
}

// Lookup finds id: whether it is there, and where an insert of it goes
// (valid until the set changes). One probe serves the dedup check and the
// insert that follows it.
func (s *idSet) Lookup(h uint64, id string) (slot uint64, found bool) { return s.find(h, id) }

// insertAt puts an id that Lookup did not find at the slot it returned.
func (s *idSet) insertAt(i, h uint64, id string, v int64) {
	if s.slots[i].h == 0 {
		s.used++
	}
	s.slots[i], s.ids[i] = idSlot{h: h, v: v}, id
	if s.used*maxLoadDen > len(s.slots)*maxLoadNum {
		s.rebuild()
	}
}

// rebuild drops the expired entries, growing when the live ones fill a
// quarter (so a rebuilt table is at most half full).
func (s *idSet) rebuild() {
	live := s.Len()
	n := len(s.slots)
	for live*4 > n {
		n *= 2
	}
	next, nextIDs := s.spare, s.spids
	if len(next) != n {
		next, nextIDs = make([]idSlot, n), make([]string, n)
	}
	old, oldIDs := s.slots, s.ids
	s.slots, s.ids, s.mask, s.used = next, nextIDs, uint64(n-1), 0
	for k := range old {
		e := old[k]
		if e.h != 0 && e.v > s.floor {
			j := e.h & s.mask
			for s.slots[j].h != 0 {
				j = (j + 1) & s.mask
			}
			s.slots[j], s.ids[j] = e, oldIDs[k]
			s.used++
		}
	}
	clear(old)
	clear(oldIDs)
	s.spare, s.spids = old, oldIDs
}

// Expire forgets every id whose value is at or below floor. It never goes back.
func (s *idSet) Expire(floor int64) { s.floor = max(s.floor, floor) }

// Len counts the ids remembered (a scan: for statistics, not hot paths).
func (s *idSet) Len() int {
	n := 0
	for k := range s.slots {
		if e := s.slots[k]; e.h != 0 && e.v > s.floor {
			n++
		}
	}
	return n
}

// Each calls f for every id remembered.
func (s *idSet) Each(f func(id string)) {
	for k := range s.slots {
		if e := s.slots[k]; e.h != 0 && e.v > s.floor {
			f(s.ids[k])
		}
	}
}

// Clear forgets every id, and the floor (a mode switch changes what the
// values mean).
func (s *idSet) Clear() {
	clear(s.slots)
	clear(s.ids)
	s.used, s.floor = 0, None
}

// cellTable numbers (device, category) pairs densely from 0: one hash of
// the device, then a short scan of that device's categories (a handful). It
// only grows: it is as large as the distinct pairs the engine has seen.
type cellTable struct {
	seed   maphash.Seed
	slots  []devSlot
	mask   uint64
	devs   []devEntry
	cells  []cell
	byAddr [addrCache]addrSlot // device strings by address
}

// addrCache is the size of the by-address device cache (a power of two).
const addrCache = 1024

// addrSlot remembers the device a string at address p (and length n) is.
// The pointer keeps that string alive: its bytes cannot change.
type addrSlot struct {
	p   *byte
	n   int
	dev int32
}

type devSlot struct {
	h   uint64 // 0: empty
	dev int32
}

type devEntry struct {
	device string
	cats   []catCell
}

type catCell struct {
	category string
	id       int32
}

func newCellTable(seed maphash.Seed) *cellTable {
	t := &cellTable{seed: seed}
	t.slots = make([]devSlot, 256)
	t.mask = 255
	return t
}

// ID returns the pair's number, giving it one if it is new.
func (t *cellTable) ID(device, category string) int32 {
	// Fast path: a device string already seen at this very address (the
	// decoder interns device ids) needs no hash: same bytes, same device.
	p := unsafe.StringData(device)
	slot := &t.byAddr[(uintptr(unsafe.Pointer(p))>>4)&(addrCache-1)]
	if slot.p == p && slot.n == len(device) {
		cp := unsafe.StringData(category)
		for _, c := range t.devs[slot.dev].cats {
			// Interned categories match by address; others by content.
			if (unsafe.StringData(c.category) == cp && len(c.category) == len(category)) || c.category == category {
				return c.id
			}
		}
	}
	h := maphash.String(t.seed, device)
	if h == 0 {
		h = 1
	}
	i := h & t.mask
	for {
		e := &t.slots[i]
		if e.h == 0 {
			break
		}
		if e.h == h && t.devs[e.dev].device == device {
			d := &t.devs[e.dev]
			*slot = addrSlot{p: p, n: len(device), dev: e.dev}
			for _, c := range d.cats {
				if c.category == category {
					return c.id
				}
			}
			return t.add(d, category)
		}
		i = (i + 1) & t.mask
	}
	t.slots[i] = devSlot{h: h, dev: int32(len(t.devs))}
	t.devs = append(t.devs, devEntry{device: device})
	*slot = addrSlot{p: p, n: len(device), dev: int32(len(t.devs) - 1)}
	id := t.add(&t.devs[len(t.devs)-1], category)
	if len(t.devs)*4 > len(t.slots)*3 {
		old := t.slots
		t.slots = make([]devSlot, len(old)*2)
		t.mask = uint64(len(t.slots) - 1)
		for _, e := range old {
			if e.h != 0 {
				j := e.h & t.mask
				for t.slots[j].h != 0 {
					j = (j + 1) & t.mask
				}
				t.slots[j] = e
			}
		}
	}
	return id
}

func (t *cellTable) add(d *devEntry, category string) int32 {
	id := int32(len(t.cells))
	t.cells = append(t.cells, cell{device: d.device, category: category, lastEnd: None})
	d.cats = append(d.cats, catCell{category, id})
	return id
}

// Cell returns the pair numbered id.
func (t *cellTable) Cell(id int32) cell { return t.cells[id] }
