package tui

import (
	"slices"
	"strings"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/engine"
)

// The comparator pane judges several engines when peers run (SPEC §9): our
// engine's verdict (Snapshot.Compare) and each peer's (PeerCompares). The
// exception table follows one engine at a time; every other engine with a
// verdict gets a column showing its m1 at the same key where its own
// verdict lists the key as an exception, "=" elsewhere.

// ourName is what our engine is called when there is nothing better.
const ourName = "streamtop"

// engineVerdict is one engine's verdict, formatted once per status.
type engineVerdict struct {
	key        string // the peer's name in the snapshot's maps; "" for ours
	name       string // sanitized, for the screen
	lname      string // lower case, for the filter
	cs         *bus.CompareStatus
	downstream string
	rows       []cmpRow
	open       int   // live exceptions not listed: no side has finished their window
	counts     []int // the listed exceptions' causes per kind
	causes     string
	m1         map[engine.Key]string // m1 down at each listed key ("—": none); nil until asked
	settle     settling              // whether its settled score is the verdict yet
}

// set formats cs unless it is the status already formatted; it reports
// whether anything changed.
func (v *engineVerdict) set(cs *bus.CompareStatus) bool {
	if cs == v.cs {
		return false
	}
	v.cs, v.m1 = cs, nil
	v.rows, v.open = v.rows[:0], 0
	if cs == nil {
		v.downstream, v.causes, v.counts = "", "", nil
		return true
	}
	v.downstream = sanitize(cs.Downstream)
	for _, r := range cs.Report.Exceptions {
		if !r.Settled && !r.TruthFinal && !r.DownFinal {
			// The window is still open on both sides (the engine has not
			// emitted yet): counted in the provisional score, not listed.
			v.open++
			continue
		}
		v.rows = append(v.rows, newCmpRow(r))
	}
	v.counts = countCauses(v.rows)
	v.causes = formatCauses(v.counts, false)
	return true
}

func (v *engineVerdict) setName(name string) {
	v.name = sanitize(name)
	v.lname = strings.ToLower(v.name)
}

// index returns m1 down ("—": none) at each key the verdict lists as an
// exception, those in windows still open everywhere included: "=" in
// another engine's table then means the key is no exception here at all.
func (v *engineVerdict) index() map[engine.Key]string {
	if v.m1 == nil && v.cs != nil {
		ex := v.cs.Report.Exceptions
		v.m1 = make(map[engine.Key]string, len(ex))
		for _, r := range ex {
			v.m1[r.Key] = "—"
			if r.HasDown {
				v.m1[r.Key] = itoa(r.Down.M1)
			}
		}
	}
	return v.m1
}

// hasPeers reports whether the pane judges more than our engine.
func (p *comparatorPane) hasPeers() bool { return len(p.engines) > 1 }

