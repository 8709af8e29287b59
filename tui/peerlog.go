package tui

import (
	"strconv"
	"strings"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
)

// maxPeerLog is how many lines of a peer's log tail the pane keeps.
const maxPeerLog = 500

// peerLog is the followed peer's log tail and what it is, sanitized once
// per status; the comparator pane shows it in place of its table.
type peerLog struct {
	status *bus.PeerStatus
	name   string
	head   []string // what the peer is, runs with, cannot do, how it ended
	lines  []string
	back   int // lines scrolled back from the newest
	page   int // lines shown at the last render
}

// set formats ps (nil: no status) for the peer named name.
func (l *peerLog) set(ps *bus.PeerStatus, name string) {
	if ps == l.status && name == l.name {
		return
	}
	if name != l.name {
		l.back = 0
	}
	l.status, l.name = ps, name
	l.head, l.lines = l.head[:0], l.lines[:0]
	if ps == nil {
		return
	}
	what := []string{sanitize(ps.State.String())}
	if e := sanitize(ps.Engine); e != "" {
		what = append(what, e)
	}
	if o := sanitize(ps.Output); o != "" {
		what = append(what, "topic "+o)
	}
	if ps.PID > 0 {
		what = append(what, "pid "+strconv.Itoa(ps.PID))
	}
	l.head = append(l.head, strings.Join(what, " · "))
	if s := sanitize(ps.Settings); s != "" {
		l.head = append(l.head, "runs with "+s)
	}
	if len(ps.Cannot) > 0 {
		l.head = append(l.head, "cannot: "+sanitize(strings.Join(ps.Cannot, "; ")))
	}
	if e := sanitize(ps.Exit); e != "" {
		l.head = append(l.head, "exit: "+e)
	}
	log := ps.Log
	if len(log) > maxPeerLog {
		log = log[len(log)-maxPeerLog:]
	}
	for _, line := range log {
		l.lines = append(l.lines, sanitize(line))
	}
}

// scroll moves through the log on up/down/pgup/pgdown.
func (l *peerLog) scroll(msg tea.KeyPressMsg, km *KeyMap) bool {
	mv := moveOf(msg, km, l.page-1)
	if !mv.ok {
		return false
	}
	mv.step, mv.first, mv.last = -mv.step, mv.last, mv.first // back grows upwards
	l.back = max(min(mv.apply(l.back, len(l.lines)+1), len(l.lines)-l.page), 0)
	return true
}

// window returns the [from, to) range of lines to show in n lines: the
// newest unless scrolled back.
func (l *peerLog) window(n int) (int, int) {
	l.page = max(n, 0)
	l.back = max(min(l.back, len(l.lines)-l.page), 0)
	to := len(l.lines) - l.back
	return max(to-l.page, 0), to
}

// ToggleLog shows the followed peer's log in place of the table, or the
// table again. Following our engine, it follows the first failed peer, else
// the first peer. It does nothing without peers.
func (p *comparatorPane) ToggleLog() bool {
	if !p.hasPeers() {
		return false
	}
	p.dirty = true
	if p.showLog {
		p.showLog = false
		return true
	}
	if p.cur == &p.ours {
		next := p.engines[1]
		for _, v := range p.engines[1:] {
			if ps := p.peers[v.key]; ps != nil && ps.State == bus.PeerFailed {
				next = v
				break
			}
		}
		p.selectEngine(next.key)
		p.scroll.offset = 0
		p.crossRef()
		p.applyFilter()
	}
	p.showLog = true
	p.log.set(p.peers[p.sel], p.sel)
	return true
}

// CloseLog shows the table again; it reports whether the log was shown.
func (p *comparatorPane) CloseLog() bool {
	if !p.showLog {
		return false
	}
	p.showLog, p.dirty = false, true
	return true
}

// logBody is the pane's body in the log view.
func (p *comparatorPane) logBody() []string {
	st := p.st
	cw, ch := contentSize(p.w, p.h)
	var lines []string
	for _, h := range p.log.head {
		lines = append(lines, st.label.Render(st.cells.clip(h, cw)))
	}
	if p.log.status == nil {
		lines = append(lines, st.faint.Render(st.cells.clip("no status from "+p.cur.name+" yet", cw)))
	}
	lines = lines[:min(len(lines), max(ch-2, 0))]
	from, to := p.log.window(ch - len(lines) - 1)
	for _, l := range p.log.lines[from:to] {
		lines = append(lines, st.value.Render(st.cells.clip(l, cw)))
	}
	if len(p.log.lines) == 0 && len(lines) < ch-1 {
		lines = append(lines, st.faint.Render("no log lines"))
	}
	for len(lines) < ch-1 {
		lines = append(lines, "")
	}
	status := "log of " + p.cur.name + " · " + strconv.Itoa(len(p.log.lines)) + " lines"
	if from > 0 || to < len(p.log.lines) {
		status += " · " + strconv.Itoa(from+1) + "–" + strconv.Itoa(to) + "/" + strconv.Itoa(len(p.log.lines))
	}
	status += " · L or esc: exceptions · e: next peer"
	return append(lines, st.faint.Render(st.cells.clip(status, cw)))
}
