package enginerun

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
)

// rebalance is a group callback handed to the loop.
type rebalance struct {
	kind  string // assigned, revoked, lost
	parts []int32
	done  chan struct{}
}

// callback hands a group rebalance to the loop and waits until it is
// handled, so the engine is only ever touched by one goroutine.
func (r *Runner) callback(ctx context.Context, kind string, parts []int32) {
	rb := rebalance{kind: kind, parts: parts, done: make(chan struct{})}
	select {
	case r.rebalC <- rb:
		select {
		case <-rb.done:
		case <-r.done:
		}
	case <-r.done:
	case <-ctx.Done():
	}
}

// handleRebalance: an eager rebalance revokes every partition, then
// assigns the new set. Revoked: commit where the open windows start and
// forget the engine state. Assigned: read the new partitions' commit
// metadata (the closed horizon of their previous owner). Partitions added
// to the topic arrive in an assignment.
func (r *Runner) handleRebalance(ctx context.Context, rb rebalance) {
	switch rb.kind {
	case "revoked", "lost":
		if rb.kind == "revoked" {
			r.commit(ctx)
		}
		for _, id := range rb.parts {
			if p := r.parts.get(id); p != nil {
				p.owned = false
			}
		}
		r.log(bus.Info, fmt.Sprintf("partitions %v %s", rb.parts, rb.kind))
	case "assigned":
		for _, id := range rb.parts {
			r.parts.grow(id+1, false)
			r.parts.get(id).owned = true
		}
		if err := r.loadFloors(ctx); err != nil {
			r.log(bus.Warn, "commit metadata: "+err.Error())
		}
		r.log(bus.Info, fmt.Sprintf("partitions %v assigned", rb.parts))
	}
	// Either way the engine restarts from the commits: windows built from
	// partitions this instance no longer reads would be emitted partial.
	st, carried := r.book.st, r.book.carried
	stats := r.eng.Stats()
	if err := r.reset(r.run, r.tag); err != nil {
		r.log(bus.Error, err.Error())
	}
	r.book.st = st // the counters go on across a rebalance
	r.book.carried = carried
	r.book.carry(stats)
	for _, p := range r.parts {
		p.restart()
	}
}

// loadFloors reads the closed horizons previous owners committed.
func (r *Runner) loadFloors(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fs, err := kafka.CommittedFloors(fctx, r.adm, r.cfg.Group, r.cfg.Events)
	if err != nil {
		return err
	}
	r.commits.setFloors(fs)
	return nil
}

// commit commits, for every owned partition, where its open windows start,
// with the closed horizon as metadata. A failed commit is logged and tried
// again at the next tick: until it succeeds the previous commit stands, and
// re-reading from there only rebuilds windows, never emits a closed one.
func (r *Runner) commit(ctx context.Context) {
	if r.cfg.Group == "" {
		return
	}
	cs := r.commits.offsets(r.parts, r.eng.ClosedBefore(), r.tag)
	if len(cs) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := kafka.CommitOffsets(cctx, r.cl, r.cfg.Group, r.cfg.Events, r.topicID, cs)
	if errors.Is(err, kafka.ErrNotMember) {
		return
	}
	if err != nil {
		r.log(bus.Warn, err.Error()+" (the previous commit stands; trying again)")
	}
	r.lastCommit = r.now()
}
