package tui

import (
	"math"
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
	m2truth, m2down    string
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
	// The events the cause names: late originals and counted copies
	// (shared with the verdict: never changed).
	late, dups []compare.Candidate
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
	scroll       rowCursor
	detail       bool // the selected row in full, in place of the table
	firstRowLine int  // the pane line of the table\'s first row, at the last render (0: none)
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
		dm2: dash, ntruth: dash, ndown: dash, m2truth: dash, m2down: dash}
	if r.HasTruth {
		c.truth, c.truthN = itoa(r.Truth.M1), r.Truth.M1
		c.m2truth = fmtSum(r.Truth.M2)
		c.ntruth = itoa(r.Truth.Count)
	}
	if r.HasDown {
		c.down, c.downN = itoa(r.Down.M1), r.Down.M1
		c.m2down = fmtSum(r.Down.M2)
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
	c.late, c.dups = r.Late, r.Dups
	c.causeShort, c.causeTiny = shortCause(c.cause), tinyCause(c.cause)
	c.endLongW = len(c.endLong) // digits, '-', ':' and ' ': one cell a byte under every rule
	c.search = strings.ToLower(mark + c.endLong + " " + c.device + " " +
		c.category + " " + c.truth + " " + c.down + " " + c.delta + " " + c.dm2 + " " +
		c.ntruth + " " + c.ndown + " " + c.cause)
	return c
}

// fmtSum renders an m2 sum to the generator's nine decimals, without the
// float noise a sum picks up (5377.976076450001).
func fmtSum(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e9)/1e9, 'f', -1, 64)
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
	p.scroll.reset()
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
		switch {
		case p.showLog:
			body = p.logBody
		}
		p.cache = box(p.st, title, body(), p.w, p.h, p.focused)
		p.dirty = false
	}
	return p.cache
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
		if cs := p.cur.cs; cs.Err != "" && cs.Report.Provisional.Keys == 0 {
			return lines // no verdict: no table of nothing
		}
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
	if s.Err != "" && r.Provisional.Keys == 0 { // nothing judged, and why
		return wrapStyled(st.bad, "no verdict: "+sanitize(s.Err), cw)
	}
	if set := p.cur.settle; !set.ready {
		return p.settlingSummary(cw, set)
	}
	final := r.Final || s.Final
	top := []string{scoreLine(st, r, final),
		kv(st, "provisional", strconv.Itoa(r.Provisional.Exceptions)+"/"+strconv.Itoa(r.Provisional.Keys)),
		kv(st, "pending", strconv.Itoa(r.Pending)),
	}
	if final {
		top = append(top, st.warn.Render("FINAL"))
	}
	if b := r.BeforeRun; b.Keys > 0 {
		top = append(top, beforeRun(st, r, final))
	}
	lines := st.cells.pack(top, st.sepText, cw)
	return append(lines, st.cells.pack([]string{
		kv(st, "send time", s.SendTime.String()),
		kv(st, "results", itoa(s.Results)),
		kv(st, "malformed", itoa(s.Malformed)),
	}, st.sepText, cw)...)
}

// scoreLine is the headline score. While the run goes on, keys in windows
// before the run (late events only) are left out of it: they settle first
// and would make the engine look wrong on most keys. The final verdict is
// every key's, as the reports have it.
func scoreLine(st *styles, r *compare.Report, final bool) string {
	score, text := r.Settled, r.Settled.String()
	if !final && r.BeforeRun.Keys > 0 {
		score = r.RunWindows()
		text = score.String() + " in the run's windows"
	}
	if score.Exceptions > 0 {
		return st.bad.Render(text)
	}
	return st.good.Render(text)
}

// beforeRun is the settled keys of the windows before the run, and, while
// the run goes on, every settled key.
func beforeRun(st *styles, r *compare.Report, final bool) string {
	b := r.BeforeRun
	s := kv(st, "before the run", strconv.Itoa(b.Exceptions)+"/"+strconv.Itoa(b.Keys)) + st.label.Render(" (late events only)")
	if !final {
		s += st.sepText + kv(st, "all settled", strconv.Itoa(r.Settled.Exceptions)+"/"+strconv.Itoa(r.Settled.Keys))
	}
	return s
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
	p.firstRowLine = len(lines) + 1 // below the top border
	cells := make([]string, len(cols))
	for k, i := range p.shown[from:to] {
		row := &p.cur.rows[i]
		for j, c := range cols {
			cells[j] = c.cell(row)
		}
		line := renderCells(st.cells, cols, cells)
		style := st.faint
		if row.settled {
			style = st.value
		}
		if p.focused && from+k == p.scroll.at { // the selected row
			style = style.Reverse(true)
		}
		lines = append(lines, style.Render(line))
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
