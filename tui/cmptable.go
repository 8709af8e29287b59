package tui

import (
	"slices"
	"strings"
)

// The exception table's layout: which columns, how wide.

// column is one column of the exception table.
type column struct {
	sort  sortKey // numSortKeys: the table cannot be sorted by it
	title string
	width int
	right bool
	cell  func(*cmpRow) string
}

// minDeviceW is the least room the device column gets.
const minDeviceW = 4

// columns lays the table out in cw cells for the rows visible (indices
// into the followed engine's rows). With peers, the other engines' columns
// follow the followed engine's m1.
func (p *comparatorPane) columns(cw int, visible []int) []column {
	// With peers the engines' columns need room: compact below 90 cells.
	short := cw < 70 || (len(p.others) > 0 && cw < 90)
	endW := p.endWidth(short, visible)
	cols := []column{
		{sort: byEnd, title: "  window_end UTC", width: endW + 2, cell: func(r *cmpRow) string {
			if r.settled {
				return "  " + fmtTime(r.end, short, p.year)
			}
			return "~ " + fmtTime(r.end, short, p.year)
		}},
		{sort: byDevice, title: "device", width: 0, cell: func(r *cmpRow) string { return r.device }},
		{sort: byCategory, title: "category", width: 8, cell: func(r *cmpRow) string { return r.category }},
		{sort: byTruth, title: "m1 truth", width: 8, right: true, cell: func(r *cmpRow) string { return r.truth }},
		{sort: byDown, title: "m1 down", width: 8, right: true, cell: func(r *cmpRow) string { return r.down }},
		{sort: byDelta, title: "Δm1", width: 6, right: true, cell: func(r *cmpRow) string { return r.delta }},
	}
	if short {
		cols[0].title = "  end UTC"
		cols[2].title, cols[2].width = "cat", 5
		cols[3].title, cols[3].width = "truth", 5 // room for the cause at 80 columns
		cols[4].title, cols[4].width = "down", 5
		cols[5].width = 5
	}
	if len(p.others) > 0 {
		cols[4].title = p.cur.name
		cols[4].width = max(cols[4].width, min(p.st.cells.width(p.cur.name), engineColMax(cw)))
		cols = slices.Insert(cols, 5, p.engineColumns(cw, visible)...)
	}
	for i := range cols { // room for the sorted column's arrow
		if cols[i].sort == p.order.by && cols[i].sort != byDevice {
			cols[i].width = max(cols[i].width, p.st.cells.width(cols[i].title)+1)
		}
	}
	used := func() int {
		n := len(cols) - 1 // separators
		for _, c := range cols {
			n += c.width
		}
		return n
	}
	devW := p.deviceWidth(visible)
	// Δm2 and the counts come after the whole device id and the causes'
	// short form: an id cut for them would be cut beside room.
	if extras := 9 + 7 + 6 + 3; cw >= 90 && cw-used()-devW-1-p.causeWidth(visible, true)-1 >= extras {
		cols = append(cols,
			column{sort: numSortKeys, title: "Δm2", width: 9, right: true, cell: func(r *cmpRow) string { return r.dm2 }},
			column{sort: numSortKeys, title: "n truth", width: 7, right: true, cell: func(r *cmpRow) string { return r.ntruth }},
			column{sort: numSortKeys, title: "n down", width: 6, right: true, cell: func(r *cmpRow) string { return r.ndown }},
		)
	}
	// Dated window ends can leave no room for every column: the rightmost
	// go first.
	for len(cols) > 3 && used()+minDeviceW > cw {
		cols = cols[:len(cols)-1]
	}
	cols[1].width = min(max(cw-used(), minDeviceW), devW)
	return p.withCause(cols, cw-(used()-cols[1].width)-1, visible, devW)
}

// minCauseW is the least room the cause column is shown in.
const minCauseW = 4

// withCause adds the cause column when room cells (the device's and the
// cause's, less a separator) allow: the device keeps up to 8 cells while
// the cause needs them, and the cause is shortened to fit.
func (p *comparatorPane) withCause(cols []column, room int, visible []int, devW int) []column {
	if room < minDeviceW+minCauseW {
		return cols
	}
	want, short := p.causeWidth(visible, false), p.causeWidth(visible, true)
	// The device in full first, while the causes keep their short form;
	// then the causes grow to their full form.
	dev := min(max(room-short, min(8, room-minCauseW), minDeviceW), devW)
	w := min(room-dev, want)
	cols[1].width = dev
	return append(cols, column{sort: byCause, title: "cause", width: w, cell: func(r *cmpRow) string {
		switch {
		case p.st.cells.width(r.cause) <= w:
			return r.cause
		case p.st.cells.width(r.causeShort) <= w:
			return r.causeShort
		}
		return r.causeTiny
	}})
}

// causeWidth is the room the cause column wants for the visible rows: their
// widest cause in full, or in its short form.
func (p *comparatorPane) causeWidth(visible []int, short bool) int {
	w := len("cause")
	for _, i := range visible {
		c := p.cur.rows[i].cause
		if short {
			c = p.cur.rows[i].causeShort
		}
		w = max(w, p.st.cells.width(c))
	}
	return w
}

// deviceWidth is the room the device column wants: its widest visible id
// in full (a UUID is 36 cells), the title's at least. Rows clip only when
// the pane is narrower than that.
func (p *comparatorPane) deviceWidth(visible []int) int {
	w := len("device")
	for _, i := range visible {
		w = max(w, p.st.cells.width(p.cur.rows[i].device))
	}
	return w
}

// endWidth is the width of the window-end column: the time of day when
// short, unless a visible row is dated (another year than the run's clock).
func (p *comparatorPane) endWidth(short bool, visible []int) int {
	w := 19
	if short {
		w = 8
	}
	for _, i := range visible {
		if r := &p.cur.rows[i]; !short || r.endYear != p.year {
			w = max(w, r.endLongW)
		}
	}
	return w
}

func renderCells(rule cellRule, cols []column, cells []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := rule.clip(cells[i], c.width)
		pad := strings.Repeat(" ", max(c.width-rule.width(v), 0))
		if c.right {
			b.WriteString(pad + v)
		} else {
			b.WriteString(v + pad)
		}
	}
	return b.String()
}
