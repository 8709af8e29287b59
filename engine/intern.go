package engine

import (
	"encoding/binary"
	"math/bits"
)

// MaxInterned bounds each generation of an intern table: past it, new
// strings are simply allocated (hostile input cannot grow the tables
// without limit).
const MaxInterned = 1 << 17

// internGeneration is how many strings an intern table looks up before it
// starts a new generation: a string not looked up during two generations
// is dropped, so the strings of a burst of devices are released once it is
// over (64 K events later at most twice), while the devices still sending
// keep their string (and its address, by which the engine knows them).
const internGeneration = 1 << 16

// internTable interns strings in two generations: cur, and prev, from
// which a string looked up moves back to cur.
type internTable struct {
	cur, prev map[string]string
	lookups   int // since cur started
	// cache holds strings of cur, each at the slot its bytes hash to: a
	// hit is what cur would answer, without hashing the bytes for the map
	// (the map lookups were a fifth of the decoder's time). Emptied with
	// each generation, so it never holds what cur does not.
	cache [internCacheSize]string
}

// internCacheSize is the slots of an intern table's cache.
const internCacheSize = 256

func (d *Decoder) intern(t *internTable, b []byte) string {
	if d == nil {
		return string(b)
	}
	if t.lookups++; t.lookups >= internGeneration {
		t.prev, t.cur, t.lookups = t.cur, make(map[string]string, len(t.cur)/2), 0
		t.cache = [internCacheSize]string{}
	}
	slot := &t.cache[internSlot(b)]
	if *slot == string(b) && len(b) > 0 { // no allocation for the comparison
		return *slot
	}
	if s, ok := t.cur[string(b)]; ok { // no allocation for the lookup
		*slot = s
		return s
	}
	s, ok := t.prev[string(b)]
	if !ok {
		s = string(b)
	}
	if len(t.cur) < MaxInterned {
		t.cur[s] = s
		*slot = s
	}
	return s
}

// internSlot is the cache slot of b: its first and last eight bytes (or
// its bytes, when fewer) and its length, mixed.
func internSlot(b []byte) int {
	var h uint64
	if len(b) >= 8 {
		h = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[len(b)-8:]), 31)
	} else {
		for _, c := range b {
			h = h<<8 | uint64(c)
		}
	}
	h = (h ^ uint64(len(b))) * 0x9e3779b97f4a7c15
	return int(h >> (64 - internCacheBits))
}

// internCacheBits: internCacheSize is 1<<internCacheBits.
const internCacheBits = 8
