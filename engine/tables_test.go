package engine

import (
	"hash/maphash"
	"maps"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// The idSet behaves as a map whose entries expire below a rising floor,
// through growth, rebuilds and long probe runs.
func TestIDSetMatchesAMapWithExpiry(t *testing.T) {
	s := newIDSet(maphash.MakeSeed(), maphash.MakeSeed())
	want := map[string]int64{}
	r := rand.New(rand.NewPCG(1, 2))
	floor := int64(0)
	for i := range 300_000 {
		id := "id-" + strconv.Itoa(r.IntN(20000))
		v := floor + 1 + int64(r.IntN(50))
		s.Put(id, v)
		want[id] = v
		if i%500 == 0 {
			floor += 10
			s.Expire(floor)
			for k, w := range want {
				if w <= floor {
					delete(want, k)
				}
			}
		}
		if i%4999 == 0 {
			for k, w := range want {
				if g, ok := s.Get(k); !ok || g != w {
					t.Fatalf("step %d: %s = %v,%v want %v", i, k, g, ok, w)
				}
			}
		}
		if i%97 == 0 || i%500 == 1 { // Len is counted as it goes: check it often
			if s.Len() != len(want) {
				t.Fatalf("step %d: len %d want %d", i, s.Len(), len(want))
			}
		}
	}
	for i := range 20000 {
		id := "id-" + strconv.Itoa(i)
		_, ok := want[id]
		if s.Has(id) != ok {
			t.Fatalf("%s: has %v want %v", id, s.Has(id), ok)
		}
	}
	if len(s.slots) > 1<<16 {
		t.Errorf("the table grew to %d slots for at most ~%d live ids: expired ones are not reused", len(s.slots), len(want))
	}
	s.Clear()
	if s.Len() != 0 || s.Has("id-1") {
		t.Fatal("Clear left ids")
	}
}

// Len stays right across Expire whether the set counts its ids by value
// (few distinct values: window ends) or, past maxCountedValues of them
// (arrival times), counts them in a scan; and values that change.
func TestIDSetLenAcrossExpiry(t *testing.T) {
	for _, spread := range []int{40, 5 * maxCountedValues} {
		s := newIDSet(maphash.MakeSeed(), maphash.MakeSeed())
		want := map[string]int64{}
		r := rand.New(rand.NewPCG(3, uint64(spread)))
		floor := int64(0)
		for i := range 100_000 {
			id := "id-" + strconv.Itoa(r.IntN(30000))
			v := floor + 1 + int64(r.IntN(spread))
			s.Put(id, v)
			want[id] = v
			if i%300 == 0 {
				floor += int64(1 + r.IntN(spread/10))
				s.Expire(floor)
				maps.DeleteFunc(want, func(_ string, w int64) bool { return w <= floor })
				if s.Len() != len(want) {
					t.Fatalf("spread %d, step %d: len %d want %d", spread, i, s.Len(), len(want))
				}
			}
		}
		if counting := spread < maxCountedValues; s.counts.on != counting {
			t.Errorf("spread %d: counting %v, want %v", spread, s.counts.on, counting)
		}
	}
}

// After a burst expires the set shrinks back.
func TestIDSetShrinksAndKeepsLongIDs(t *testing.T) {
	s := newIDSet(maphash.MakeSeed(), maphash.MakeSeed())
	for i := range 200_000 {
		s.Put("burst-"+strconv.Itoa(i), 1)
	}
	if s.Len() != 200_000 {
		t.Fatalf("len %d", s.Len())
	}
	s.Expire(1)
	// Then a steady state: windows of 1000 ids, each expired in its turn.
	for i := range 1_200_000 {
		w := int64(i / 1000)
		s.Put("after-"+strconv.Itoa(i), 3+w)
		if i%1000 == 999 {
			s.Expire(2 + w)
		}
	}
	if s.Has("burst-7") || !s.Has("after-1199999") || s.Has("after-1198999") || s.Len() != 1000 {
		t.Fatalf("after expiry: burst %v after %v len %d", s.Has("burst-7"), s.Has("after-1199999"), s.Len())
	}
	if len(s.slots) > 1<<15 {
		t.Errorf("the set kept %d slots for %d ids", len(s.slots), s.Len())
	}
}

func TestCellTableNumbersPairs(t *testing.T) {
	c := newCellTable(maphash.MakeSeed())
	ids := map[[2]string]int32{}
	for i := range 3000 {
		d, k := "dev-"+strconv.Itoa(i%700), "cat-"+strconv.Itoa(i%4)
		id := c.ID(d, k)
		if prev, ok := ids[[2]string{d, k}]; ok && prev != id {
			t.Fatalf("%s/%s numbered %d then %d", d, k, prev, id)
		}
		ids[[2]string{d, k}] = id
		if got := c.Cell(id); got.device != d || got.category != k {
			t.Fatalf("cell %d is %+v", id, got)
		}
	}
	// "a"+"\x00b" and "a\x00"+"b" must not collide into one pair.
	if c.ID("a", "\x00b") == c.ID("a\x00", "b") {
		t.Error("pairs with the separator byte inside were merged")
	}
}

// Events shed past MaxKeys leave no trace in the cell table (hostile
// input cannot grow it past the cap), nor in the dedup set.
func TestShedKeysAreNotNumbered(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxKeys = 100
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20_000 {
		d := "dev-" + strconv.Itoa(i)
		e.Ingest(0, 1000, Event{ID: d + "-1", Device: d, Time: 1000, Category: "cat-1", M1: 1})
	}
	if s := e.Stats(); s.Shed != 20_000-100 || s.Accepted != 100 || s.OpenKeys != 100 || s.DedupIDs != 100 {
		t.Fatalf("stats %+v", s)
	}
	if n := e.cellT.Len(); n != 100 {
		t.Fatalf("the cell table numbered %d pairs, want the 100 kept", n)
	}
}

// The cell table is replaced as windows close while others are open: the
// open windows' cells are renumbered and their sums stay right, including
// events for a fired window still open (lateness) after a replacement.
func TestReleasedCellsKeepOpenWindowsRight(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Lateness = 10 * time.Second
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Key]Agg{}
	got := map[Key]Agg{}
	r := rand.New(rand.NewPCG(3, 4))
	released := 0
	for i := range 100_000 {
		at := int64(i) // 1 event a ms: 5000 per window
		dt := at - int64(r.IntN(12_000))
		d := "dev-" + strconv.Itoa(i/3000) + "-" + strconv.Itoa(r.IntN(2000)) // new devices as time goes
		c := "cat-" + strconv.Itoa(r.IntN(3))
		before := e.cellT
		o := e.Ingest(0, at, Event{ID: strconv.Itoa(i), Device: d, Time: dt, Category: c, M1: int64(i % 7), M2: 1})
		if e.cellT != before {
			released++
		}
		if o == Accepted {
			k := Key{Device: d, Category: c, WindowEnd: WindowEnd(dt, 5000)}
			a := want[k]
			a.Add(int64(i%7), 1)
			want[k] = a
		}
		for _, res := range e.Drain(nil) {
			got[res.Key] = res.Agg
		}
	}
	e.Flush()
	for _, res := range e.Drain(nil) {
		got[res.Key] = res.Agg
	}
	if released < 3 {
		t.Fatalf("the cell table was replaced %d times: the test does not test it", released)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("results differ from the sums of the accepted events: %d keys vs %d", len(got), len(want))
	}
}
