package enginerun

import (
	"fmt"
	"strconv"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
)

// headers are a record's streamtop headers (SPEC §6).
type headers struct {
	run    string // the run header's value
	hasRun bool
	kind   string // kafka.HeaderEnd or kafka.HeaderClock: the record is a marker
	value  string // the marker header's value
	other  bool   // any other streamtop- header (or a second marker header)
}

// kind is what a record of the events topic is to the runner.
type kind uint8

const (
	external  kind = iota // no streamtop header: another producer's event, aggregated as usual
	ownEvent              // an event of the run being aggregated
	ownMarker             // a marker of the run being aggregated
	foreign               // counted, never aggregated, never steering anything
)

// classify decides what a record read from partition p is. Markers count
// only with the current run's authenticated tag; an authenticated tag of
// another run moves the runner to that run only when moveTo agrees.
// verified reports whether the record's run header authenticated (the
// record came from a run of ours, current or not).
func (r *Runner) classify(p int32, h headers, empty bool) (k kind, verified bool) {
	switch {
	case !h.hasRun && h.kind == "" && !h.other:
		return external, false
	case h.other || !h.hasRun:
		return foreign, false
	case h.kind != "":
		tag, ok := r.cfg.RunKey.VerifyMarker(h.run, h.kind, h.value, p)
		if !ok || !empty || (tag != r.tag && !r.moveTo(tag)) {
			return foreign, ok
		}
		return ownMarker, true
	}
	tag, ok := r.verifyEvent(h.run)
	if !ok || (tag != r.tag && !r.moveTo(tag)) {
		return foreign, ok
	}
	return ownEvent, true
}

// verdict is what verifying a run header said.
type verdict struct {
	value, tag string
	ok         bool
}

// verifyEvent verifies an event's run header. Every event of a run carries
// the same value, so the last verdict is kept: one MAC per run, not per
// event (an HMAC costs about as much as the engine's whole work on an event).
func (r *Runner) verifyEvent(v string) (string, bool) {
	if v == r.verified.value && v != "" {
		return r.verified.tag, r.verified.ok
	}
	tag, ok := r.cfg.RunKey.VerifyEvent(v)
	r.verified = verdict{value: v, tag: tag, ok: ok}
	return tag, ok
}

// moveTo decides whether an authenticated record of run tag moves the
// runner to that run, and moves it. In one process the run changes only
// through the controls: a record of a newer run is taken when the controls
// already name that run (so the new run's first records are not dropped
// while the change is on its way). A distributed engine follows the tags it
// reads, forward only: never back to a run it has left.
func (r *Runner) moveTo(tag string) bool {
	if r.cfg.Session != "" {
		n, mine := bus.RunOf(tag, r.cfg.Session)
		if !mine || n <= r.run || r.controls == nil || r.controls.Load().Run != n {
			return false
		}
		r.flushBatch()
		r.settings = r.controls.Load()
		if err := r.reset(n, ""); err != nil {
			r.log(bus.Error, err.Error())
			return false
		}
		return true
	}
	if r.left[tag] || tag == "" {
		return false
	}
	r.flushBatch()
	if r.tag != "" {
		r.left[r.tag] = true
	}
	r.log(bus.Info, "following run "+tag)
	if err := r.reset(r.run+1, tag); err != nil {
		r.log(bus.Error, err.Error())
		return false
	}
	return true
}

// mark applies a marker of the current run to partition p.
func (r *Runner) mark(p *partition, h headers) {
	switch h.kind {
	case kafka.HeaderEnd:
		p.done, p.bound = true, bus.Final
	case kafka.HeaderClock:
		if t, err := strconv.ParseInt(h.value, 10, 64); err == nil && t > p.bound {
			p.bound = t
		}
		p.marked, r.merge.anyMarked = true, true
	}
}

// foreignSeen counts a foreign record and says so once per kind of reason.
func (r *Runner) foreignSeen(p int32, h headers, verified bool) {
	r.book.st.Foreign++
	if r.book.st.Foreign > 1 {
		return
	}
	why := "its streamtop headers are not this run's"
	if h.hasRun && !verified {
		why = "its run tag does not authenticate (another writer, or a role without the run key)"
	}
	r.log(bus.Warn, fmt.Sprintf("foreign record on %s/%d skipped: %s; such records are counted, never aggregated", r.cfg.Events, p, why))
}
