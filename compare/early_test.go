package compare_test

import (
	"math"
	"testing"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// Keys in windows that ended by the first send are counted apart: settled,
// provisional at the end, and through every change of a key's state.
func TestBeforeRunCountedApart(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	start := t0 + 60_000 // the first send: windows ending by it are before the run
	early := key(t0+10_000, "d", "cat-1")
	early2 := key(t0+60_000, "d", "cat-2") // ends exactly at the first send
	own := key(t0+65_000, "d", "cat-1")
	own2 := key(t0+70_000, "d", "cat-1")

	// A truth held before the first send is counted once the send comes.
	c.AddTruth(early, engine.Agg{M1: 5, Count: 1})
	c.Sent(engine.Event{ID: "x", Device: "d", Time: t0 + 61_000, Category: "cat-1", M1: 9}, start)
	c.Sent(engine.Event{ID: "y", Device: "d", Time: t0 + 8_000, Category: "cat-1", M1: 5}, start+1000)
	c.AddTruth(early2, engine.Agg{M1: 3, Count: 1})
	c.AddTruth(own, engine.Agg{M1: 9, Count: 1})
	c.AddTruth(own2, engine.Agg{M1: 4, Count: 1})
	c.Observe(down(early2, 3, 0, 1)) // matches
	c.Observe(down(own, 9, 0, 1))    // matches
	c.Observe(down(own2, 1, 0, 1))   // differs

	if r := c.Report(false); r.BeforeRun != (compare.Score{}) {
		t.Errorf("before settling: before the run %v, want nothing settled", r.BeforeRun)
	}
	c.Settle(t0+60_000, t0+60_000)
	r := c.Report(false)
	if want := (compare.Score{Exceptions: 1, Keys: 2}); r.BeforeRun != want || r.Settled != want {
		t.Errorf("settled before the run: %v of %v, want %v of %v", r.BeforeRun, r.Settled, want, want)
	}
	// The late event reaches the engine after all: the key matches now.
	c.Observe(down(early, 5, 0, 1))
	if r := c.Report(false); r.BeforeRun != (compare.Score{Exceptions: 0, Keys: 2}) {
		t.Errorf("after the late value: before the run %v, want 0 of 2", r.BeforeRun)
	}
	// Incomplete takes a key out of the settled counts, and back.
	c.Observe(engine.Result{Key: early2, Agg: engine.Agg{M1: 3, Count: 1}, Incomplete: true})
	if r := c.Report(false); r.BeforeRun.Keys != 1 {
		t.Errorf("an incomplete key stays settled before the run: %v", r.BeforeRun)
	}
	c.Settle(allEnds, allEnds)
	f := c.Report(true)
	if want := (compare.Score{Exceptions: 0, Keys: 1}); f.BeforeRun != want {
		t.Errorf("final: before the run %v, want %v (the incomplete key pending)", f.BeforeRun, want)
	}
	if want := (compare.Score{Exceptions: 1, Keys: 3}); f.Settled != want {
		t.Errorf("final: %v, want %v", f.Settled, want)
	}
}

// allEnds is a horizon past every window.
const allEnds = math.MaxInt64

// A comparator never fed a send counts nothing apart.
func TestBeforeRunNeedsSends(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	k := key(t0+5000, "d", "cat-1")
	c.AddTruth(k, engine.Agg{M1: 1, Count: 1})
	c.Settle(allEnds, allEnds)
	if r := c.Report(true); r.BeforeRun != (compare.Score{}) || r.Settled.Keys != 1 {
		t.Errorf("got before the run %v of %v", r.BeforeRun, r.Settled)
	}
}

// An exception row names the events its cause names, with their device
// and send times.
func TestRowNamesItsEvents(t *testing.T) {
	c := newCmp(t, compare.Options{M2Tolerance: -1, Window: 5 * time.Second})
	c.SetDownstream(eventTime)
	a := engine.Event{ID: "a", Device: "d", Time: t0 + 1000, Category: "cat-1", M1: 10}
	b := engine.Event{ID: "b", Device: "d", Time: t0 + 2000, Category: "cat-1", M1: 7}
	c.Sent(a, t0+1000)
	c.Sent(b, t0+9000) // late: sent in the next window
	c.Sent(a, t0+3000) // a copy
	K := key(E, "d", "cat-1")
	c.SetTruth(K, engine.Agg{M1: 17, Count: 2})
	c.Observe(down(K, 20, 0, 2)) // b dropped, a's copy counted
	rows := c.Report(true).Exceptions
	if len(rows) != 1 {
		t.Fatalf("%d exception rows, want 1", len(rows))
	}
	r := rows[0]
	wantLate := []compare.Candidate{{ID: "b", M1: 7, Time: t0 + 2000, Send: t0 + 9000}}
	wantDups := []compare.Candidate{{ID: "a", M1: 10, Time: t0 + 1000, Send: t0 + 3000}}
	if len(r.Late) != 1 || r.Late[0] != wantLate[0] || len(r.Dups) != 1 || r.Dups[0] != wantDups[0] {
		t.Errorf("cause %q names late %+v and copies %+v, want %+v and %+v", r.Cause, r.Late, r.Dups, wantLate, wantDups)
	}
}

// A set of events too large to keep one by one (past MaxSubsetCandidates)
// is named by its size in the cause; the row lists none of its events
// rather than blank ones.
func TestRowNamesNoBlankEvents(t *testing.T) {
	c := newCmp(t, compare.Options{M2Tolerance: -1, Window: 5 * time.Second})
	c.SetDownstream(eventTime)
	K := key(E, "d", "cat-1")
	var m1 int64
	for i := range compare.MaxSubsetCandidates + 4 {
		ev := engine.Event{ID: "late-" + string(rune('a'+i)), Device: "d", Time: t0 + int64(i)*100, Category: "cat-1", M1: 1}
		c.Sent(ev, t0+60_000+int64(i))
		m1 += ev.M1
	}
	c.SetTruth(K, engine.Agg{M1: m1, Count: m1})
	c.Observe(down(K, 0, 0, 0)) // every late event dropped
	rows := c.Report(true).Exceptions
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	if r := rows[0]; r.Cause != "late dropped (20)" || r.Late != nil || r.Dups != nil {
		t.Errorf("cause %q, late %d events (first %+v), copies %d", r.Cause, len(r.Late), r.Late, len(r.Dups))
	}
}