// syncEngines brings the list of engines in line with the snapshot: ours
// first, then every peer with a status or a verdict, by name. It reports
// whether any verdict or the list changed.
func (p *comparatorPane) syncEngines(s *bus.Snapshot) bool {
	changed := p.ours.set(s.Compare)
	if len(s.Peers) == 0 && len(s.PeerCompares) == 0 && len(p.engines) == 1 {
		return changed // no peers, as before: nothing to allocate per frame
	}
	var names []string
	for n := range s.Peers {
		names = append(names, n)
	}
	for n := range s.PeerCompares {
		if _, ok := s.Peers[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	list := make([]*engineVerdict, 0, len(names)+1)
	list = append(list, &p.ours)
	kept := make(map[string]*engineVerdict, len(names))
	for _, n := range names {
		v := p.peerVerdicts[n]
		if v == nil {
			v = &engineVerdict{key: n}
			v.setName(n)
		}
		if v.set(s.PeerCompares[n]) {
			changed = true
		}
		kept[n] = v
		list = append(list, v)
	}
	if !slices.Equal(list, p.engines) {
		changed = true
	}
	p.engines, p.peerVerdicts = list, kept
	return changed
}

// peersChanged reports whether the peers' statuses differ from the last
// ones seen (the map is replaced, never changed, on every publication).
func (p *comparatorPane) peersChanged(peers map[string]*bus.PeerStatus) bool {
	if len(peers) != len(p.peers) {
		return true
	}
	for n, st := range peers {
		if p.peers[n] != st {
			return true
		}
	}
	return false
}

// selectEngine makes the engine named key (its map key; "" ours) the one
// the table follows, or ours when there is no such engine.
func (p *comparatorPane) selectEngine(key string) {
	p.cur = &p.ours
	for _, v := range p.engines {
		if v.key == key {
			p.cur = v
		}
	}
	p.sel = p.cur.key
}

// NextEngine makes the table follow the next engine (ours, then each peer
// by name, then ours again); in the log view, the next peer.
func (p *comparatorPane) NextEngine() {
	if !p.hasPeers() {
		return
	}
	i := slices.Index(p.engines, p.cur)
	next := p.engines[(i+1)%len(p.engines)]
	if p.showLog && next == &p.ours {
		next = p.engines[1]
	}
	if next == p.cur {
		return
	}
	p.selectEngine(next.key)
	p.scroll.offset, p.dirty = 0, true
	p.crossRef()
	p.applyFilter()
	p.log.set(p.peers[p.sel], p.sel)
}

// crossRef fills, for each row of the followed engine, every other
// engine's m1 at its key (for those with a verdict), and the names of the
// engines listing the key, which the filter matches.
func (p *comparatorPane) crossRef() {
	p.others = p.others[:0]
	var idx []map[engine.Key]string
	var lnames []string
	if p.hasPeers() {
		for _, v := range p.engines {
			if v != p.cur && v.cs != nil {
				p.others = append(p.others, v.name)
				idx = append(idx, v.index())
				lnames = append(lnames, v.lname)
			}
		}
	}
	for i := range p.cur.rows {
		r := &p.cur.rows[i]
		r.others, r.engines = r.others[:0], ""
		if !p.hasPeers() {
			continue
		}
		names := p.cur.lname
		for j, m := range idx {
			if m1, ok := m[r.key]; ok {
				r.others = append(r.others, m1)
				names += " " + lnames[j]
			} else {
				r.others = append(r.others, "=")
			}
		}
		r.engines = names
	}
}

// engineColMax is how wide an engine's m1 column may be in cw cells.
func engineColMax(cw int) int {
	if cw < 60 {
		return 5
	}
	return 10
}

// engineColumns are the other engines' m1 columns, each as wide as its
// name and values need, within bounds.
func (p *comparatorPane) engineColumns(cw int, visible []int) []column {
	most := engineColMax(cw)
	cols := make([]column, len(p.others))
	for j, name := range p.others {
		w := p.st.cells.width(name)
		for _, i := range visible {
			if r := &p.cur.rows[i]; j < len(r.others) {
				w = max(w, p.st.cells.width(r.others[j]))
			}
		}
		cols[j] = column{sort: numSortKeys, title: name, width: min(max(w, 4), most), right: true, cell: func(r *cmpRow) string {
			if j < len(r.others) {
				return r.others[j]
			}
			return ""
		}}
	}
	return cols
}

// details is the followed engine's line under the scoreboard: its score
// against the send-time truth, results and malformed records read.
func (p *comparatorPane) details() string {
	st, s := p.st, p.cur.cs
	items := []string{kv(st, "send time", s.SendTime.String()),
		kv(st, "results", itoa(s.Results)),
		kv(st, "malformed", itoa(s.Malformed)),
	}
	final := s.Report.Final || s.Final
	if final {
		items = append(items, st.warn.Render("FINAL"))
	}
	if s.Report.BeforeRun.Keys > 0 && p.cur.settle.ready {
		items = append(items, beforeRun(st, &s.Report, final))
	}
	return st.value.Render(p.cur.name+": ") + strings.Join(items, st.sepText)
}

// ourEngineName is our engine's name: its configured one, else streamtop.
func ourEngineName(e *bus.EngineStatus) string {
	if e != nil && strings.TrimSpace(e.Config.Name) != "" {
		return e.Config.Name
	}
	return ourName
}
