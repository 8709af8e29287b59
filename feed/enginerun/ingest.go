package enginerun

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// take handles one record of partition p: markers, run tags, then the
// event, at once or queued for the merged read.
func (r *Runner) take(p *partition, h headers, rec record) {
	if h.kind != "" || h.other {
		r.flushBatch() // a marker: what came before it goes first
	}
	k, verified := r.classify(p.id, h, len(rec.value) == 0)
	if verified {
		r.read.Add(1)
	}
	switch k {
	case foreign:
		r.foreignSeen(p.id, h, verified)
		rec.recycle()
		return
	case ownMarker:
		r.mark(p, h)
		rec.recycle()
		return
	}
	r.book.st.Consumed++
	if r.cfg.Merge {
		p.queue.push(queueEvent(r.dec, &rec))
		rec.recycle()
		if r.merge.queuedSince.IsZero() { // no clock read per record
			r.merge.queued(r.now())
		}
		return
	}
	arrival := rec.ts
	if r.cfg.Clock == bus.RealClock {
		arrival = r.arrival // the records of a fetch arrive together
	}
	r.ingest(p.id, arrival, &rec)
	rec.recycle() // the event holds copies of what it needs
}

// afterRecords finishes a fetch: the batch to the engine, the merge as far
// as it goes, the end of input, the results.
func (r *Runner) afterRecords(ctx context.Context) {
	r.flushBatch()
	if r.cfg.Merge {
		r.releaseMerged()
		r.throttle()
	} else {
		r.updateCaughtUp()
	}
	r.maybeFinish(ctx)
	r.emit(ctx)
}

// ingest decodes rec, read from partition p at arrival, into the batch
// the engine gets next.
func (r *Runner) ingest(p int32, arrival int64, rec *record) {
	ev, err := r.dec.Decode(rec.value)
	r.add(p, arrival, rec.offset, ev, err)
}

// add puts the event decoded from the record at offset of partition p,
// read at arrival, into the batch the engine gets next; a record that did
// not decode (err) is counted and said once per distinct error.
func (r *Runner) add(p int32, arrival, offset int64, ev engine.Event, err error) {
	if err != nil {
		r.book.st.Malformed++
		if msg := err.Error(); msg != r.book.lastMalformed {
			r.book.lastMalformed = msg
			r.log(bus.Warn, fmt.Sprintf("%s/%d@%d skipped: %v", r.cfg.Events, p, offset, err))
		}
		return
	}
	b := &r.batch
	if len(b.evs) > 0 && b.part != p && !r.cfg.Merge {
		r.flushBatch()
	}
	b.part = p
	b.evs, b.arrivals, b.offsets = append(b.evs, ev), append(b.arrivals, arrival), append(b.offsets, offset)
	if r.cfg.Merge {
		b.parts = append(b.parts, p)
	}
	if len(b.evs) >= maxBatch {
		r.flushBatch()
	}
}

// maxBatch bounds the events handed to the engine at once.
const maxBatch = 512

// ingestBatch is what the engine gets next: consecutive events of one
// partition (of several in the merged read), with their arrivals and offsets.
type ingestBatch struct {
	part     int32
	parts    []int32 // merged read: the partition of each event
	evs      []engine.Event
	arrivals []int64
	offsets  []int64
	outcomes []engine.Outcome
	wms      []int64             // merged read: the watermark after each event
	flags    []engine.CaughtUpAt // merged read: caught-up flags set between its events
}

