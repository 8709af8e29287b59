package tui

import (
	"strconv"
	"strings"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"

	"github.com/streamtop/streamtop/engine"
)

// lateRow is one late event, sanitized once.
type lateRow struct {
	end, watermark int64
	device, categ  string
	m1             int64
}

// enginePane shows the in-process engine: mode, watermark, windows, drops,
// rates, lag, and its side output of late events (newest first, scrollable).
type enginePane struct {
	paneBase
	observed bool // read-only: the settings are what the engine reports
	status   *bus.EngineStatus
	settings bus.Settings
	late     []lateRow // newest first
	shown    []lateRow // those the filter keeps, at the last draw
	errText  string
	scroll   scroller
	lf       listFilter
}

func newEnginePane(st *styles) *enginePane {
	return &enginePane{paneBase: paneBase{st: st, dirty: true}}
}

// SetSnapshot hands the pane the newest status (nil until the engine
// publishes) and the settings in force.
func (p *enginePane) SetSnapshot(s *bus.EngineStatus, set bus.Settings) {
	if s != p.status {
		p.status, p.dirty = s, true
		p.late = p.late[:0]
		p.errText = ""
		if s != nil {
			for i := len(s.Recent) - 1; i >= 0; i-- {
				e := s.Recent[i]
				p.late = append(p.late, lateRow{end: e.WindowEnd, watermark: e.Watermark,
					device: sanitize(e.Device), categ: sanitize(e.Category), m1: e.M1})
			}
			p.errText = sanitize(s.Err)
		}
	}
	if set != p.settings {
		p.settings, p.dirty = set, true
	}
}

// HandleKey scrolls the late-event list.
func (p *enginePane) HandleKey(msg tea.KeyPressMsg, km *KeyMap) bool {
	if p.scroll.handle(msg, km) {
		p.dirty = true
		return true
	}
	return false
}

// View renders the pane at its size.
func (p *enginePane) View() string { return joinLines(p.lines()) }

func (p *enginePane) lines() []string {
	if p.dirty || len(p.cache) != p.h {
		_, ch := contentSize(p.w, p.h)
		p.shown = keptRows(&p.lf, p.late, func(r *lateRow) string {
			return fmtTime(r.end, false, p.year) + " " + r.categ + " " + itoa(r.m1) + " " + r.device
		})
		title := "Engine · times UTC" + p.lf.title(len(p.shown), len(p.late)) // event times, as windows are labelled
		p.cache = box(p.st, title, p.lf.withInput(p.body(), ch), p.w, p.h, p.focused)
		p.dirty = false
	}
	return p.cache
}

// settingItems renders the engine knobs from the settings in force, and
// what the engine still runs with while it catches up with a key.
func settingItems(st *styles, s bus.Settings, e *bus.EngineStatus) []string {
	was := func(differs bool, v string) string {
		if e == nil || !differs {
			return ""
		}
		return " " + st.faint.Render("(engine: "+v+")")
	}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	dedup := st.good.Render("dedup on")
	if !s.Dedup {
		dedup = st.warn.Render("dedup off")
	}
	var c engine.Config
	if e != nil {
		c = e.Config
	}
	return []string{
		kv(st, "mode", s.Mode.String()) + was(c.Mode != s.Mode, c.Mode.String()),
		dedup + was(c.Dedup != s.Dedup, onOff(c.Dedup)),
		kv(st, "W", s.WatermarkLag.String()) + was(c.Watermark != s.WatermarkLag, c.Watermark.String()),
	}
}

func (p *enginePane) body() []string {
	st := p.st
	cw, ch := contentSize(p.w, p.h)
	if p.status != nil && p.status.Observed {
		return p.observedBody(cw)
	}
	knobs := settingItems(st, p.settings, p.status)
	if p.status == nil {
		if p.observed { // a watcher's knobs are the engine's: none to show yet
			return []string{st.faint.Render("waiting for engine…")}
		}
		return append(st.cells.pack(knobs, st.sepText, cw), st.faint.Render("waiting for engine…"))
	}
	lines := p.summary(knobs, cw)
	if p.errText != "" {
		lines = append(lines, st.bad.Render("error: "+p.errText))
	}
	return p.lateRows(lines, ch-len(lines), cw < 60)
}

