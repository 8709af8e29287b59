package tui

import (
	"strconv"
	"strings"
)

// Every list filters as you type (`/` on the focused pane): the exception
// table, the log, the alerts and the engine's late events. The table has
// its own (comparator.go); the other lists share listFilter.

// filterable is a pane whose list `/` filters.
type filterable interface {
	SetFilter(typed string)
	SetInput(view string, on bool)
}

// listFilter is a list pane's filter: as typed, and the input line drawn
// in place of the pane's last line while it is edited.
type listFilter struct {
	filter  rowFilter
	input   string
	inputOn bool
}

// set changes the filter to typed; false when that changes nothing.
func (l *listFilter) set(typed string) bool {
	f := newRowFilter(typed)
	if f.text == l.filter.text {
		return false
	}
	l.filter = f
	return true
}

// setInput shows (or hides) the input line; false when nothing changed.
func (l *listFilter) setInput(view string, on bool) bool {
	if view == l.input && on == l.inputOn {
		return false
	}
	l.input, l.inputOn = view, on
	return true
}

// keeps reports whether a row whose text is text passes the filter.
func (l *listFilter) keeps(text string) bool { return l.filter.keeps(strings.ToLower(text)) }

// keptRows is the rows the filter keeps, in order (rows itself without a
// filter); text is a row's searchable text.
func keptRows[T any](l *listFilter, rows []T, text func(*T) string) []T {
	if l.filter.empty() {
		return rows
	}
	var out []T
	for i := range rows {
		if l.keeps(text(&rows[i])) {
			out = append(out, rows[i])
		}
	}
	return out
}

// listRows appends a list's heading (with the position when scrolled) and
// the rows, each of one or more lines, that fit in room lines from the
// scroll offset; "none" when the list is empty (total: before the
// filter), noMatch when the filter kept nothing.
func listRows(st *styles, sc *scroller, lines []string, head string, rows [][]string, total, room, cw int, noMatch string) []string {
	if room < 2 {
		sc.window(len(rows), 0)
		return lines
	}
	heights := make([]int, len(rows))
	for i, r := range rows {
		heights[i] = len(r)
	}
	from, to := sc.windowLines(heights, room-1)
	if pos := sc.position(from, to); pos != "" {
		head += " " + st.faint.Render(pos)
	}
	lines = append(lines, head)
	switch {
	case total == 0:
		return append(lines, st.faint.Render("none"))
	case len(rows) == 0:
		return append(lines, st.faint.Render(noMatch))
	}
	return append(lines, fitRows(st, rows[from:to], room-1, cw)...)
}

// title is what a pane's title says of the filter: the filter and how
// many of the list's total rows it keeps ("" without one).
func (l *listFilter) title(kept, total int) string {
	if l.filter.empty() {
		return ""
	}
	return " · /" + l.filter.describe() + " " + strconv.Itoa(kept) + " of " + strconv.Itoa(total)
}

// withInput puts the input line in place of the last of ch lines while the
// filter is edited.
func (l *listFilter) withInput(lines []string, ch int) []string {
	if !l.inputOn || ch < 1 {
		return lines
	}
	for len(lines) < ch {
		lines = append(lines, "")
	}
	return append(lines[:ch-1], l.input)
}

// SetFilter filters the log's entries.
func (p *logPane) SetFilter(typed string) {
	if p.lf.set(typed) {
		p.back, p.dirty = 0, true
	}
}

// SetInput shows the filter input in the log's last line.
func (p *logPane) SetInput(view string, on bool) {
	if p.lf.setInput(view, on) {
		p.dirty = true
	}
}

// SetFilter filters the alerts.
func (p *ratesPane) SetFilter(typed string) {
	if p.lf.set(typed) {
		p.scroll.offset = 0
		p.dirty = true
	}
}

// SetInput shows the filter input in the rates pane's last line.
func (p *ratesPane) SetInput(view string, on bool) {
	if p.lf.setInput(view, on) {
		p.dirty = true
	}
}

// SetFilter filters the late events.
func (p *enginePane) SetFilter(typed string) {
	if p.lf.set(typed) {
		p.scroll.offset = 0
		p.dirty = true
	}
}

// SetInput shows the filter input in the engine pane's last line.
func (p *enginePane) SetInput(view string, on bool) {
	if p.lf.setInput(view, on) {
		p.dirty = true
	}
}
