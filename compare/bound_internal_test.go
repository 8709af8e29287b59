package compare

import (
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// The refused window ends are remembered in bounded memory, and those
// behind an eviction are forgotten.
func TestRefusedEndsAreBounded(t *testing.T) {
	c, err := New(Options{M2Tolerance: -1, MaxUnsettled: 1})
	if err != nil {
		t.Fatal(err)
	}
	at := func(end int64) engine.Key { return engine.Key{Device: "d", Category: "c", WindowEnd: end} }
	c.AddTruth(at(0), engine.Agg{M1: 1, Count: 1})
	for i := range int64(3 * MaxRefusedEnds) {
		c.AddTruth(at(5000*(i+1)), engine.Agg{M1: 1, Count: 1})
	}
	if n := len(c.refusal.ends); n > MaxRefusedEnds || !c.refusal.past {
		t.Fatalf("%d refused ends remembered one by one (past %v), want at most %d", n, c.refusal.past, MaxRefusedEnds)
	}
	c.Settle(5000*100, 5000*100)
	c.Evict(5000 * 100)
	if n := len(c.refusal.ends); n != MaxRefusedEnds-100 {
		t.Fatalf("%d refused ends after evicting the first 100 windows, want %d", n, MaxRefusedEnds-100)
	}
	c.AddTruth(at(5000*50), engine.Agg{M1: 1, Count: 1}) // forgotten: held again, settled at once
	if r := c.Report(false); r.Settled.Keys != 2 {
		t.Fatalf("settled %v, want the forgotten window's key judged", r.Settled)
	}
}
