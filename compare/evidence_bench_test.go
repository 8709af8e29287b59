package compare_test

import (
	"testing"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/sim"
)

// BenchmarkSent is the cost of the causes' evidence per event sent (100
// devices, dup, late and ooo on).
func BenchmarkSent(b *testing.B) {
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = 100, 2000
	g, err := sim.NewGenerator(gc, sim.Knobs{Dup: 0.05, Late: 0.01, OOO: 0.1, Rate: 20})
	if err != nil {
		b.Fatal(err)
	}
	var sent []sim.Sent
	for s, ok := g.Next(); ok; s, ok = g.Next() {
		sent = append(sent, s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var c *compare.Comparator
	for i := range b.N {
		if i%len(sent) == 0 {
			c, _ = compare.New(compare.DefaultOptions())
		}
		s := sent[i%len(sent)]
		c.Sent(s.Event, s.Send)
	}
}
