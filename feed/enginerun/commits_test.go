package enginerun

import (
	"maps"
	"math/rand/v2"
	"testing"
)

// opened, skipping the maps for an event of the window it recorded last,
// keeps them as recording every event does: through windows forgotten once
// closed, new runs, and offsets out of order (a partition read again).
func TestCommitsOpenedKeepsEveryWindowsEarliestOffset(t *testing.T) {
	c := newCommits()
	want := map[int32]map[int64]int64{}
	ps := partitions{newPartition(0, 0, true, true), newPartition(1, 0, true, true), newPartition(2, 0, true, true)}
	for _, p := range ps {
		p.read = true
	}
	rnd := rand.New(rand.NewPCG(7, 9))
	var offs [3]int64
	closed := int64(0)
	for i := range 20_000 {
		p := int32(rnd.IntN(3))
		switch r := rnd.IntN(100); {
		case r < 2:
			closed += 5000
			c.offsets(ps, closed, "t")
			for _, m := range want {
				maps.DeleteFunc(m, func(end, _ int64) bool { return end <= closed })
			}
		case r < 3:
			c.newRun()
			clear(want)
		case r < 5:
			offs[p] = max(offs[p]-int64(rnd.IntN(50)), 0) // read again from an earlier offset
		default:
			end := closed + 5000*int64(rnd.IntN(4)-1) // a closed window too: commits does not know the engine drops its events
			offs[p]++
			c.opened(p, end, offs[p])
			if want[p] == nil {
				want[p] = map[int64]int64{}
			}
			if o, ok := want[p][end]; !ok || offs[p] < o {
				want[p][end] = offs[p]
			}
		}
		for q := range int32(3) {
			if !maps.Equal(c.minOpen[q], want[q]) {
				t.Fatalf("step %d: partition %d's open windows %v, want %v", i, q, c.minOpen[q], want[q])
			}
		}
	}
}
