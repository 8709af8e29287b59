package enginerun

import (
	"runtime"
	"testing"
	"unsafe"
)

// A slice put back is the one the next get of its class returns, even
// after collections (a sync.Pool is emptied by two of them, and the role
// collects several times a second while it reads a backlog).
func TestClassPoolKeepsSlicesAcrossCollections(t *testing.T) {
	var p classPool[byte]
	s := p.get(1000)
	if cap(s) < 1000 || len(s) != 0 {
		t.Fatalf("get(1000): len %d cap %d", len(s), cap(s))
	}
	p.put(append(s, 1, 2, 3))
	runtime.GC()
	runtime.GC()
	got := p.get(600) // the same class: 512 < 600 ≤ 1024
	if len(got) != 0 || cap(got) != cap(s) || unsafe.SliceData(got) != unsafe.SliceData(s) {
		t.Fatalf("get after put: cap %d, the same slice %v", cap(got), unsafe.SliceData(got) == unsafe.SliceData(s))
	}
	if other := p.get(600); unsafe.SliceData(other) == unsafe.SliceData(s) {
		t.Fatal("a slice kept once was handed out twice")
	}
}

// A pool keeps at most maxKeptBytes: a burst's slices are not kept for good.
func TestClassPoolKeepsBoundedBytes(t *testing.T) {
	var p classPool[byte]
	const size = 1 << 20
	n := 2 * maxKeptBytes / size
	put := map[*byte]bool{}
	for range n {
		s := make([]byte, 0, size)
		put[unsafe.SliceData(s)] = true
		p.put(s)
	}
	if p.kept > maxKeptBytes {
		t.Fatalf("kept %d bytes, at most %d", p.kept, maxKeptBytes)
	}
	reused := 0
	for range n {
		if put[unsafe.SliceData(p.get(size))] {
			reused++
		}
	}
	if want := maxKeptBytes / size; reused != want || p.kept != 0 {
		t.Fatalf("%d of the slices put back were reused, want %d; %d bytes still kept", reused, want, p.kept)
	}
}
