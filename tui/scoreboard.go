package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"charm.land/lipgloss/v2"
)

// The scoreboard heads the comparator pane when peers run (SPEC §9): one
// row per engine, ours first, with its state, scores, output rate, CPU,
// memory and causes counted per kind. A peer that failed or is fetching
// says so in place of its scores; what it cannot honour, and (where there
// is room) what it runs with, is a faint line under its row.

// boardRow is one engine's row, formatted once per status.
type boardRow struct {
	key                          string // the engine's key ("" ours)
	name, state                  string
	stateStyle                   uint8 // styleValue…
	settled, prov, pending, rate string
	latency                      string // p50/p99 from send to result
	cpu, rss, ready, peak        string
	bad                          bool  // settled exceptions > 0
	counts                       []int // causes per kind
	note                         string
	noteStyle                    uint8
	cannot, settings             string
}

// buildBoard formats the scoreboard's rows (nil without peers).
func (p *comparatorPane) buildBoard() []boardRow {
	if !p.hasPeers() {
		return nil
	}
	rows := make([]boardRow, 0, len(p.engines))
	for _, v := range p.engines {
		r := boardRow{key: v.key, name: v.name, cpu: "—", rss: "—", ready: "—", peak: "—"}
		r.scores(v)
		if v == &p.ours {
			r.ours(p.engine, v.cs)
		} else {
			r.peer(p.peers[v.key])
		}
		rows = append(rows, r)
	}
	return rows
}

// scores fills the verdict's columns.
func (r *boardRow) scores(v *engineVerdict) {
	r.settled, r.prov, r.pending, r.rate, r.latency = "—", "—", "—", "—", "—"
	cs := v.cs
	if cs == nil {
		return
	}
	if cs.Err != "" {
		r.note, r.noteStyle = "no verdict: "+sanitize(cs.Err), styleBad
		return
	}
	rep := &cs.Report
	score := rep.Settled
	if !cs.Final && !rep.Final { // the run's own windows (see scoreLine)
		score = rep.RunWindows()
	}
	r.settled = strconv.Itoa(score.Exceptions) + "/" + strconv.Itoa(score.Keys)
	r.bad = score.Exceptions > 0
	if !v.settle.ready { // a score over the earliest keys alone would mislead
		r.settled, r.bad = "settling "+strconv.Itoa(int(v.settle.progress*100))+"%", false
		if v.settle.real {
			r.settled = "in " + fmtClock(v.settle.left.Round(time.Second))
		}
	}
	r.prov = strconv.Itoa(rep.Provisional.Exceptions) + "/" + strconv.Itoa(rep.Provisional.Keys)
	r.pending = strconv.Itoa(rep.Pending)
	r.rate = ftoa(cs.ResultRate, 1)
	if cs.LatencySamples > 0 {
		r.latency = fmtLatency(cs.LatencyP50, cs.LatencyP99)
	}
	r.counts = v.counts
}

// ours fills our engine's state: running, or finished once it flushed at
// the end of input or its verdict is final.
func (r *boardRow) ours(e *bus.EngineStatus, cs *bus.CompareStatus) {
	switch {
	case e == nil && cs == nil:
		r.state = "waiting"
	case (e != nil && e.Finished) || (cs != nil && (cs.Final || cs.Report.Final)):
		r.state = "finished"
	default:
		r.state, r.stateStyle = "running", styleGood
	}
	if e != nil {
		r.rate = ftoa(e.ResultRate, 1)
	}
}

// peer fills a peer process's state, resources and notes.
func (r *boardRow) peer(ps *bus.PeerStatus) {
	if ps == nil {
		r.state = "—"
		return
	}
	r.state = ps.State.String()
	r.cpu, r.rss, r.peak = fmtCPU(ps.CPU), fmtMB(ps.RSS), fmtMB(ps.PeakRSS)
	if ps.ReadyIn > 0 {
		r.ready = fmtCPU(ps.ReadyIn)
	}
	if len(ps.Cannot) > 0 {
		r.cannot = "cannot: " + sanitize(strings.Join(ps.Cannot, "; "))
	}
	r.settings = sanitize(ps.Settings)
	switch ps.State {
	case bus.PeerFailed:
		r.stateStyle, r.noteStyle = styleBad, styleBad
		r.note = "failed"
		if exit := sanitize(ps.Exit); exit != "" {
			r.note += ": " + exit
		}
		if last := lastLine(ps.Log); last != "" {
			r.note += " — " + last
		}
	case bus.PeerFetching:
		r.stateStyle, r.noteStyle = styleWarn, styleWarn
		r.note = "fetching…"
		if pr := sanitize(ps.Progress); pr != "" {
			r.note = "fetching " + pr
		}
	case bus.PeerStarting:
		r.stateStyle = styleWarn
	case bus.PeerReady:
		r.stateStyle = styleGood
	}
}

