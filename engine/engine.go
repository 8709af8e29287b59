package engine

import (
	"hash/maphash"
	"math"
)

// Engine aggregates events into tumbling windows per device and category.
// It is not safe for concurrent use; one goroutine owns it.
type Engine struct {
	cfg                                          Config
	win, wlag, idle, lateness, dedupTTL, maxSkew int64 // ms

	now     int64
	wm      int64
	closed  int64 // windows ending at or before this are closed; never goes back
	emitted int64 // the largest window end ever fired
	floor   int64 // after a mode switch: windows ending at or before this are closed in any mode
	flushed bool
	parts   []partition
	// idleStale: now or a partition's caught-up state changed since the
	// watermark was last computed, so idleness may have changed.
	idleStale bool

	windows map[int64]*window
	ends    []int64 // open window ends, ascending
	nFired  int     // ends[:nFired] have fired (event time)

	seen  *idSet     // dedup: id → window end (event time) or arrival (processing)
	cellT *cellTable // (device, category) pairs, numbered
	// The window of the previous event: most events fall in the same one.
	lastEnd int64
	lastWin *window
	free    []*window // closed windows, for reuse
	// carry holds the ids remembered when the mode last switched, so a
	// duplicate is still caught in the new mode; dropped after DedupTTL.
	carry      map[fingerprint]struct{}
	carryUntil int64

	// openCells counts the keys (window, device, category) of the open
	// windows; past keyCap (MaxKeys, or no cap) new keys are shed.
	openCells, keyCap int
	// Windows ending in [shedLo, shedHi] shed a key before they existed:
	// created later, they are born shed (their results incomplete).
	shedLo, shedHi int64

	out        []Result
	stats      Stats
	incomplete bool // emissions are marked Incomplete (FlushIncomplete)
}

// New returns an engine for cfg, or the reason cfg cannot work.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:     cfg,
		now:     None,
		wm:      None,
		closed:  None,
		emitted: None,
		floor:   None,
		windows: make(map[int64]*window),
		lastEnd: None,
		keyCap:  cfg.MaxKeys,
		shedLo:  math.MaxInt64,
		shedHi:  None,
	}
	if e.keyCap == 0 {
		e.keyCap = math.MaxInt
	}
	seed := maphash.MakeSeed()
	e.seen, e.cellT = newIDSet(seed, maphash.MakeSeed()), newCellTable(seed)
	e.setDurations()
	return e, nil
}

func (e *Engine) setDurations() {
	e.win = e.cfg.Window.Milliseconds()
	e.wlag = e.cfg.Watermark.Milliseconds()
	e.idle = e.cfg.Idle.Milliseconds()
	e.lateness = e.cfg.Lateness.Milliseconds()
	e.dedupTTL = e.cfg.DedupTTL.Milliseconds()
	e.maxSkew = e.cfg.MaxSkew.Milliseconds()
	e.seen.checkSpan = e.win // a sparse dedup table is looked for once a window
}

// Config returns the current settings.
func (e *Engine) Config() Config { return e.cfg }

// Ingest processes one event read from partition p at arrival time (ms).
// Arrival also advances the engine's notion of now (never backwards).
func (e *Engine) Ingest(p int32, arrival int64, ev Event) Outcome {
	return e.ingest(e.partition(p), arrival, &ev, fingerprint{})
}

// batchRun is how many ids IngestBatch looks up together.
const batchRun = 16

// IngestBatch is Ingest of consecutive events of partition p, the i-th
// read at arrivals[i] (or all at arrivals[0] when there is one arrival),
// appending their outcomes to out: the same outcomes, and faster, as it
// fetches the dedup slots of a run of events together (their cache misses
// overlap instead of coming one after the other).
func (e *Engine) IngestBatch(p int32, arrivals []int64, evs []Event, out []Outcome) []Outcome {
	out, _ = e.ingestBatch(p, nil, arrivals, evs, nil, out, nil)
	return out
}

