package engine

import (
	"hash/maphash"
	"unsafe"
)

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

// cell is a (device, category) pair, with the window it last went to: a
// cell's events nearly all go to the newest window, so its position there
// is remembered instead of looked up.
type cell struct {
	device, category string
	lastEnd          int64
	lastPos          int32
}