// flushBatch hands the batch to the engine and books the outcomes. The
// merged read books each event with the engine's clocks right after it, as
// when its events went to the engine one at a time; otherwise a late event
// is booked with the watermark after the batch (at or past the one it met)
// and a processing-time window with the engine's now after the batch.
func (r *Runner) flushBatch() {
	b := &r.batch
	if len(b.evs) == 0 && len(b.flags) == 0 { // flags alone: set after records that did not decode
		return
	}
	now := r.eng.Now()
	if r.cfg.Merge {
		b.outcomes, b.wms = r.eng.IngestMerged(b.parts, b.arrivals, b.evs, b.flags, b.outcomes[:0], b.wms[:0])
		b.flags = b.flags[:0]
	} else {
		b.outcomes = r.eng.IngestBatch(b.part, b.arrivals, b.evs, b.outcomes[:0])
	}
	r.book.rateEvents += int64(len(b.evs))
	wm := r.eng.Watermark()
	win, eventTime := r.cfg.Engine.Window.Milliseconds(), r.eng.Config().Mode == engine.EventTime
	for i, o := range b.outcomes {
		ev := &b.evs[i]
		if r.cfg.Merge {
			wm, now = b.wms[i], max(now, b.arrivals[i]) // the engine's now moves with each arrival
		} else {
			now = r.eng.Now()
		}
		switch o {
		case engine.Late:
			r.book.late(ev, win, b.arrivals[i], wm)
		case engine.Accepted:
			if r.cfg.Group != "" {
				t := ev.Time
				if !eventTime {
					t = now
				}
				p := b.part
				if r.cfg.Merge {
					p = b.parts[i]
				}
				r.commits.opened(p, engine.WindowEnd(t, win), b.offsets[i])
			}
		}
	}
	clear(b.evs) // let the ids go
	b.evs, b.arrivals, b.offsets, b.parts = b.evs[:0], b.arrivals[:0], b.offsets[:0], b.parts[:0]
}

// releaseMerged feeds the engine queued records in merged order, as far as
// every partition's bound allows, each with the caught-up flags the queues
// give at its time. The records go to the engine as one batch, whatever
// their partitions, the flags set within it where they change (setting the
// same flags again between two records would change nothing there). Once next has
// chosen a partition, its records go while its run limit allows them (next
// would choose them again), and while every partition is caught up for
// them their flags need no computing.
func (r *Runner) releaseMerged() {
	run := &r.mergedRun
	run.applied = false
	collect := run.collect
	for {
		p, lim := r.merge.nextRun(r.parts)
		if p == nil {
			break
		}
		for {
			q := p.queue.pop()
			allCaughtUp := q.ts < lim.othersTs && (p.queue.len() == 0 || p.queue.front().ts > q.ts)
			if !allCaughtUp || !run.applied || !run.allCaughtUp {
				run.next = run.next[:0]
				caughtUpAt(r.parts, q.ts, collect)
				if !run.applied || !slices.Equal(run.flags, run.next) {
					b := &r.batch
					for _, f := range run.next { // set by the engine right before the next event
						b.flags = append(b.flags, engine.CaughtUpAt{Before: len(b.evs), Part: f.part, CaughtUp: f.caughtUp})
					}
					run.applied = true
					run.flags = append(run.flags[:0], run.next...)
				}
				run.allCaughtUp = allCaughtUp
			}
			r.add(p.id, q.ts, q.offset, q.ev, q.err)
			if p.queue.len() == 0 || !lim.allows(p.queue.front()) {
				break
			}
		}
	}
	r.flushBatch()
}

// mergedRun is the run of merged records being batched: the caught-up
// flags set for them.
type mergedRun struct {
	applied     bool // flags are set in the engine
	allCaughtUp bool // and every one of them is true
	flags       []caughtUpFlag
	next        []caughtUpFlag // the flags of the record just popped
}

type caughtUpFlag struct {
	part     int32
	caughtUp bool
}

func (m *mergedRun) collect(p int32, caughtUp bool) {
	m.next = append(m.next, caughtUpFlag{p, caughtUp})
}

// NoMarkersAfter is how long a group member merging partitions waits for a
// first clock marker before it decides the stream has none (another
// producer) and reads its partitions as they come.
const NoMarkersAfter = 10 * time.Second

// checkMarkers gives up waiting for clock markers that do not come.
func (r *Runner) checkMarkers(now time.Time) {
	if r.cfg.Merge && r.cfg.Group != "" && r.merge.giveUp(now) {
		r.log(bus.Warn, fmt.Sprintf("no clock markers in %s after %v: reading its partitions as they come (not merged)", r.cfg.Events, NoMarkersAfter))
		r.releaseMerged()
		r.throttle()
	}
}

// maybeFinish flushes the engine once every partition it reads has ended.
func (r *Runner) maybeFinish(ctx context.Context) {
	if r.finished || !r.parts.owns() || !r.parts.allDone() {
		return
	}
	r.eng.Flush()
	r.finished = true
	r.emit(ctx)
	r.commit(ctx)
}

