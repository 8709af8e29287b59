package engine

import (
	"math"
	"slices"
)

// partition is one input partition as the watermark sees it.
type partition struct {
	id          int32
	maxTime     int64 // max device time read; None if nothing read
	lastArrival int64 // arrival of the last record read; None if nothing read
	caughtUp    bool
	floor       int64 // windows ending at or before this are closed for this partition's events
}

// cell is a (device, category) pair, with the window it last went to: a
// cell's events nearly all go to the newest window, so its position there

// Assign registers partitions the engine reads. A new partition is not
// caught up until SetCaughtUp says so, so it holds the watermark back until
// its position is known. Partitions seen in Ingest are registered too.
func (e *Engine) Assign(ps ...int32) {
	for _, p := range ps {
		e.partition(p)
	}
}

// Revoke forgets partitions (a rebalance moved them elsewhere).
func (e *Engine) Revoke(ps ...int32) {
	e.parts = slices.DeleteFunc(e.parts, func(q partition) bool { return slices.Contains(ps, q.id) })
	e.updateWatermark()
}

// SetFloor closes, for partition p's events, every window ending at or
// before floor: another engine instance owned p before and emitted those
// windows final (a consumer-group rebalance), so re-reading p from its
// committed offset must not emit them again partially. It never goes back.
func (e *Engine) SetFloor(p int32, floor int64) {
	part := e.partition(p)
	part.floor = max(part.floor, floor)
}

// SetCaughtUp records whether partition p has nothing left to read. A
// partition the engine cannot reach must be reported as not caught up:
// an outage is not idleness.
func (e *Engine) SetCaughtUp(p int32, caughtUp bool) {
	e.partition(p).caughtUp = caughtUp
	e.idleStale = true
}

func (e *Engine) partition(p int32) *partition {
	for i := range e.parts {
		if e.parts[i].id == p {
			return &e.parts[i]
		}
	}
	// A partition is silent from when the engine learns of it (its
	// assignment), if it knows the time then: one assigned a moment before
	// its first records are written is not idle yet (SPEC §3: silent for
	// idle of now).
	e.parts = append(e.parts, partition{id: p, maxTime: None, lastArrival: e.now, floor: None})
	e.idleStale = true
	return &e.parts[len(e.parts)-1]
}

// Advance moves now forward (never back) and fires what time allows: in
// event time it re-evaluates idleness and the watermark, in processing time
// and micro-batch it fires windows that now has passed.
func (e *Engine) Advance(now int64) {
	if now > e.now {
		e.now = now
	}
	if e.cfg.Mode == EventTime {
		e.updateWatermark()
	} else {
		if e.cfg.Dedup && e.cfg.Mode == ProcessingTime {
			e.expireSeen()
		}
		e.fireArrival()
	}
}

func (e *Engine) isIdle(p *partition) bool {
	return p.caughtUp && (p.lastArrival == None || e.now-p.lastArrival >= e.idle)
}

// updateWatermark recomputes the event-time watermark: the minimum over
// non-idle partitions of max device time − W, or now − idle when every
// partition is idle. It never goes back.
func (e *Engine) updateWatermark() {
	if e.cfg.Mode != EventTime || e.flushed {
		return
	}
	e.idleStale = false
	cand, active := int64(math.MaxInt64), false
	for i := range e.parts {
		p := &e.parts[i]
		if e.isIdle(p) {
			continue
		}
		active = true
		if p.maxTime == None {
			cand = None // a live partition with nothing read yet holds it back
			break
		}
		cand = min(cand, p.maxTime-e.wlag)
	}
	if !active {
		if e.now == None {
			return
		}
		cand = e.now - e.idle
	}
	if cand == None || cand <= e.wm {
		return
	}
	e.wm = cand
	e.fireEventTime()
}

// fireEventTime fires windows whose end the watermark reached and closes
// those it passed by the allowed lateness.
func (e *Engine) fireEventTime() {
	for e.nFired < len(e.ends) && e.ends[e.nFired] <= e.wm {
		e.fire(e.windows[e.ends[e.nFired]])
		e.nFired++
	}
	e.closed = max(e.closed, e.wm-e.lateness)
	if e.closed != None {
		// Ids of closed windows: any copy is late anyway. Their values are
		// window ends, so the floor moves a window at a time.
		e.seen.Expire(WindowEnd(e.closed, e.win) - e.win)
	}
	n := 0
	for n < len(e.ends) && e.ends[n] <= e.closed {
		e.close(e.windows[e.ends[n]])
		n++
	}
	if n > 0 {
		e.ends = append(e.ends[:0], e.ends[n:]...)
		e.nFired -= n
		e.releaseCells()
	}
}

// fireArrival fires and closes arrival-time windows that now has passed.
func (e *Engine) fireArrival() {
	n := 0
	for n < len(e.ends) && e.ends[n] <= e.now {
		w := e.windows[e.ends[n]]
		e.fire(w)
		e.close(w)
		n++
	}
	if n > 0 {
		e.ends = append(e.ends[:0], e.ends[n:]...)
		e.releaseCells()
	}
}
