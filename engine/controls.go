package engine

import (
	"fmt"
	"math"
	"time"
)

// SetMode switches the time mode live. Open windows are fired and closed as
// they stand, and stay closed in the new mode: an event whose window (in
// the new mode's time) ends at or before the last window emitted is late, so
// a partial sum never overwrites a complete one downstream. The ids
// remembered for dedup are carried over for DedupTTL.
func (e *Engine) SetMode(m Mode) error {
	if m > MicroBatch {
		return fmt.Errorf("engine: %w", ErrBadMode)
	}
	if m == e.cfg.Mode {
		return nil
	}
	if e.cfg.Dedup && e.seen.Len() > 0 {
		if e.carry == nil {
			e.carry = make(map[fingerprint]struct{}, e.seen.Len())
		}
		e.seen.Each(func(f fingerprint) { e.carry[f] = struct{}{} })
		e.carryUntil = e.now + e.dedupTTL
	}
	e.flushAll()
	e.floor = max(e.floor, e.emitted)
	e.seen.Clear()
	e.cfg.Mode = m
	e.updateWatermark()
	return nil
}

// SetDedup turns de-duplication on or off. Turning it on starts with an
// empty memory.
func (e *Engine) SetDedup(on bool) {
	if on && !e.cfg.Dedup {
		e.carry = nil
		e.seen.Clear()
		for _, w := range e.windows {
			w.batch = nil
		}
	}
	e.cfg.Dedup = on
}

// SetWatermarkLag changes W. The watermark never goes back, so a larger W
// holds it where it is until device time catches up.
func (e *Engine) SetWatermarkLag(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("engine: watermark lag %v must not be negative", d)
	}
	e.cfg.Watermark = d
	e.setDurations()
	e.updateWatermark()
	return nil
}

// SetLateness changes the allowed lateness; windows already closed stay closed.
func (e *Engine) SetLateness(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("engine: lateness %v must not be negative", d)
	}
	e.cfg.Lateness = d
	e.setDurations()
	if e.cfg.Mode == EventTime && e.wm != None {
		e.fireEventTime()
	}
	return nil
}

// Watermark returns the event-time watermark, or None.
func (e *Engine) Watermark() int64 { return e.wm }

// Now returns the engine's now, or None before any arrival.
func (e *Engine) Now() int64 { return e.now }

// ClosedBefore returns the end up to which windows are closed: every key
// with window end ≤ ClosedBefore is final downstream. None if nothing is.
func (e *Engine) ClosedBefore() int64 {
	switch {
	case e.flushed:
		return math.MaxInt64
	case e.cfg.Mode == EventTime:
		return max(e.closed, e.floor)
	default:
		return max(e.now, e.floor)
	}
}
