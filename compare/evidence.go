package compare

import (
	"time"

	"github.com/streamtop/streamtop/engine"
)

// Evidence for SPEC §4's causes: what the injector sent, reduced per key to
// the few events a cause may name and the sums an arrival-time engine would
// have made. Nothing here looks at an engine's internals.

// MaxSubsetCandidates is how many candidates a key may have for subsets of
// them to be tried (SPEC §4): 2^16 sums at most. Past it only whole sets
// are tried, and a key keeps only its sets' sums.
const MaxSubsetCandidates = 16

// Candidate is one sent event a cause may name.
type Candidate struct {
	ID   string
	M1   int64
	Time int64 // device time, ms
	Send int64 // send time, ms
}

// candSet is a set of candidates: its whole sums always, its members while
// there are at most MaxSubsetCandidates of them.
type candSet struct {
	n     int
	m1    int64
	items []Candidate // nil once n > MaxSubsetCandidates
}

func (s *candSet) add(c Candidate) {
	s.n++
	s.m1 += c.M1
	if s.n > MaxSubsetCandidates {
		s.items = nil
		return
	}
	s.items = append(s.items, c)
}

// sum is an m1 sum and an event count.
type sum struct {
	m1, n int64
}

func (s *sum) add(m1 int64) { s.m1, s.n = s.m1+m1, s.n+1 }

// keyEvidence is what one key K = (device, category, window end E) keeps.
type keyEvidence struct {
	late     candSet // originals with device time in E, sent after E
	copiesDT candSet // copies with device time in E (event time)
	// Copies sent in E that each arrival mode's dedup scope lets through:
	// processing time (dedup-ttl), micro-batch (distinct ids per batch),
	// dedup off (all).
	copiesProc, copiesBatch, copiesAll candSet
	// The send-window sums of K under the same three scopes.
	sendProc, sendBatch, sendAll sum
	version                      uint64 // bumped on every change
}

// idState is what is remembered of one id while copies of it may come.
type idState struct {
	accepted  int64 // last send a processing-time dedup accepted, ms
	lastBatch int64 // window end (by send time) of the last send
}

// idAge is an id's hash and its first send, in first-send order.
type idAge struct {
	h     uint64
	first int64
}

// MaxIDs bounds the ids remembered to tell copies from originals; past it
// the oldest go first.
const MaxIDs = 1 << 20

// IDRetention is how long after its first send an id is remembered: past
// the injector's duplicate window at its default rate (10 000 events at
// 20/s: about 8 minutes) and the default dedup-ttl. A copy of a forgotten
// id is taken for an original: a cause may then be missed, never a score.
const IDRetention = 30 * time.Minute

// idMemory tells the first send of an id from its copies, in bounded memory.
// Ids are held by a 64-bit hash: no pointer for the collector to scan, and
// a collision (about 1 in 10^7 runs at a million ids) costs one cause.
// The hash is FNV-1a, not a seeded one, so the package stays deterministic.
type idMemory struct {
	ids   map[uint64]idState
	order []idAge // ids in first-send order; order[head:] are live
	head  int
	peak  int // the most ids since ids was last rebuilt
}

// idHash is 64-bit FNV-1a of id.
func idHash(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	return h
}

func (m *idMemory) forget(latest, retention int64) {
	for m.head < len(m.order) {
		a := m.order[m.head]
		if len(m.ids) <= MaxIDs && latest-a.first <= retention {
			break
		}
		delete(m.ids, a.h)
		m.head++
	}
	if m.head > minShrink && m.head > len(m.order)/2 {
		m.order = append(make([]idAge, 0, 2*(len(m.order)-m.head)), m.order[m.head:]...)
		m.head = 0
	}
	m.ids = shrink(m.ids, &m.peak)
}

