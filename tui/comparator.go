package tui

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// cmpRow is one exception row, formatted and sanitized once per status.
type cmpRow struct {
	settled            bool
	end                int64
	endYear            int    // UTC
	endLong            string // the end with its date
	endLongW           int    // its width
	device, category   string
	truth, down, delta string
	dm2, ntruth, ndown string
	// For sorting: m1 truth, m1 down and Δm1 as numbers (math.MinInt64
	// where there is none).
	truthN, downN, deltaN int64
	cause                 string // SPEC §4's cause, in full
	causeShort            string // its short form, for a narrow column
	causeTiny             string // its kind alone, for the narrowest
	search                string // lower-case full rendering, for the filter
	key                   engine.Key
	// With peers: the other engines' m1 at this key ("=": not an exception
	// there), and the names of the engines listing it (lower case).
	others  []string
	engines string
}

// comparatorPane shows the comparators' verdicts: with peers, a
// scoreboard of every engine; and the exception table of one engine.
type comparatorPane struct {
	paneBase
	ours         engineVerdict
	peerVerdicts map[string]*engineVerdict // by peer name
	engines      []*engineVerdict          // ours first, then the peers by name
	cur          *engineVerdict            // the engine the table follows
	sel          string                    // its key ("" ours)
	others       []string                  // names of the other engines with a verdict, as in cmpRow.others
	engine       *bus.EngineStatus
	peers        map[string]*bus.PeerStatus
	injector     *bus.InjectorStatus // for when the verdicts settle
	clock        string              // the run's clock: "real" or "virtual"
	board        []boardRow
	log          peerLog
	showLog      bool
	shown        []int // indices of the followed engine's rows passing the filter
	filter       rowFilter
	order        tableSort
	input        string // the filter input's view while it has focus
	inputOn      bool
	scroll       scroller
}

func newComparatorPane(st *styles) *comparatorPane {
	p := &comparatorPane{paneBase: paneBase{st: st, dirty: true}}
	p.ours.setName(ourName)
	p.engines = []*engineVerdict{&p.ours}
	p.cur = &p.ours
	return p
}

// SetSnapshot hands the pane the newest verdicts and statuses (any may be
// nil). Rows are formatted and filtered here, not in View.
func (p *comparatorPane) SetSnapshot(s *bus.Snapshot) {
	verdicts := p.syncEngines(s)
	if p.settle(s) {
		verdicts = true
	}
	if !verdicts && (!p.hasPeers() || (s.Engine == p.engine && !p.peersChanged(s.Peers))) {
		p.engine, p.peers = s.Engine, s.Peers
		return
	}
	p.engine, p.peers, p.dirty = s.Engine, s.Peers, true
	p.ours.setName(ourEngineName(s.Engine))
	p.selectEngine(p.sel)
	if p.showLog && (!p.hasPeers() || p.cur == &p.ours) {
		p.showLog = false
	}
	p.board = p.buildBoard()
	p.log.set(p.peers[p.sel], p.sel)
	if verdicts {
		p.crossRef()
		p.applyFilter()
	}
}

