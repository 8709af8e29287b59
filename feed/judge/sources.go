package judge

import (
	"context"

	"github.com/streamtop/streamtop/feed/bus"
)

// BusTruth is the truth of an injector in the same process.
type BusTruth struct {
	bus *bus.Bus
	sub *bus.Sub
}

// NewBusTruth subscribes at once, so nothing published later is missed.
func NewBusTruth(eventBus *bus.Bus) *BusTruth {
	return &BusTruth{bus: eventBus, sub: eventBus.Subscribe(64, func(m any) bool { _, ok := m.(*bus.TruthBatch); return ok })}
}

// Run forwards the truth until ctx ends, then unsubscribes.
func (t *BusTruth) Run(ctx context.Context, out chan<- *bus.TruthBatch) error {
	defer t.bus.Unsubscribe(t.sub)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-t.sub.C():
			select {
			case out <- m.(*bus.TruthBatch):
			case <-ctx.Done():
				return nil
			}
		}
	}
}
