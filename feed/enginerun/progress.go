package enginerun

import (
	"math"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// progress decides when a progress record goes out: for each owned
// partition, the end up to which every window is closed, once per window
// (the horizon floored to a window end), only when it moved.
type progress struct {
	sent map[int32]int64 // progress last written, per partition
}

func newProgress() *progress { return &progress{sent: map[int32]int64{}} }

// newRun forgets what was sent for the previous run.
func (pr *progress) newRun() { clear(pr.sent) }

// horizon turns the engine's ClosedBefore into a progress horizon: the
// last window end at or before it (bus.Final once everything is flushed;
// engine.None before anything is closed).
func horizon(closedBefore, window int64) int64 {
	switch closedBefore {
	case engine.None:
		return engine.None
	case math.MaxInt64:
		return bus.Final
	}
	return engine.WindowEnd(closedBefore, window) - window
}

// moved returns the owned partitions whose horizon moved past what was
// last sent, and remembers them as sent. floor gives what a previous owner
// of a partition closed (never claimed less than).
func (pr *progress) moved(ps partitions, h int64, floor func(int32) (int64, bool)) map[int32]int64 {
	if h == engine.None {
		return nil
	}
	var out map[int32]int64
	for _, p := range ps {
		if !p.owned {
			continue
		}
		c := h
		if f, ok := floor(p.id); ok {
			c = max(c, f)
		}
		if prev, ok := pr.sent[p.id]; ok && prev >= c {
			continue
		}
		if out == nil {
			out = map[int32]int64{}
		}
		out[p.id] = c
		pr.sent[p.id] = c
	}
	return out
}