func newCmpRow(r compare.Row) cmpRow {
	dash := "—"
	c := cmpRow{truthN: math.MinInt64, downN: math.MinInt64, deltaN: math.MinInt64, settled: r.Settled, end: r.WindowEnd, endYear: time.UnixMilli(r.WindowEnd).UTC().Year(),
		endLong: fmtTime(r.WindowEnd, false, 0), device: sanitize(r.Device),
		category: sanitize(r.Category), key: r.Key, truth: dash, down: dash, delta: dash,
		dm2: dash, ntruth: dash, ndown: dash}
	if r.HasTruth {
		c.truth, c.truthN = itoa(r.Truth.M1), r.Truth.M1
		c.ntruth = itoa(r.Truth.Count)
	}
	if r.HasDown {
		c.down, c.downN = itoa(r.Down.M1), r.Down.M1
		c.ndown = itoa(r.Down.Count)
	}
	if r.HasTruth && r.HasDown {
		c.delta, c.deltaN = signed(r.DeltaM1()), r.DeltaM1()
		c.dm2 = strconv.FormatFloat(r.DeltaM2(), 'f', 2, 64)
		if r.DeltaM2() >= 0 {
			c.dm2 = "+" + c.dm2
		}
	}
	mark := ""
	if !r.Settled {
		mark = "~ "
	}
	if r.Incomplete {
		mark += "incomplete "
	}
	c.cause = sanitize(r.Cause)
	c.causeShort, c.causeTiny = shortCause(c.cause), tinyCause(c.cause)
	c.endLongW = len(c.endLong) // digits, '-', ':' and ' ': one cell a byte under every rule
	c.search = strings.ToLower(mark + c.endLong + " " + c.device + " " +
		c.category + " " + c.truth + " " + c.down + " " + c.delta + " " + c.dm2 + " " +
		c.ntruth + " " + c.ndown + " " + c.cause)
	return c
}

func signed(n int64) string {
	if n > 0 {
		return "+" + itoa(n)
	}
	return itoa(n)
}

// SetFilter sets the filter as typed (see rowFilter).
func (p *comparatorPane) SetFilter(typed string) {
	f := newRowFilter(typed)
	if f.text == p.filter.text {
		return
	}
	p.filter, p.dirty = f, true
	p.scroll.offset = 0
	p.applyFilter()
}

// SetInput shows the filter input (its view) in place of the row count.
func (p *comparatorPane) SetInput(view string, on bool) {
	if view != p.input || on != p.inputOn {
		p.input, p.inputOn, p.dirty = view, on, true
	}
}

func (p *comparatorPane) applyFilter() {
	p.shown = p.shown[:0]
	rows := p.cur.rows
	for i := range rows {
		if p.filter.keeps(rows[i].search, rows[i].engines) {
			p.shown = append(p.shown, i)
		}
	}
	p.order.apply(rows, p.shown)
}

// HandleKey toggles a peer's log and scrolls the exception table (or the
// log).
func (p *comparatorPane) HandleKey(msg tea.KeyPressMsg, km *KeyMap) bool {
	if key.Matches(msg, km.PeerLog) {
		return p.ToggleLog()
	}
	if p.showLog {
		if p.log.scroll(msg, km) {
			p.dirty = true
			return true
		}
		return false
	}
	switch {
	case key.Matches(msg, km.Sort):
		p.order = p.order.next()
	case key.Matches(msg, km.SortReverse):
		p.order = p.order.reversed()
	default:
		if p.scroll.handle(msg, km) {
			p.dirty = true
			return true
		}
		return false
	}
	p.applyFilter()
	p.dirty = true
	return true
}

// View renders the pane at its size.
func (p *comparatorPane) View() string { return joinLines(p.lines()) }

