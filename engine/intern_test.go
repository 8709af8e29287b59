package engine

import (
	"strconv"
	"testing"
	"unsafe"
)

// A burst of new devices leaves the decoder's intern tables within two
// generations: only the devices still sending stay, at the same address.
func TestDecoderForgetsABurstOfDevices(t *testing.T) {
	d := NewDecoder()
	line := func(dev string, i int) []byte {
		return Event{ID: dev + "-" + strconv.Itoa(i), Device: dev, Time: 1, Category: "cat-1", M1: 1, M2: 1}.AppendJSON(nil)
	}
	first, err := d.Decode(line("steady-0", 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100_000 {
		if _, err := d.Decode(line("burst-"+strconv.Itoa(i), i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2*internGeneration + 1 {
		if _, err := d.Decode(line("steady-"+strconv.Itoa(i%10), i)); err != nil {
			t.Fatal(err)
		}
	}
	held := map[string]bool{}
	for _, m := range []map[string]string{d.devices.cur, d.devices.prev} {
		for s := range m {
			held[s] = true
		}
	}
	if len(held) != 10 {
		t.Fatalf("the decoder still interns %d devices after the burst, want the 10 still sending", len(held))
	}
	last, _ := d.Decode(line("steady-0", 1))
	if unsafe.StringData(last.Device) != unsafe.StringData(first.Device) {
		t.Error("a device sending throughout was interned anew")
	}
}

// internRef is the intern table without its cache: the answers the cache
// must not change.
type internRef struct {
	cur, prev map[string]string
	lookups   int
}

func (t *internRef) intern(b []byte) string {
	if t.lookups++; t.lookups >= internGeneration {
		t.prev, t.cur, t.lookups = t.cur, make(map[string]string, len(t.cur)/2), 0
	}
	if s, ok := t.cur[string(b)]; ok {
		return s
	}
	s, ok := t.prev[string(b)]
	if !ok {
		s = string(b)
	}
	if len(t.cur) < MaxInterned {
		t.cur[s] = s
	}
	return s
}

// The intern cache answers as the tables do, address for address: a
// string interned again while kept is the same string, and one dropped
// after two generations without a lookup is a new one (the cache must not
// keep it), with colliding cache slots, bursts and generations.
func TestInternCacheAnswersAsTheTables(t *testing.T) {
	d := NewDecoder()
	ref := &internRef{cur: map[string]string{}}
	gone, steady := []byte("gone-device-000001"), []byte("steady-device-0001")
	if internSlot(gone) == internSlot(steady) {
		t.Fatal("pick names in different cache slots")
	}
	names := [][]byte{gone}
	for range 2*internGeneration + 1 {
		names = append(names, steady)
	}
	names = append(names, gone) // dropped by now: a new string
	for i := range 3 * internGeneration {
		switch {
		case i%7 == 0: // a burst of new names
			names = append(names, []byte("burst-"+strconv.Itoa(i)))
		case i%3 == 0:
			names = append(names, []byte("dev-"+strconv.Itoa(i%700))) // more than the cache's slots
		default:
			names = append(names, []byte("c-"+strconv.Itoa(i%5)))
		}
	}
	lastGot, lastRef := map[string]*byte{}, map[string]*byte{}
	for i, b := range names {
		got, want := d.intern(&d.devices, b), ref.intern(b)
		if got != string(b) {
			t.Fatalf("lookup %d of %q: %q", i, b, got)
		}
		sameGot := lastGot[got] == unsafe.StringData(got)
		sameRef := lastRef[want] == unsafe.StringData(want)
		if sameGot != sameRef {
			t.Fatalf("lookup %d of %q: the same string as before %v, the tables say %v", i, b, sameGot, sameRef)
		}
		lastGot[got], lastRef[want] = unsafe.StringData(got), unsafe.StringData(want)
	}
}
