package engine_test

import (
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// year9999 is 9999-12-31T00:00:00Z in ms: a device clock gone wrong.
const year9999 int64 = 253_402_214_400_000

// SPEC §3, skew bound: an event whose device time is more than MaxSkew
// ahead of its arrival is aggregated, judged and counted as future, but
// does not move its partition's watermark, so the events after it are not
// late; a bounded run's Flush still emits it.
func TestFutureEventDoesNotMoveTheWatermark(t *testing.T) {
	e := newEngine(t, nil) // MaxSkew 1 min, W 1 s
	for i := range int64(10) {
		expectOutcome(t, e.Ingest(0, t0+i*1000, ev("a-"+string(rune('0'+i)), "a", t0+i*1000, "cat-1", 1, 1)), engine.Accepted, "normal")
		if i == 4 {
			expectOutcome(t, e.Ingest(0, t0+i*1000, ev("z-1", "z", year9999, "cat-1", 7, 1)), engine.Accepted, "future")
		}
	}
	expectWM(t, e, t0+8000) // the normal events' 9 s − W, not year 9999
	s := e.Stats()
	if s.Future != 1 || s.Accepted != 11 || s.Late != 0 {
		t.Fatalf("stats %+v: want Future 1, Accepted 11, Late 0", s)
	}
	expectDrain(t, e, res("a", "cat-1", t0+5000, 5, 5, 5))
	// Later normal events, and one just inside the bound, are on time.
	expectOutcome(t, e.Ingest(0, t0+10_000, ev("a-x", "a", t0+9500, "cat-1", 1, 1)), engine.Accepted, "later normal event")
	expectOutcome(t, e.Ingest(0, t0+10_000, ev("b-1", "b", t0+70_000, "cat-1", 1, 1)), engine.Accepted, "1 min ahead: not future")
	expectWM(t, e, t0+69_000)
	if s := e.Stats(); s.Future != 1 {
		t.Fatalf("an event exactly MaxSkew ahead counted as future: %+v", s)
	}
	e.Flush()
	got := e.Drain(nil)
	if n := len(got); n != 3 || got[n-1].Key != (engine.Key{Device: "z", Category: "cat-1", WindowEnd: engine.WindowEnd(year9999, 5000)}) || got[n-1].M1 != 7 {
		t.Fatalf("Flush emitted%s", fmtResults(got))
	}
}

// With MaxSkew 0 the bound is off: the future event moves the watermark
// (the behaviour the bound exists to prevent).
func TestMaxSkewZeroDisablesTheBound(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.MaxSkew = 0 })
	e.Ingest(0, t0, ev("z-1", "z", year9999, "cat-1", 7, 1))
	expectWM(t, e, year9999-1000)
	expectOutcome(t, e.Ingest(0, t0+1, ev("a-1", "a", t0+1, "cat-1", 1, 1)), engine.Late, "normal event after the jump")
	if e.Stats().Future != 0 {
		t.Fatal("future counted with the bound off")
	}
}

// A partition that reads only future events is silent for idleness: once
// caught up and silent for idle, it no longer holds the watermark.
func TestPartitionOfOnlyFutureEventsCountsAsSilent(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Idle = 6 * time.Second })
	e.Assign(0, 1)
	e.Ingest(1, t0, ev("z-1", "z", year9999, "cat-1", 7, 1))
	e.SetCaughtUp(1, true)
	e.Ingest(0, t0+1000, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	for i := int64(2); i <= 8; i++ {
		e.Ingest(1, t0+i*1000, ev("z-"+string(rune('0'+i)), "z", year9999+i, "cat-1", 1, 1))
		e.Ingest(0, t0+i*1000, ev("a-"+string(rune('0'+i)), "a", t0+i*1000, "cat-1", 1, 1))
	}
	// Partition 1 read nothing but future events: silent since its
	// assignment, idle. Partition 0 alone sets the watermark.
	expectWM(t, e, t0+7000)
	if s := e.Stats(); s.Idle != 1 || s.Future != 8 {
		t.Fatalf("stats %+v: want 1 idle partition and 8 future events", s)
	}
	// Partition 0 goes quiet too: every partition is idle, so the
	// watermark is now − idle, however many future events partition 1 reads.
	e.SetCaughtUp(0, true)
	for i := int64(9); i <= 20; i++ {
		e.Ingest(1, t0+i*1000, ev("y-"+string(rune('a'+i)), "z", year9999+i, "cat-1", 1, 1))
	}
	expectWM(t, e, t0+14_000)
}