// Sent records one event as the injector sent it, in send order (per
// device at least: copies after their original). Sends must be fed before
// the exceptions they explain are reported; a comparator that was never
// fed any gives every exception "missing", "extra" or "unexplained".
func (c *Comparator) Sent(ev engine.Event, send int64) {
	win := c.opts.Window.Milliseconds()
	if c.idm.ids == nil {
		c.idm.ids = make(map[uint64]idState)
	}
	c.fed = true
	if c.firstSend == engine.None {
		c.firstSent(send)
	}
	c.latestSend = max(c.latestSend, send)
	devEnd, sendEnd := engine.WindowEnd(ev.Time, win), engine.WindowEnd(send, win)
	cand := Candidate{ID: ev.ID, M1: ev.M1, Time: ev.Time, Send: send}
	h := idHash(ev.ID)
	st, isCopy := c.idm.ids[h]
	if !isCopy {
		c.idm.ids[h] = idState{accepted: send, lastBatch: sendEnd}
		c.idm.order = append(c.idm.order, idAge{h: h, first: send})
		c.idm.peak = max(c.idm.peak, len(c.idm.ids))
		if sendEnd > devEnd { // moved: sent after its window
			if k := c.touch(ev, devEnd); k != nil {
				k.late.add(cand)
			}
		}
		if k := c.touch(ev, sendEnd); k != nil {
			k.sendProc.add(ev.M1)
			k.sendBatch.add(ev.M1)
			k.sendAll.add(ev.M1)
		}
	} else {
		ttl := c.opts.DedupTTL.Milliseconds()
		proc := send-st.accepted >= ttl // the engine forgets ids at or below now − ttl
		batch := st.lastBatch != sendEnd
		if proc {
			st.accepted = send
		}
		st.lastBatch = sendEnd
		c.idm.ids[h] = st
		if k := c.touch(ev, devEnd); k != nil {
			k.copiesDT.add(cand)
		}
		if k := c.touch(ev, sendEnd); k != nil {
			k.copiesAll.add(cand)
			k.sendAll.add(ev.M1)
			if proc {
				k.copiesProc.add(cand)
				k.sendProc.add(ev.M1)
			}
			if batch {
				k.copiesBatch.add(cand)
				k.sendBatch.add(ev.M1)
			}
		}
	}
	c.idm.forget(c.latestSend, (IDRetention + c.opts.DedupTTL).Milliseconds())
}

// evPair is a key within one window end.
type evPair struct{ device, category string }

// touch returns the evidence of (ev's device and category, end), made if
// need be, and marks it changed; nil at a refused window end, or past
// MaxUnsettled evidence keys (a hostile stream then loses causes, never
// scores).
func (c *Comparator) touch(ev engine.Event, end int64) *keyEvidence {
	p := evPair{ev.Device, ev.Category}
	byPair := c.ev[end]
	k := byPair[p]
	if k == nil {
		if c.refused(end) || c.evKeys >= c.opts.MaxUnsettled {
			return nil
		}
		if byPair == nil {
			if c.ev == nil {
				c.ev = make(map[int64]map[evPair]*keyEvidence)
			}
			byPair = make(map[evPair]*keyEvidence)
			c.ev[end] = byPair
		}
		k = &keyEvidence{}
		byPair[p] = k
		c.evKeys++
	}
	k.version++ // the key's cause is computed again
	return k
}

// evidence returns key k's evidence, nil if none.
func (c *Comparator) evidence(k engine.Key) *keyEvidence {
	return c.ev[k.WindowEnd][evPair{k.Device, k.Category}]
}

// dropEvidence forgets the evidence of window end end (refused by the
// MaxUnsettled bound).
func (c *Comparator) dropEvidence(end int64) {
	c.evKeys -= len(c.ev[end])
	delete(c.ev, end)
}

// evictEvidence forgets the evidence of window ends at or before cut whose
// keys are no longer held (Evict dropped their rows, or they never had one).
func (c *Comparator) evictEvidence(cut int64) {
	for end, byPair := range c.ev {
		if end > cut {
			continue
		}
		for p := range byPair {
			if _, held := c.rows[engine.Key{Device: p.device, Category: p.category, WindowEnd: end}]; !held {
				delete(byPair, p)
				c.evKeys--
			}
		}
		if len(byPair) == 0 {
			delete(c.ev, end)
		}
	}
}