// updateCaughtUp tells the engine which partitions have nothing left to
// read (the merged read decides that per record instead).
func (r *Runner) updateCaughtUp() {
	if r.cfg.Merge {
		return
	}
	for _, p := range r.parts {
		if p.owned {
			r.eng.SetCaughtUp(p.id, p.caughtUp())
		}
	}
}

// unreachable marks partition id (every partition when id is unknown) as
// not reachable: not idle.
func (r *Runner) unreachable(id int32) {
	if p := r.parts.get(id); p != nil {
		p.unreachable()
		return
	}
	for _, p := range r.parts {
		p.unreachable()
	}
}

// addPartitions starts reading partitions added to the topic (no group:
// a group gets them in an assignment), from their start.
func (r *Runner) addPartitions(ids []int32) {
	var top int32
	for _, id := range ids {
		top = max(top, id+1)
	}
	added := r.parts.grow(top, true)
	for _, p := range added {
		r.eng.Assign(p.id)
	}
	if len(added) > 0 {
		r.log(bus.Info, fmt.Sprintf("%d partitions added to %s: reading them from their start", len(added), r.cfg.Events))
	}
}

// handleEnds takes a listing of the end offsets.
func (r *Runner) handleEnds(e endsResult) {
	if e.err != nil {
		r.book.st.Err = "broker unreachable: " + e.err.Error()
		if !r.book.unreachable {
			r.log(bus.Warn, r.book.st.Err+" (the watermark waits: an outage is not idleness)")
		}
		r.book.unreachable = true
	} else {
		if r.book.unreachable {
			r.log(bus.Info, "broker reachable again")
		}
		r.book.st.Err, r.book.unreachable = "", false
	}
	for _, p := range r.parts {
		if end, ok := e.ends[p.id]; ok {
			p.sawEnd(end)
		} else {
			p.unreachable()
		}
	}
	r.updateCaughtUp()
}

// applySettings takes the controls' new settings.
func (r *Runner) applySettings(ctx context.Context) {
	s := r.controls.Load()
	old := r.settings
	r.settings = s
	if s.Run > r.run {
		r.flushBatch()
		if err := r.reset(s.Run, ""); err != nil {
			r.log(bus.Error, err.Error())
		}
		return
	}
	if s.Mode != old.Mode {
		if err := r.eng.SetMode(s.Mode); err != nil {
			r.log(bus.Error, err.Error())
		}
	}
	if s.Dedup != old.Dedup {
		r.eng.SetDedup(s.Dedup)
	}
	if s.WatermarkLag != old.WatermarkLag {
		if err := r.eng.SetWatermarkLag(s.WatermarkLag); err != nil {
			r.log(bus.Error, err.Error())
		}
	}
	r.emit(ctx)
}

// reset starts a fresh engine for run n (tag: the run tag followed by a
// distributed engine) with the current settings.
func (r *Runner) reset(n int, tag string) error {
	c := r.cfg.Engine
	c.Mode, c.Dedup, c.Watermark = r.settings.Mode, r.settings.Dedup, r.settings.WatermarkLag
	eng, err := engine.New(c)
	if err != nil {
		return err
	}
	if r.cfg.Clock == bus.RealClock {
		// Partitions assigned now are silent from now, not idle at once:
		// the first records of one may be written a moment after another's.
		eng.Advance(r.now().UnixMilli())
	}
	r.eng, r.run, r.finished = eng, n, false
	r.tag = tag
	if r.cfg.Session != "" {
		r.tag = bus.RunTag(r.cfg.Session, n)
	}
	r.merge.newRun()
	r.progress.newRun()
	r.commits.newRun()
	r.book.newRun(n)
	for _, p := range r.parts {
		p.newRun()
		if p.owned {
			r.eng.Assign(p.id)
			if f, ok := r.commits.floor(p.id, r.tag); ok {
				r.eng.SetFloor(p.id, f)
				if f == bus.Final {
					// A previous owner read this partition to its end
					// marker and committed past it: it is done.
					p.done, p.bound = true, bus.Final
				}
			}
		}
	}
	r.throttle() // the queues are empty: fetch every partition
	return nil
}
