package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// settling says whether a verdict's settled score can be shown as the
// verdict yet. Keys settle once their window is older than the settle
// delay (late events can come that long after): the first to settle are
// the windows before the run started, which only late events reach and
// an engine at lateness 0 must miss. Until the run's first window has
// settled, a score over the settled keys alone would read as if the
// engine were wrong on every key: the screen shows what is known now
// and when the verdict starts instead.
type settling struct {
	ready    bool
	left     time.Duration // event time until the run's first window settles
	delay    time.Duration // how long after its window a key settles
	progress float64       // 0–1, towards the first settled window
	real     bool          // the clock is the wall clock: left is a countdown
}

// settlingOf is the settling of verdict cs in a run whose injector status
// is in (nil: not known, as when judging another host's run) with windows
// of win. A final verdict, or one with no run start to measure from, is
// ready.
func settlingOf(in *bus.InjectorStatus, cs *bus.CompareStatus, win time.Duration, clock string) settling {
	if cs == nil || cs.Final || in == nil || in.Run != cs.Run || in.Start == engine.None || in.Start == 0 ||
		in.Clock == engine.None || in.Horizon == engine.None || win <= 0 {
		return settling{ready: true}
	}
	first := engine.WindowEnd(in.Start, win.Milliseconds())
	if cs.Horizon >= first {
		return settling{ready: true}
	}
	delay := max(in.Clock-in.Horizon, 0)
	s := settling{left: time.Duration(first-max(cs.Horizon, in.Start-delay)) * time.Millisecond,
		delay: time.Duration(delay) * time.Millisecond, real: clock == "real"}
	if span := first - (in.Start - delay); span > 0 {
		s.progress = min(max(float64(cs.Horizon-(in.Start-delay))/float64(span), 0), 1)
	}
	return s
}

// when is how far off the verdict is, in words: "in 6:42" on the wall
// clock, "6:42 of event time away" under the virtual one.
func (s settling) when() string {
	d := fmtClock(s.left.Round(time.Second))
	if s.real {
		return "in " + d
	}
	return d + " of event time away"
}

// bar draws progress as n cells.
func (s settling) bar(n int) string {
	full := int(s.progress*float64(n) + 0.5)
	return strings.Repeat("█", full) + strings.Repeat("░", n-full)
}

// windowOf is the window size the engine status gives, else the default.
func windowOf(es *bus.EngineStatus) time.Duration {
	if es != nil && es.Config.Window > 0 {
		return es.Config.Window
	}
	return engine.DefaultConfig().Window
}

// settle works out each engine's settling from the snapshot and reports
// whether any changed (a countdown moved on, a verdict became ready).
func (p *comparatorPane) settle(s *bus.Snapshot) bool {
	p.injector = s.Injector
	if s.Run != nil {
		p.clock = s.Run.Clock
	}
	win, changed := windowOf(s.Engine), false
	for _, v := range p.engines {
		st := settlingOf(p.injector, v.cs, win, p.clock)
		if st.ready != v.settle.ready || st.left/time.Second != v.settle.left/time.Second {
			changed = true
		}
		v.settle = st
	}
	return changed
}

// settlingSummary is the summary while no key of the run's own windows has
// settled: what is known now, and when the verdict starts, in words (fewer
// of them in a narrow pane; `?` explains the rest).
func (p *comparatorPane) settlingSummary(cw int, set settling) []string {
	st, r := p.st, &p.cur.cs.Report
	prov, keys := strconv.Itoa(r.Provisional.Exceptions), strconv.Itoa(r.Provisional.Keys)
	if cw < 70 {
		return append(st.cells.pack([]string{
			st.warn.Render("no verdict yet"), st.value.Render(set.when()) + " " + st.value.Render(set.bar(6)),
		}, st.sepText, cw), st.cells.pack([]string{
			kv(st, "now", prov+"/"+keys+" differ") + st.label.Render(" (may change)"),
			kv(st, "pending", strconv.Itoa(r.Pending)),
		}, st.sepText, cw)...)
	}
	lines := st.cells.pack([]string{
		st.warn.Render("no verdict yet"),
		st.label.Render("first keys settle ") + st.value.Render(set.when()),
		st.value.Render(set.bar(10)),
	}, st.sepText, cw)
	lines = append(lines, st.cells.pack([]string{
		kv(st, "now", prov+" of "+keys+" keys differ") + st.label.Render(" (provisional: may change)"),
		kv(st, "pending", strconv.Itoa(r.Pending)),
	}, st.sepText, cw)...)
	return append(lines, st.faint.Render(st.cells.clip("a key is final "+fmtClock(set.delay)+
		" after its window: late events may come till then", cw)))
}