// IngestMerged is IngestBatch of consecutive events of several partitions,
// the i-th read from parts[i] at arrivals[i] (a merged read's order), that
// also appends to wms the watermark right after each event: the one a late
// event met. flags are SetCaughtUp calls made within the batch, in order
// of their Before (a merged read's flags change from one record to the
// next: ending the batch at each change left batches of one or two events,
// whose dedup lookups could not overlap). Outcomes and watermarks are those
// of Ingest one at a time with SetCaughtUp between.
func (e *Engine) IngestMerged(parts []int32, arrivals []int64, evs []Event, flags []CaughtUpAt, out []Outcome, wms []int64) ([]Outcome, []int64) {
	if len(parts) != len(evs) || len(arrivals) != len(evs) {
		panic("engine: IngestMerged wants one partition and one arrival per event")
	}
	return e.ingestBatch(0, parts, arrivals, evs, flags, out, &wms)
}

// CaughtUpAt is a SetCaughtUp(Part, CaughtUp) within an IngestMerged batch,
// made right before its event Before (after the last event when Before is
// the batch's length).
type CaughtUpAt struct {
	Before   int
	Part     int32
	CaughtUp bool
}

// ingestBatch is IngestBatch (parts nil: every event from p) and
// IngestMerged (wms not nil).
func (e *Engine) ingestBatch(p int32, parts []int32, arrivals []int64, evs []Event, flags []CaughtUpAt, out []Outcome, wms *[]int64) ([]Outcome, []int64) {
	defer func() {
		for _, f := range flags { // those after the last event
			e.SetCaughtUp(f.Part, f.CaughtUp)
		}
	}()
	if len(evs) == 0 {
		if wms == nil {
			return out, nil
		}
		return out, *wms
	}
	if len(arrivals) != len(evs) && len(arrivals) != 1 {
		panic("engine: IngestBatch wants one arrival, or one per event")
	}
	arrival := func(i int) int64 {
		if len(arrivals) == 1 {
			return arrivals[0]
		}
		return arrivals[i]
	}
	if parts != nil {
		p = parts[0]
	}
	part := e.partition(p)
	done := 0
	var fps [batchRun]fingerprint
	for len(evs) > 0 {
		n := min(batchRun, len(evs))
		if e.cfg.Dedup && e.cfg.Mode == EventTime {
			for i := range n {
				fps[i] = e.seen.fingerprint(evs[i].ID)
			}
			// The loads back to back, so they are all in flight at once.
			e.seen.touch(fps[:n])
		}
		for i := range n {
			if len(flags) > 0 && flags[0].Before <= done+i {
				for len(flags) > 0 && flags[0].Before <= done+i {
					e.SetCaughtUp(flags[0].Part, flags[0].CaughtUp)
					flags = flags[1:]
				}
				part = e.partition(p) // SetCaughtUp may have added a partition
			}
			if parts != nil && parts[done+i] != p {
				p = parts[done+i]
				part = e.partition(p) // after any partition it adds: the pointer stays valid
			}
			out = append(out, e.ingest(part, arrival(done+i), &evs[i], fps[i]))
			if wms != nil {
				*wms = append(*wms, e.wm)
			}
		}
		evs, done = evs[n:], done+n
	}
	if wms == nil {
		return out, nil
	}
	return out, *wms
}

// ingest is Ingest, given the id's fingerprint when it is already known.
// Its steps follow SPEC §3: now advances, idleness and the watermark are
// evaluated at that now, the record is judged, then its device time moves
// its partition's watermark (unless it is more than MaxSkew ahead of its
// arrival).
func (e *Engine) ingest(part *partition, arrival int64, ev *Event, f fingerprint) Outcome {
	if arrival > e.now {
		e.now, e.idleStale = arrival, true
	}
	eventTime := e.cfg.Mode == EventTime
	if eventTime && e.idleStale {
		// SPEC §3's order: idleness is evaluated at the now this arrival
		// set, before the record counts as activity or is judged (a live
		// engine, silent until the record came, would have advanced the
		// watermark by then).
		e.updateWatermark()
	}
	if e.maxSkew > 0 && ev.Time-e.maxSkew > arrival {
		// A future event (SPEC §3, skew bound): judged and aggregated as
		// usual, but its partition stays silent and its watermark in place.
		e.stats.Future++
	} else {
		part.lastArrival = e.now
		if ev.Time > part.maxTime {
			part.maxTime = ev.Time
		}
	}
	var o Outcome
	if eventTime {
		o = e.ingestEventTime(ev, part.floor, f)
		e.updateWatermark()
	} else {
		o = e.ingestArrival(ev, part.floor)
		e.fireArrival()
	}
	switch o {
	case Accepted:
		e.stats.Accepted++
	case Duplicate:
		e.stats.Duplicates++
	case Late:
		e.stats.Late++
	case Shed:
		e.stats.Shed++
	}
	return o
}