// lastLine is the last line of a log that is not blank, sanitized.
func lastLine(log []string) string {
	for i := len(log) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(sanitize(log[i])); l != "" {
			return l
		}
	}
	return ""
}

// fmtCPU renders a duration compactly: "4.2s", "3m05s", "2h07m".
func fmtCPU(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < 100*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < 100*time.Minute:
		s := int64(d / time.Second)
		return itoa(s/60) + "m" + pad2(s%60) + "s"
	}
	m := int64(d / time.Minute)
	return itoa(m/60) + "h" + pad2(m%60) + "m"
}

func pad2(v int64) string {
	if v < 10 {
		return "0" + itoa(v)
	}
	return itoa(v)
}

// fmtMB renders bytes as whole megabytes ("—" when not measured).
func fmtMB(b int64) string {
	if b <= 0 {
		return "—"
	}
	return itoa(b>>20+(b>>19)&1) + " MB" // rounded, without overflow
}

// of is the style named by k (styleValue…).
func (s *styles) of(k uint8) lipgloss.Style {
	switch k {
	case styleGood:
		return s.good
	case styleWarn:
		return s.warn
	case styleBad:
		return s.bad
	}
	return s.value
}

// boardCol is one column of the scoreboard.
type boardCol struct {
	title string
	width int
	right bool
	cell  func(*boardRow) string
	style func(*boardRow) lipgloss.Style // nil: value
}

// boardColumns lays the scoreboard out in cw cells: columns are dropped
// from the right until the rest fits; the causes take what room is left.
func (p *comparatorPane) boardColumns(cw int) []boardCol {
	st := p.st
	wide := cw >= 100
	// Widths follow the values, within bounds: an absurd number or name
	// is cut, not allowed to push every other column out.
	nameMax, cellMax := 10, 11
	if wide {
		nameMax, cellMax = 28, 21
	}
	cols := []boardCol{
		{title: "  engine", cell: func(r *boardRow) string {
			if r.key == p.sel {
				return "▸ " + r.name
			}
			return "  " + r.name
		}},
		{title: "state", cell: func(r *boardRow) string { return r.state }, style: func(r *boardRow) lipgloss.Style {
			return st.of(r.stateStyle)
		}},
		{title: "settled", right: true, cell: func(r *boardRow) string { return r.settled }, style: func(r *boardRow) lipgloss.Style {
			if r.bad {
				return st.bad
			}
			if r.settled == "—" {
				return st.value
			}
			return st.good
		}},
		{title: "prov", right: true, cell: func(r *boardRow) string { return r.prov }},
		{title: "pend", right: true, cell: func(r *boardRow) string { return r.pending }},
		{title: "res/s", right: true, cell: func(r *boardRow) string { return r.rate }},
		{title: "CPU", right: true, cell: func(r *boardRow) string { return r.cpu }},
		{title: "RSS", right: true, cell: func(r *boardRow) string { return r.rss }},
	}
	if p.boardLatency() {
		// Latencies exist under the real clock only: no column otherwise.
		// Below the wide layout it takes the pending column's place, so the
		// causes still fit at 120 columns.
		lat := boardCol{title: "p50/p99", right: true, cell: func(r *boardRow) string { return r.latency }}
		at := 6 // after res/s
		if !wide {
			at = 5
			cols = append(cols[:4], cols[5:]...) // pending goes
		}
		cols = append(cols[:at], append([]boardCol{lat}, cols[at:]...)...)
	}
	if wide {
		cols[3].title, cols[4].title = "provisional", "pending"
		cols = append(cols,
			boardCol{title: "ready in", right: true, cell: func(r *boardRow) string { return r.ready }},
			boardCol{title: "peak RSS", right: true, cell: func(r *boardRow) string { return r.peak }})
	}
	for i := range cols {
		c := &cols[i]
		c.width = st.cells.width(c.title)
		for j := range p.board {
			if r := &p.board[j]; i < 2 || r.note == "" {
				c.width = max(c.width, st.cells.width(c.cell(r)))
			}
		}
		c.width = min(c.width, cellMax)
	}
	cols[0].width = min(cols[0].width, nameMax+2)
	all := len(cols)
	used := func() int {
		n := len(cols) - 1
		for _, c := range cols {
			n += c.width
		}
		return n
	}
	for len(cols) > 2 && used() > cw {
		cols = cols[:len(cols)-1]
	}
	if len(cols) < all {
		return cols // the causes come after every other column
	}
	return p.withBoardCauses(cols, cw-used()-1)
}

