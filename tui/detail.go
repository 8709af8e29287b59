package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/engine"
)

// The detail view: the selected exception row in full, in place of the
// table (enter opens it, esc closes it). Nothing is clipped that fits in
// the pane: the whole device id, every value of every engine, the cause.

// selected is the selected row, nil when the table is empty.
func (p *comparatorPane) selected() *cmpRow {
	if at := p.scroll.at; at >= 0 && at < len(p.shown) {
		return &p.cur.rows[p.shown[at]]
	}
	return nil
}

// OpenDetail shows the selected row's details; false when there is none.
func (p *comparatorPane) OpenDetail() bool {
	if p.selected() == nil || p.showLog {
		return false
	}
	p.detail, p.dirty = true, true
	return true
}

// CloseDetail goes back to the table; false when it was not open.
func (p *comparatorPane) CloseDetail() bool {
	if !p.detail {
		return false
	}
	p.detail, p.dirty = false, true
	return true
}

// detailFields are the selected row's labelled values, in order.
func (p *comparatorPane) detailFields(r *cmpRow) [][2]string {
	win := engine.DefaultConfig().Window.Milliseconds()
	if p.engine != nil && p.engine.Config.Window > 0 {
		win = p.engine.Config.Window.Milliseconds()
	}
	state := "settled: final on both sides"
	if !r.settled {
		state = "not settled: may still change"
	}
	f := [][2]string{
		{"window", fmtTime(r.end-win, false, 0) + " – " + r.endLong + " UTC (end exclusive)"},
		{"device", r.device},
		{"category", r.category},
		{"state", state},
		{"m1", "truth " + r.truth + " · " + p.cur.name + " " + r.down + " · Δ (truth − down) " + r.delta},
		{"m2", "truth " + r.m2truth + " · " + p.cur.name + " " + r.m2down + " · Δ " + r.dm2},
		{"events", "truth " + r.ntruth + " · " + p.cur.name + " " + r.ndown},
		{"cause", r.cause},
	}
	for i, name := range p.others {
		if i < len(r.others) {
			v := r.others[i]
			if v == "=" {
				v = "= (not an exception for " + name + ")"
			}
			f = append(f, [2]string{"m1 " + name, v})
		}
	}
	return f
}

// detailLines is the selected row in full for a box cw cells wide and ch
// high: its fields, then the events its cause names, as many as fit.
func (p *comparatorPane) detailLines(cw, ch int) []string {
	st := p.st
	r := p.selected()
	if r == nil {
		return []string{st.faint.Render("no row selected")}
	}
	col := 0
	fields := p.detailFields(r)
	for _, f := range fields {
		col = max(col, st.cells.width(f[0])+2)
	}
	var lines []string
	for _, f := range fields {
		wrapped := strings.Split(ansi.Hardwrap(ansi.Wordwrap(f[1], max(cw-col, 8), " "), max(cw-col, 8), true), "\n")
		pad := strings.Repeat(" ", max(col-st.cells.width(f[0]), 0))
		lines = append(lines, st.label.Render(f[0])+pad+st.value.Render(wrapped[0]))
		for _, l := range wrapped[1:] {
			lines = append(lines, strings.Repeat(" ", col)+st.value.Render(l))
		}
	}
	lines = append(lines, "")
	lines = append(lines, p.namedLines(r, cw, ch-len(lines)-2)...)
	return append(lines, "", st.faint.Render(st.cells.clip("esc back · y copy the row and its events · Y copy the device id · row "+
		strconv.Itoa(p.scroll.at+1)+" of "+strconv.Itoa(len(p.shown)), cw)))
}

// rowText is the selected row as one line of tab-separated fields (for
// the clipboard), "" when there is none.
func (p *comparatorPane) rowText() string {
	r := p.selected()
	if r == nil {
		return ""
	}
	vals := make([]string, 0, 12)
	for _, f := range p.detailFields(r) {
		vals = append(vals, f[0]+": "+f[1])
	}
	for _, e := range namedOf(r) {
		vals = append(vals, e.kind+": "+e.id+" m1 "+e.m1+" device time "+e.dev+" sent "+e.send+" ("+e.after+")")
	}
	return strings.Join(vals, "\t")
}

// selectedDevice is the selected row's device id, "" when there is none.
func (p *comparatorPane) selectedDevice() string {
	if r := p.selected(); r != nil {
		return r.device
	}
	return ""
}
