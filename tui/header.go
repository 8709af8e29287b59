package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"charm.land/lipgloss/v2"
)

// header is the top line: title, run, state, time, broker, clock. It is
// drawn again only when what it shows changes (its clock, once a second).
func (m *Model) header(w int) string {
	in := headerText{width: w, title: m.title, run: m.settings.Run, paused: m.settings.Paused, watching: m.readOnly}
	r := m.snap.Run
	if r == nil {
		in.waiting = true
	} else {
		in.run = max(in.run, r.Run)
		in.state, in.style = r.State.String(), styleValue
		switch {
		case m.settings.Paused && (r.State == bus.Running || r.State == bus.Paused || r.State == bus.Starting):
			in.state, in.style = "paused", styleWarn
		case r.State == bus.Paused:
			in.style = styleWarn
		case r.State == bus.Running:
			in.style = styleGood
		case r.State == bus.AwaitingConfirm || r.State == bus.Stopping:
			in.style = styleBad
		}
		if m.frozen {
			in.state, in.style = "FROZEN (f resumes)", styleWarn
		}
		if !r.Disconnected.IsZero() {
			at := r.Disconnected.In(m.logs.loc)
			zone, _ := at.Zone()
			in.state, in.style = "disconnected since "+at.Format(time.TimeOnly)+" "+zone, styleBad
			in.noRun = m.snap.Injector == nil && m.snap.Engine == nil
			if !in.noRun {
				in.state += " (figures as last seen)"
			}
		}
		in.elapsed, in.left = "—", "—"
		if r.Duration == 0 {
			in.left = "∞"
		}
		e, known := r.Elapsed, r.Elapsed > 0
		if !known && !m.now.IsZero() && !r.Started.IsZero() {
			e, known = max(m.now.Sub(r.Started), 0), true
		}
		if known {
			in.elapsed = fmtClock(e)
			if r.Duration > 0 {
				in.left = fmtClock(max(r.Duration-e, 0))
			}
		}
		in.broker, in.clock, in.embedded = r.Broker, r.Clock, r.Embedded
	}
	if in != m.headerIn || m.st != m.headerSt {
		m.headerIn, m.headerSt, m.headerOut = in, m.st, in.draw(m.st)
	}
	return m.headerOut
}

// headerText is what the header shows.
type headerText struct {
	width           int
	title           string
	run             int
	waiting, paused bool // waiting: no run status yet
	state           string
	style           uint8 // the state's: styleValue…
	elapsed, left   string
	broker, clock   string // as received: sanitized when drawn
	embedded        bool
	noRun           bool // no run seen yet (a watcher that never reached the broker): no number shown
	watching        bool // read-only: the run is another host's, its number and length unknown here
}

const (
	styleValue uint8 = iota
	styleGood
	styleWarn
	styleBad
)

func (in headerText) draw(st *styles) string {
	sep := st.sepText
	title := st.header.Render(in.title)
	if in.waiting {
		items := []string{title, kv(st, "run", strconv.Itoa(in.run)), st.faint.Render("waiting for run…")}
		if in.paused {
			items = append(items, st.warn.Render("paused"))
		}
		return strings.Join(items, sep)
	}
	stStyle := [...]lipgloss.Style{styleValue: st.value, styleGood: st.good, styleWarn: st.warn, styleBad: st.bad}[in.style]
	broker, clock := sanitize(in.broker), sanitize(in.clock)
	run := kv(st, "run", strconv.Itoa(in.run)) + " " + stStyle.Render(in.state)
	if in.noRun {
		run = stStyle.Render(in.state)
	}
	if in.watching { // what a watcher knows: the broker, and how long it has watched
		state := st.good.Render("watching") + st.label.Render(" (read-only)")
		if in.state != bus.Running.String() { // disconnected, frozen
			state = stStyle.Render(in.state)
		}
		return strings.Join([]string{title, state, kv(st, "for", in.elapsed), kv(st, "broker", broker)}, sep)
	}
	long := []string{title,
		kv(st, "broker", broker),
		run,
		kv(st, "elapsed", in.elapsed),
		kv(st, "left", in.left),
		kv(st, "clock", clock),
	}
	if in.embedded {
		long[1] += st.faint.Render(" (embedded)")
	}
	line := strings.Join(long, sep)
	if st.cells.width(line) <= in.width {
		return line
	}
	// Narrow: terser, and the broker last so a long address cannot push
	// the run's state off the line.
	short := []string{title,
		run,
		st.value.Render(in.elapsed) + " " + st.label.Render("(") + st.value.Render(in.left) + st.label.Render(" left)"),
		st.value.Render(clock),
		kv(st, "broker", broker),
	}
	return strings.Join(short, "  ")
}