// withBoardCauses adds the causes per kind in room cells: in full when
// they fit, else with the kinds' tiny names, cut to the room.
func (p *comparatorPane) withBoardCauses(cols []boardCol, room int) []boardCol {
	const minW = 6
	if room < minW {
		return cols
	}
	fullW, tinyW := len("causes"), len("causes")
	for j := range p.board {
		fullW = max(fullW, p.st.cells.width(formatCauses(p.board[j].counts, false)))
		tinyW = max(tinyW, p.st.cells.width(formatCauses(p.board[j].counts, true)))
	}
	tiny, w := false, fullW
	if fullW > room {
		tiny, w = true, min(tinyW, room)
	}
	return append(cols, boardCol{title: "causes", width: w, cell: func(r *boardRow) string {
		return formatCauses(r.counts, tiny)
	}})
}

// boardLines renders the scoreboard in cw×ch cells: its header, a row per
// engine and, while the table below keeps three rows, the peers' notes
// (what each cannot honour; what it runs with when the pane is tall).
func (p *comparatorPane) boardLines(cw, ch int) []string {
	st := p.st
	cols := p.boardColumns(cw)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	lines := []string{st.colHeader.Render(st.cells.clip(p.boardCells(cols, titles, nil), cw))}
	budget := ch - 5 - len(p.board) // board header and rows, table header, 3 rows, status
	for j := range p.board {
		r := &p.board[j]
		lines = append(lines, st.cells.clip(p.boardRowLine(cols, r, cw), cw))
		var notes []string
		if r.cannot != "" {
			notes = append(notes, r.cannot)
		}
		if r.settings != "" && ch >= 14 {
			notes = append(notes, "runs with "+r.settings)
		}
		if len(notes) > 0 && budget > 0 {
			budget--
			lines = append(lines, st.faint.Render(st.cells.clip("    "+strings.Join(notes, " · "), cw)))
		}
	}
	return lines
}

// boardRowLine is one engine's row; a note (a failure, a fetch) takes the
// place of the scores.
func (p *comparatorPane) boardRowLine(cols []boardCol, r *boardRow, cw int) string {
	st := p.st
	if r.note == "" {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.cell(r)
		}
		return p.boardCells(cols, cells, r)
	}
	head := p.boardCells(cols[:min(2, len(cols))], []string{cols[0].cell(r), r.state}, r)
	rest := cw - st.cells.width(head) - 1
	style := st.of(r.noteStyle)
	if rest < 1 {
		return head
	}
	return head + " " + style.Render(st.cells.clip(r.note, rest))
}

// boardCells clips and pads cells to their columns and styles each (r
// nil: a header, left as is).
func (p *comparatorPane) boardCells(cols []boardCol, cells []string, r *boardRow) string {
	st := p.st
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := st.cells.clip(cells[i], c.width)
		pad := strings.Repeat(" ", max(c.width-st.cells.width(v), 0))
		if c.right {
			v = pad + v
		} else {
			v += pad
		}
		switch {
		case r == nil:
		case c.style != nil:
			v = c.style(r).Render(v)
		default:
			v = st.value.Render(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// fmtLatency is a p50/p99 pair, each in its own unit: "40ms/1.2s".
func fmtLatency(p50, p99 time.Duration) string {
	one := func(d time.Duration) string {
		if d < time.Second {
			return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
		}
		return ftoa(d.Seconds(), 1) + "s"
	}
	return one(p50) + "/" + one(p99)
}

// boardLatency: some engine has latency samples.
func (p *comparatorPane) boardLatency() bool {
	for i := range p.board {
		if p.board[i].latency != "—" && p.board[i].latency != "" {
			return true
		}
	}
	return false
}