func (e *Engine) ingestEventTime(ev *Event, floor int64, f fingerprint) Outcome {
	end := e.lastEnd
	if ev.Time < end-e.win || ev.Time >= end || end == None {
		end = WindowEnd(ev.Time, e.win)
	}
	var slot uint64
	if e.cfg.Dedup {
		if f.h == 0 {
			f = e.seen.fingerprint(ev.ID)
		}
		var found bool
		if slot, found = e.seen.Lookup(f); found || e.carried(f) {
			return Duplicate
		}
	}
	if e.flushed || end <= e.closed || end <= e.floor || end <= floor {
		return Late
	}
	w := e.window(end)
	i := e.add(w, ev)
	if i < 0 {
		return e.shed(w, end, ev)
	}
	if e.cfg.Dedup {
		e.seen.insertAt(slot, f, end) // forgotten when the window closes
	}
	if w.fired {
		e.emit(w, i)
	}
	return Accepted
}

func (e *Engine) ingestArrival(ev *Event, floor int64) Outcome {
	end := WindowEnd(e.now, e.win)
	if e.cfg.Dedup {
		if e.cfg.Mode == ProcessingTime {
			e.expireSeen()
		}
		f := e.seen.fingerprint(ev.ID)
		if e.seen.HasPrint(f) || e.carried(f) {
			return Duplicate
		}
		if e.cfg.Mode == ProcessingTime && !e.flushed && end > e.floor && end > floor {
			e.seen.PutPrint(f, e.now) // forgotten after the dedup TTL
		}
	}
	if e.flushed || end <= e.floor || end <= floor {
		return Late
	}
	w := e.window(end)
	batchDedup := e.cfg.Dedup && e.cfg.Mode == MicroBatch
	if batchDedup && w != nil {
		if _, ok := w.batch[ev.ID]; ok {
			return Duplicate
		}
	}
	if e.add(w, ev) < 0 {
		return e.shed(w, end, ev)
	}
	if batchDedup {
		if w.batch == nil {
			w.batch = make(map[string]struct{})
		}
		w.batch[ev.ID] = struct{}{}
	}
	return Accepted
}

// carried reports whether the id was remembered when the mode last switched.
func (e *Engine) carried(f fingerprint) bool {
	if e.carry != nil {
		if e.now > e.carryUntil {
			e.carry = nil
		} else if _, ok := e.carry[f]; ok {
			return true
		}
	}
	return false
}

// expireSeen forgets processing-time ids older than the dedup TTL.
func (e *Engine) expireSeen() { e.seen.Expire(e.now - e.dedupTTL) }

// Drain appends the results emitted since the last Drain to dst.
func (e *Engine) Drain(dst []Result) []Result {
	dst = append(dst, e.out...)
	if cap(e.out) > maxKeptResults && len(e.out) < cap(e.out)/4 {
		e.out = nil // a burst's buffer is not kept once bursts are over
	} else {
		clear(e.out)
		e.out = e.out[:0]
	}
	return dst
}

// maxKeptResults is the capacity of the result buffer always kept between
// Drains.
const maxKeptResults = 4096

// Stats returns the counters and clocks.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Mode = e.cfg.Mode
	s.OpenWindows = len(e.windows)
	s.OpenKeys = e.openCells
	s.DedupIDs = e.seen.Len()
	s.Watermark = e.wm
	s.Now = e.now
	s.Partitions = len(e.parts)
	for i := range e.parts {
		if e.isIdle(&e.parts[i]) {
			s.Idle++
		}
	}
	return s
}
