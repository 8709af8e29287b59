package tui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/streamtop/streamtop/feed/bus"
)

// logRow is one log entry, sanitized once.
type logRow struct {
	at                time.Time
	level, role, text string
	lvl               bus.Level
}

// logPane shows the last log entries, newest at the bottom. It is only
// laid out when the terminal is tall enough.
type logPane struct {
	paneBase
	rows   []logRow
	lost   int64
	loc    *time.Location // the zone wall-clock times are shown in
	back   int            // lines scrolled back from the newest (focused: ↑ ↓ j k g G)
	last   int            // len(Logs) at the last update, to skip re-sanitizing
	nlines int            // lines the entries took at the last draw, wrapped
	kept   int            // entries the filter kept at the last draw
	lf     listFilter
	seq    uint64
}

func newLogPane(st *styles, loc *time.Location) *logPane {
	return &logPane{paneBase: paneBase{st: st, dirty: true}, loc: loc}
}

// zoneName names the zone the log's times are in: its abbreviation at the
// newest entry (or now), "UTC" for UTC.
func zoneName(loc *time.Location, rows []logRow) string {
	at := time.Now()
	if len(rows) > 0 {
		at = rows[len(rows)-1].at
	}
	name, _ := at.In(loc).Zone()
	if loc == time.UTC || name == "" {
		return "times UTC"
	}
	return "local times (" + name + ")"
}

// SetSnapshot keeps the tail of the snapshot's log.
func (p *logPane) SetSnapshot(s bus.Snapshot) {
	if s.Seq == p.seq && len(s.Logs) == p.last && s.LogsLost == p.lost {
		return
	}
	p.seq, p.last, p.lost, p.dirty = s.Seq, len(s.Logs), s.LogsLost, true
	logs := s.Logs
	const keep = 64
	if len(logs) > keep {
		logs = logs[len(logs)-keep:]
	}
	p.rows = p.rows[:0]
	for _, e := range logs {
		p.rows = append(p.rows, logRow{at: e.Time, level: e.Level.String(), role: sanitize(e.Role),
			text: sanitize(e.Text), lvl: e.Level})
	}
}

// View renders the pane at its size.
func (p *logPane) View() string { return joinLines(p.lines()) }

func (p *logPane) lines() []string {
	if p.dirty || len(p.cache) != p.h {
		title := "Log · " + zoneName(p.loc, p.rows)
		// The screen draws the newest status of each role and merges the
		// ones before it (Snapshot.Coalesced): that is by design, not a
		// loss, so the title does not count them.
		if p.lost > 0 {
			title += " · " + strconv.FormatInt(p.lost, 10) + " older entries not kept"
		}
		if p.back > 0 {
			title += " · " + strconv.Itoa(p.back) + " lines back (G: newest)"
		}
		body := p.body()
		_, ch := contentSize(p.w, p.h)
		p.cache = box(p.st, title+p.lf.title(p.kept, len(p.rows)), p.lf.withInput(body, ch), p.w, p.h, p.focused)
		p.dirty = false
	}
	return p.cache
}

// body is the newest entries that fit, each wrapped onto as many lines as
// its text needs (a path or a command is never cut), back lines from the end.
func (p *logPane) body() []string {
	st := p.st
	cw, ch := contentSize(p.w, p.h)
	if len(p.rows) == 0 {
		return []string{st.faint.Render("no log entries")}
	}
	var all []string
	p.kept = 0
	for _, r := range p.rows {
		if !p.lf.keeps(r.level + " " + r.role + " " + r.text) {
			continue
		}
		p.kept++
		lvl := st.faint.Render(r.level)
		switch r.lvl {
		case bus.Warn:
			lvl = st.warn.Render(r.level)
		case bus.Error:
			lvl = st.bad.Render(r.level)
		}
		head := st.faint.Render(fmtWallTime(r.at, p.year, p.loc)) + " " + lvl + " " + st.label.Render(r.role) + " "
		indent := st.cells.width(head)
		if indent > cw/2 { // a long role: the text under the head, indented a little
			all, indent = append(all, head), 2
		}
		text := wrapStyled(st.value, r.text, cw-indent)
		if indent == 2 {
			text[0] = "  " + text[0]
		} else {
			text[0] = head + text[0]
		}
		all = append(all, text[0])
		for _, l := range text[1:] {
			all = append(all, strings.Repeat(" ", indent)+l)
		}
	}
	p.nlines = len(all)
	if len(all) == 0 {
		return []string{st.faint.Render("no entry matches")}
	}
	p.back = max(min(p.back, len(all)-ch), 0)
	end := len(all) - p.back
	return all[max(end-ch, 0):end]
}

// HandleKey scrolls the log back and forth while it has the focus (back
// counts lines from the newest: up is one more).
func (p *logPane) HandleKey(msg tea.KeyPressMsg, km *KeyMap) bool {
	_, ch := contentSize(p.w, p.h)
	mv := moveOf(msg, km, ch-1)
	if !mv.ok {
		return false
	}
	mv.step, mv.first, mv.last = -mv.step, mv.last, mv.first // back grows upwards
	p.back = max(min(mv.apply(p.back, p.nlines+1), p.nlines-ch), 0)
	p.dirty = true
	return true
}