func (p *comparatorPane) lines() []string {
	if p.dirty || len(p.cache) != p.h {
		title := "Comparator"
		switch {
		case p.showLog:
			title += " · log of " + p.cur.name
		case p.cur.downstream != "":
			title += " · " + p.cur.downstream
		case p.hasPeers():
			title += " · " + p.cur.name
		}
		body := p.body
		if p.showLog {
			body = p.logBody
		}
		p.cache = box(p.st, title, body(), p.w, p.h, p.focused)
		p.dirty = false
	}
	return p.cache
}

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
		{sort: byEnd, title: "  window_end", width: endW + 2, cell: func(r *cmpRow) string {
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
		cols[0].title = "  end"
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

func (p *comparatorPane) body() []string {
	st := p.st
	cw, ch := contentSize(p.w, p.h)
	var lines []string
	if p.hasPeers() {
		lines = p.boardLines(cw, ch)
		if p.cur.cs == nil {
			msg := "no verdict from " + p.cur.name + " yet"
			if p.peers[p.sel] != nil {
				msg += " · L: its log"
			}
			return append(lines, st.faint.Render(st.cells.clip(msg, cw)))
		}
		if ch-len(lines)-3 >= 4 { // the followed engine's details, when the table keeps 4 rows
			lines = append(lines, st.cells.clip(p.details(), cw))
		}
	} else {
		if p.cur.cs == nil {
			return []string{st.faint.Render("waiting for comparator…")}
		}
		lines = p.summary(cw)
	}
	room := ch - len(lines) - 2 // header + status line
	if room < 1 {
		p.scroll.window(len(p.shown), 0)
		return lines
	}
	lines, from, to := p.table(lines, cw, room)
	for len(lines) < ch-1 {
		lines = append(lines, "")
	}
	if p.inputOn {
		return append(lines, p.input)
	}
	return append(lines, st.faint.Render(st.cells.clip(p.status(from, to), cw)))
}

// summary is our engine's verdict above the table when no peer runs.
func (p *comparatorPane) summary(cw int) []string {
	st, s := p.st, p.cur.cs
	r := &s.Report
	if set := p.cur.settle; !set.ready {
		return p.settlingSummary(cw, set)
	}
	score := st.good.Render(r.Settled.String())
	if r.Settled.Exceptions > 0 {
		score = st.bad.Render(r.Settled.String())
	}
	top := []string{score,
		kv(st, "provisional", strconv.Itoa(r.Provisional.Exceptions)+"/"+strconv.Itoa(r.Provisional.Keys)),
		kv(st, "pending", strconv.Itoa(r.Pending)),
	}
	if r.Final || s.Final {
		top = append(top, st.warn.Render("FINAL"))
	}
	lines := st.cells.pack(top, st.sepText, cw)
	return append(lines, st.cells.pack([]string{
		kv(st, "send time", s.SendTime.String()),
		kv(st, "results", itoa(s.Results)),
		kv(st, "malformed", itoa(s.Malformed)),
	}, st.sepText, cw)...)
}

// table appends the exception table's header and the rows that fit in
// room, and returns the range of shown rows it drew.
func (p *comparatorPane) table(lines []string, cw, room int) ([]string, int, int) {
	st := p.st
	from, to := p.scroll.window(len(p.shown), room)
	cols := p.columns(cw, p.shown[from:to])
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
		if c.sort == p.order.by {
			titles[i] += p.order.arrow()
		}
	}
	lines = append(lines, st.colHeader.Render(renderCells(st.cells, cols, titles)))
	cells := make([]string, len(cols))
	for _, i := range p.shown[from:to] {
		row := &p.cur.rows[i]
		for j, c := range cols {
			cells[j] = c.cell(row)
		}
		line := renderCells(st.cells, cols, cells)
		if row.settled {
			line = st.value.Render(line)
		} else {
			line = st.faint.Render(line)
		}
		lines = append(lines, line)
	}
	if len(p.shown) == 0 {
		if len(p.cur.rows) == 0 {
			lines = append(lines, st.faint.Render("no exceptions"))
		} else {
			lines = append(lines, st.faint.Render("no row matches"))
		}
	}
	return lines, from, to
}

// status is the table's last line: rows shown, filter, position, what is
// not listed and the causes counted per kind.
func (p *comparatorPane) status(from, to int) string {
	status := strconv.Itoa(len(p.shown)) + " rows"
	if p.hasPeers() {
		status = p.cur.name + ": " + status
	}
	if d := p.filter.describe(); d != "" {
		status += " (filter: " + sanitize(d) + ")"
	}
	if !p.order.isDefault() {
		status += " · " + p.order.describe()
	}
	if pos := p.scroll.position(from, to); pos != "" {
		status += " · " + pos
	}
	if n := len(p.cur.cs.Report.PendingRows); n > 0 {
		status += " · " + strconv.Itoa(n) + " incomplete"
	}
	if p.cur.open > 0 {
		status += " · +" + strconv.Itoa(p.cur.open) + " in windows still open"
	}
	if len(p.others) > 0 {
		status += " · = not an exception for that engine"
	}
	if p.cur.causes != "" {
		status += " · " + p.cur.causes // last: clipped first
	}
	return status
}
