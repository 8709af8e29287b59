package engine

import (
	"hash/maphash"
	"unsafe"
)

// cellTable numbers (device, category) pairs densely from 0: one hash of
// the device (or none, when the device string was seen at the same
// address), then that device's categories: a short scan while it has a
// few, a map past that, so any number of categories costs O(1) each.
// It only grows; the engine replaces it with a table of the pairs its open
// windows still hold once those are a small part of it (releaseCells).
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

// devEntry is one device: its first categories in a slice (a device has a
// handful, and comparing interned strings by address beats hashing them),
// all of them in a map once there are more than maxScanned.
type devEntry struct {
	device string
	cats   []catCell
	more   map[string]int32 // every category, once cats would exceed maxScanned
}

// maxScanned is how many categories a device's scan covers before they
// move to a map.
const maxScanned = 8

type catCell struct {
	category string
	id       int32
}

// cell is a (device, category) pair, with the window it last went to: a
// cell's events nearly all go to the newest window, so its position there
// is remembered instead of looked up.
type cell struct {
	device, category string
	lastEnd          int64
	lastPos          int32
}

func newCellTable(seed maphash.Seed) *cellTable {
	t := &cellTable{seed: seed}
	t.slots = make([]devSlot, 256)
	t.mask = 255
	return t
}

// ID returns the pair's number, giving it one if it is new.
func (t *cellTable) ID(device, category string) int32 {
	d := t.device(device, true)
	if id, ok := t.devs[d].find(category); ok {
		return id
	}
	return t.add(d, category)
}

// Lookup returns the pair's number, if it has one; it adds nothing.
func (t *cellTable) Lookup(device, category string) (int32, bool) {
	if d := t.device(device, false); d >= 0 {
		return t.devs[d].find(category)
	}
	return 0, false
}

// Len is the number of pairs numbered.
func (t *cellTable) Len() int { return len(t.cells) }

// find returns the number of the device's category.
func (d *devEntry) find(category string) (int32, bool) {
	if d.more != nil {
		id, ok := d.more[category]
		return id, ok
	}
	cp := unsafe.StringData(category)
	for _, c := range d.cats {
		// Interned categories match by address; others by content.
		if (unsafe.StringData(c.category) == cp && len(c.category) == len(category)) || c.category == category {
			return c.id, true
		}
	}
	return 0, false
}

// device returns the device's index in devs; a new device is added when
// add is set, else it is -1.
func (t *cellTable) device(device string, add bool) int32 {
	// Fast path: a device string already seen at this very address (the
	// decoder interns device ids) needs no hash: same bytes, same device.
	p := unsafe.StringData(device)
	slot := &t.byAddr[(uintptr(unsafe.Pointer(p))>>4)&(addrCache-1)]
	if slot.p == p && slot.n == len(device) && p != nil {
		return slot.dev
	}
	h := maphash.String(t.seed, device)
	if h == 0 {
		h = 1
	}
	i := h & t.mask
	for ; t.slots[i].h != 0; i = (i + 1) & t.mask {
		if e := t.slots[i]; e.h == h && t.devs[e.dev].device == device {
			*slot = addrSlot{p: p, n: len(device), dev: e.dev}
			return e.dev
		}
	}
	if !add {
		return -1
	}
	d := int32(len(t.devs))
	t.slots[i] = devSlot{h: h, dev: d}
	t.devs = append(t.devs, devEntry{device: device})
	*slot = addrSlot{p: p, n: len(device), dev: d}
	if len(t.devs)*4 > len(t.slots)*3 {
		t.grow()
	}
	return d
}

// grow doubles the device slots.
func (t *cellTable) grow() {
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

// add numbers a new category of device d.
func (t *cellTable) add(d int32, category string) int32 {
	id := int32(len(t.cells))
	dev := &t.devs[d]
	t.cells = append(t.cells, cell{device: dev.device, category: category, lastEnd: None})
	switch {
	case dev.more != nil:
		dev.more[category] = id
	case len(dev.cats) < maxScanned:
		dev.cats = append(dev.cats, catCell{category, id})
	default:
		dev.more = make(map[string]int32, 2*maxScanned)
		for _, c := range dev.cats {
			dev.more[c.category] = c.id
		}
		dev.more[category] = id
		dev.cats = nil
	}
	return id
}

// Cell returns the pair numbered id.
func (t *cellTable) Cell(id int32) cell { return t.cells[id] }