// summary renders the engine's knobs, watermark, counters and flow, packed
// onto lines of cw cells.
func (p *enginePane) summary(knobs []string, cw int) []string {
	st, s := p.st, p.status
	short := cw < 60
	lbl := func(long, narrow string) string {
		if short {
			return narrow
		}
		return long
	}
	warnKV := func(label string, n int64) string {
		if n > 0 {
			return st.label.Render(label) + " " + st.warn.Render(itoa(n))
		}
		return kv(st, label, itoa(n))
	}
	wm := s.Stats.Watermark
	wmText := fmtTime(wm, short, p.year)
	if s.Stats.Mode != engine.EventTime && wm == engine.None {
		wmText = "— (" + s.Stats.Mode.String() + ")"
	}
	counts := []string{kv(st, "malformed", itoa(s.Malformed)), kv(st, "consumed", itoa(s.Consumed))}
	if s.Malformed > 0 {
		counts[0] = warnKV("malformed", s.Malformed)
	}
	if s.Foreign > 0 {
		counts = append(counts, kv(st, "foreign", itoa(s.Foreign)))
	}
	if s.Stats.Future > 0 { // device clocks ahead of arrival by more than max-skew
		counts = append(counts, warnKV("future", s.Stats.Future))
	}
	if s.Stats.Shed > 0 { // new keys past the key cap: their windows stay pending
		counts = append(counts, warnKV("shed", s.Stats.Shed))
	}
	var lines []string
	for _, g := range [][]string{
		knobs,
		{kv(st, lbl("watermark", "wm"), wmText), kv(st, "closed ≤", fmtTime(s.ClosedBefore, short, p.year))},
		{kv(st, "open", strconv.Itoa(s.Stats.OpenWindows)+" win/"+strconv.Itoa(s.Stats.OpenKeys)+" keys"),
			kv(st, "accepted", itoa(s.Stats.Accepted))},
		{kv(st, "dup dropped", itoa(s.Stats.Duplicates)), warnKV("late dropped", s.Stats.Late)},
		p.flow(lbl, cw),
		counts,
		{kv(st, "lateness", s.Config.Lateness.String()), kv(st, "idle", s.Config.Idle.String())},
	} {
		lines = append(lines, st.cells.pack(g, st.sepText, cw)...)
	}
	return lines
}

// flow renders the rates and the lag, per partition when it fits in cw.
func (p *enginePane) flow(lbl func(long, narrow string) string, cw int) []string {
	st, s := p.st, p.status
	short := cw < 60
	flow := []string{
		kv(st, lbl("results/s", "res/s"), ftoa(s.ResultRate, 1)),
		kv(st, lbl("events/s", "ev/s"), ftoa(s.EventRate, 1)),
		kv(st, "lag", itoa(s.Lag)),
	}
	if len(s.PartitionLag) > 0 {
		var b strings.Builder
		for i, l := range s.PartitionLag {
			if i > 0 {
				b.WriteByte(' ')
			}
			if !short {
				b.WriteString("p" + strconv.Itoa(i) + " ")
			}
			if l < 0 {
				b.WriteString("?")
			} else {
				b.WriteString(itoa(l))
			}
		}
		if per := "[" + b.String() + "]"; st.cells.width(per) <= cw {
			flow = append(flow, st.faint.Render(per))
		}
	}
	if s.Finished {
		flow = append(flow, st.warn.Render("flushed"))
	}
	return flow
}

// lateRows appends the late events the filter keeps, newest first, in
// the room rows left. A device id is never cut: where a line cannot hold
// it, it goes on a line of its own under its event.
func (p *enginePane) lateRows(lines []string, room int, short bool) []string {
	st := p.st
	cw, _ := contentSize(p.w, p.h)
	rows := make([][]string, len(p.shown))
	for i, r := range p.shown {
		rows[i] = p.lateLines(r, short, cw)
	}
	head := st.colHeader.Render("late events") + " " + st.faint.Render("(side output)")
	return listRows(st, &p.scroll, lines, head, rows, len(p.late), room, cw, "no late event matches")
}

// lateLines is one late event: window end, category, m1, the watermark
// when it came (where there is room) and the device id, last. Short of
// room the m1 label goes first ("07:38:00 cat-2 82 <device>"), then the
// device takes a line of its own.
func (p *enginePane) lateLines(r lateRow, short bool, cw int) []string {
	st := p.st
	head := st.value.Render(fmtTime(r.end, short, p.year)) + " " + r.categ + " "
	l := head + st.label.Render("m1") + " " + itoa(r.m1)
	if !short && r.watermark != engine.None {
		l += " " + st.faint.Render("(wm "+fmtTime(r.watermark, true, p.year)+")")
	}
	dev := st.faint.Render(r.device)
	for _, one := range []string{l + " " + dev, head + itoa(r.m1) + " " + dev} {
		if st.cells.width(one) <= cw {
			return []string{one}
		}
	}
	if st.cells.width(r.device)+2 > cw { // no room to indent; wider than the pane: over lines
		return append([]string{l}, wrapStyled(st.faint, r.device, cw)...)
	}
	return []string{l, "  " + dev}
}
