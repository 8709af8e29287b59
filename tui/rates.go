package tui

import (
	"cmp"
	"github.com/streamtop/streamtop/engine"
	"slices"
	"strconv"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
)

// alertRow is one rate alert, sanitized once.
type alertRow struct {
	ts                           int64
	previous, current, variation float64
	message                      string
}

// ratesPane shows the rate pipeline: rate and variation charts, counters
// and the alert list (newest first, scrollable).
type ratesPane struct {
	paneBase
	status  *bus.RateStatus
	source  string
	errText string
	alerts  []alertRow // newest first
	shown   []alertRow // those the filter keeps, at the last draw
	lf      listFilter
	scroll  scroller
}

func newRatesPane(st *styles) *ratesPane {
	return &ratesPane{paneBase: paneBase{st: st, dirty: true}}
}

// SetSnapshot hands the pane the newest rate status (nil until published).
func (p *ratesPane) SetSnapshot(s *bus.RateStatus) {
	if s == p.status {
		return
	}
	p.status, p.dirty = s, true
	p.alerts = p.alerts[:0]
	p.source, p.errText = "", ""
	if s == nil {
		return
	}
	p.source, p.errText = sanitize(s.Source), sanitize(s.Err)
	for i := len(s.Alerts) - 1; i >= 0; i-- {
		a := s.Alerts[i]
		p.alerts = append(p.alerts, alertRow{ts: a.TS, previous: a.Previous, current: a.Current,
			variation: a.Variation, message: sanitize(a.Message)})
	}
	// Newest first: by time, the later-published first among equal times.
	slices.SortStableFunc(p.alerts, func(a, b alertRow) int { return cmp.Compare(b.ts, a.ts) })
}

// HandleKey scrolls the alert list.
func (p *ratesPane) HandleKey(msg tea.KeyPressMsg, km *KeyMap) bool {
	if p.scroll.handle(msg, km) {
		p.dirty = true
		return true
	}
	return false
}

// View renders the pane at its size.
func (p *ratesPane) View() string { return joinLines(p.lines()) }

func (p *ratesPane) lines() []string {
	if p.dirty || len(p.cache) != p.h {
		p.shown = keptRows(&p.lf, p.alerts, func(a *alertRow) string {
			return fmtTime(a.ts, true, p.year) + " " + strconv.FormatFloat(a.variation, 'f', 2, 64) + " " +
				ftoa(a.previous, 2) + " " + ftoa(a.current, 2) + " " + a.message
		})
		title := "Rates · times UTC" + p.lf.title(len(p.shown), len(p.alerts)) // event times, as windows are labelled
		if p.source != "" {
			title += " · " + p.source
		}
		_, ch := contentSize(p.w, p.h)
		p.cache = box(p.st, title, p.lf.withInput(p.body(), ch), p.w, p.h, p.focused)
		p.dirty = false
	}
	return p.cache
}

func (p *ratesPane) body() []string {
	st := p.st
	cw, ch := contentSize(p.w, p.h)
	s := p.status
	if s == nil {
		return []string{st.faint.Render("waiting for rates…")}
	}
	alerts := kv(st, "alerts", itoa(s.AlertCount))
	if s.AlertCount > 0 {
		alerts = st.label.Render("alerts") + " " + st.warn.Render(itoa(s.AlertCount))
	}
	last := "—" // no tick yet: no rate, not a rate of 0
	if s.Ticks > 0 {
		last = ftoa(s.Last, 2)
	}
	lines := st.cells.pack([]string{
		kv(st, "last", last),
		kv(st, "ticks", itoa(s.Ticks)),
		kv(st, "malformed", itoa(s.Malformed)),
		kv(st, "threshold", num(s.Threshold)),
		alerts,
	}, st.sepText, cw)
	if p.errText != "" {
		lines = append(lines, st.bad.Render("error: "+p.errText))
	}

	// Split what is left: the alert list gets about a third (at least a
	// title and the longest alert, if the charts keep 3 rows each), the
	// two charts share the rest.
	room := ch - len(lines)
	rows, longest := make([][]string, len(p.shown)), 1
	for i, a := range p.shown {
		rows[i] = p.alertLines(a, cw)
		longest = max(longest, len(rows[i]))
	}
	alertRows := min(max(room/3, 2, min(1+longest, room-6)), len(p.shown)+longest)
	if len(p.shown) == 0 {
		alertRows = 2
	}
	if each := (room - alertRows) / 2; each >= 3 {
		for _, c := range []struct {
			name string
			data []float64
		}{{"rate", s.Rates}, {"variation", s.Variations}} {
			g := chart(c.data, cw, each-1)
			if g == nil {
				continue
			}
			lines = append(lines, st.label.Render(c.name))
			for _, l := range g {
				lines = append(lines, st.chart.Render(l))
			}
		}
	}
	head := st.colHeader.Render("alerts")
	if cw >= 40 {
		head += " " + st.faint.Render("(newest first)")
	}
	return listRows(st, &p.scroll, lines, head, rows, len(p.alerts), ch-len(lines), cw, "no alert matches")
}

// alertLines is one alert: its time, variation and the rates it went
// between, then its message when it says more than those (a pipeline of
// another's making), wrapped under it: nothing is cut.
func (p *ratesPane) alertLines(a alertRow, cw int) []string {
	st := p.st
	v := strconv.FormatFloat(a.variation, 'f', 2, 64)
	if a.variation >= 0 {
		v = "+" + v
	}
	l := st.value.Render(fmtTime(a.ts, true, p.year)) + " " + st.warn.Render(v)
	rates := st.faint.Render(ftoa(a.previous, 2) + "→" + ftoa(a.current, 2))
	out := []string{l + " " + rates}
	if st.cells.width(out[0]) > cw { // narrow: the rates under the time
		out = []string{l, "  " + rates}
	}
	own := engine.RateOutput{Rate: a.current, Previous: a.previous, Variation: a.variation}.Message()
	if a.message == "" || a.message == own {
		return out
	}
	last := len(out) - 1
	if full := out[last] + " " + a.message; st.cells.width(full) <= cw {
		out[last] = full
		return out
	}
	for _, w := range wrapWords(a.message, cw-2) {
		out = append(out, "  "+w)
	}
	return out
}
