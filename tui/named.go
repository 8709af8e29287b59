package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/compare"
)

// The events behind an exception, in its detail view: the late originals
// its cause says were dropped and the copies it says were counted, each
// with its id, m1, device time and send time (SPEC §4). Times are UTC,
// as windows are labelled; "sent − end" says how long after (or before)
// the window's end the event was sent.

// namedEvent is one named event, formatted.
type namedEvent struct {
	kind, id, m1, dev, send, after string
}

// eachNamed calls f with each event r's cause names, late ones first,
// and its kind ("late" or "copy").
func eachNamed(r *cmpRow, f func(kind string, c *compare.Candidate)) {
	for i := range r.late {
		f("late", &r.late[i])
	}
	for i := range r.dups {
		f("copy", &r.dups[i])
	}
}

// namedOf formats the events r's cause names: late ones first.
func namedOf(r *cmpRow) []namedEvent {
	out := make([]namedEvent, 0, len(r.late)+len(r.dups))
	eachNamed(r, func(kind string, c *compare.Candidate) {
		out = append(out, namedEvent{kind: kind, id: sanitize(c.ID), m1: itoa(c.M1),
			dev: fmtEventTime(c.Time, r.end), send: fmtEventTime(c.Send, r.end), after: sinceEnd(c.Send - r.end)})
	})
	return out
}

// fmtEventTime is ms in UTC to the millisecond, its date left out when it
// is the window end's.
func fmtEventTime(ms, end int64) string {
	t, e := time.UnixMilli(ms).UTC(), time.UnixMilli(end).UTC()
	if t.YearDay() == e.YearDay() && t.Year() == e.Year() {
		return t.Format("15:04:05.000")
	}
	return t.Format("2006-01-02 15:04:05.000")
}

// sinceEnd is a signed duration to a tenth of a second: "+6m18.2s", "-1.5s".
func sinceEnd(ms int64) string {
	d := (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

// namedLines is the events r's cause names as a table for cw cells and at
// most room lines (at least a line saying how many did not fit).
func (p *comparatorPane) namedLines(r *cmpRow, cw, room int) []string {
	st := p.st
	evs := namedOf(r)
	if len(evs) == 0 {
		msg := "events: the cause names no single event"
		if strings.Contains(r.cause, compare.LateDropped.String()) || strings.Contains(r.cause, compare.DuplicatesCounted.String()) {
			msg = "events: too many to keep one by one (the cause gives how many)"
		}
		return wrapStyled(st.faint, msg, cw)
	}
	head := namedEvent{kind: "", id: "id", m1: "m1", dev: "device time", send: "sent (UTC)", after: "sent − end"}
	type col struct {
		get   func(e *namedEvent) string
		right bool
		w     int
	}
	cols := []col{
		{get: func(e *namedEvent) string { return e.kind }},
		{get: func(e *namedEvent) string { return e.id }},
		{get: func(e *namedEvent) string { return e.m1 }, right: true},
		{get: func(e *namedEvent) string { return e.dev }},
		{get: func(e *namedEvent) string { return e.send }},
		{get: func(e *namedEvent) string { return e.after }, right: true},
	}
	total := 2 * (len(cols) - 1) // the cells and two spaces between each
	for i := range cols {
		for _, e := range append([]namedEvent{head}, evs...) {
			cols[i].w = max(cols[i].w, st.cells.width(cols[i].get(&e)))
		}
		total += cols[i].w
	}
	if total > cw { // narrow: "sent − end" goes first…
		total -= cols[5].w + 2
		cols = cols[:5]
	}
	idAlone := total > cw // …then the id takes a line of its own
	if idAlone {
		cols = append(cols[:1:1], cols[2:]...)
	}
	line := func(e *namedEvent) string {
		cells := make([]string, len(cols))
		for i, c := range cols {
			v := c.get(e)
			pad := strings.Repeat(" ", max(c.w-st.cells.width(v), 0))
			if c.right {
				cells[i] = pad + v
			} else {
				cells[i] = v + pad
			}
		}
		return st.cells.clip(strings.Join(cells, "  "), cw)
	}
	per := 1
	if idAlone {
		per = 2
	}
	lines := []string{st.label.Render("events the cause names"), st.colHeader.Render(line(&head))}
	fit := max((room-len(lines))/per, 1) // events that fit
	for i := range evs {
		if i == fit-1 && len(evs) > fit {
			lines = append(lines, st.faint.Render(st.cells.clip(strconv.Itoa(len(evs)-i)+" more: y copies them all", cw)))
			break
		}
		lines = append(lines, st.value.Render(line(&evs[i])))
		if idAlone {
			lines = append(lines, st.value.Render(st.cells.clip("  "+evs[i].id, cw)))
		}
	}
	return lines
}

// namedText is the events r's cause names on one line, for an export:
// "late ID m1 72 device 2026-12-07T08:00:07.670Z sent …; copy …".
func namedText(r *cmpRow) string {
	const stamp = "2006-01-02T15:04:05.000Z"
	var parts []string
	eachNamed(r, func(kind string, c *compare.Candidate) {
		parts = append(parts, kind+" "+sanitize(c.ID)+" m1 "+itoa(c.M1)+" device "+
			time.UnixMilli(c.Time).UTC().Format(stamp)+" sent "+time.UnixMilli(c.Send).UTC().Format(stamp))
	})
	return strings.Join(parts, "; ")
}
