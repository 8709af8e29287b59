package compare

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/streamtop/streamtop/engine"
)

// Downstream is what explaining a downstream's exceptions may assume of it
// (SPEC §4, causes): its mode and dedup, when known, and whether it reports
// a count. Its window and dedup-ttl are Options of the comparator: the
// evidence is gathered with them.
type Downstream struct {
	Mode engine.Mode
	// ModeKnown is false for a topic any engine may write: every mode's
	// explanation is tried, and an arrival mode is named in the cause.
	ModeKnown bool
	Dedup     bool
	Count     bool // the downstream reports count: it is matched with m1
}

// DefaultDownstream is a downstream whose mode is unknown, with dedup and
// a count: a results topic.
func DefaultDownstream() Downstream { return Downstream{Dedup: true, Count: true} }

// CauseKind is one of SPEC §4's causes.
type CauseKind uint8

const (
	LateDropped       CauseKind = iota + 1 // moved events of K sent after E, dropped
	DuplicatesCounted                      // copies counted at K
	WindowedByArrival                      // the downstream is K's send-window sum
	Missing                                // no downstream value, nothing else explains it
	Extra                                  // no truth, nothing else explains it
	Unexplained
)

var causeNames = [...]string{"", "late dropped", "duplicates counted", "windowed by arrival", "missing", "extra", "unexplained"}

func (k CauseKind) String() string {
	if int(k) < len(causeNames) {
		return causeNames[k]
	}
	return "cause(" + strconv.Itoa(int(k)) + ")"
}

// Explanation is the cause of one exception and what it names.
type Explanation struct {
	Kinds []CauseKind // at most two, in SPEC §4's order
	Late  []Candidate // the events named "late dropped" (the smallest match)
	Dups  []Candidate // the copies named "duplicates counted"
	// Windowed names the arrival modes whose send-window sum equals the
	// downstream (one, or processing time and micro-batch).
	Windowed []engine.Mode
	// Alternatives counts the other matching subsets of the same causes.
	Alternatives int
}

// String is the cause as reports show it, e.g. "late dropped (2)",
// "late dropped (1) + duplicates counted (1) (or 2 alternatives)" or
// "windowed by arrival (processing time)".
func (x Explanation) String() string {
	parts := make([]string, 0, 2)
	for _, k := range x.Kinds {
		s := k.String()
		switch k {
		case LateDropped:
			s += " (" + strconv.Itoa(len(x.Late)) + ")"
		case DuplicatesCounted:
			s += " (" + strconv.Itoa(len(x.Dups)) + ")"
		case WindowedByArrival:
			if len(x.Windowed) > 0 {
				names := make([]string, len(x.Windowed))
				for i, m := range x.Windowed {
					names[i] = modeLabel(m)
				}
				s += " (" + strings.Join(names, " or ") + ")"
			}
		}
		parts = append(parts, s)
	}
	s := strings.Join(parts, " + ")
	switch {
	case x.Alternatives == 1:
		s += " (or 1 alternative)"
	case x.Alternatives > 1:
		s += " (or " + strconv.Itoa(x.Alternatives) + " alternatives)"
	}
	return s
}

func modeLabel(m engine.Mode) string {
	switch m {
	case engine.ProcessingTime:
		return "processing time"
	case engine.MicroBatch:
		return "micro-batch"
	}
	return "event time"
}

// scenario is one mode's candidates: a send-window sum (arrival modes),
// moved events and copies.
type scenario struct {
	mode      engine.Mode
	windowed  *sum
	late, dup *candSet
}

// scenarios lists the modes to try, in order: the known one, or for an
// unknown mode event time first (most engines), then the arrival modes.
func scenarios(k *keyEvidence, d Downstream) []scenario {
	arrival := func(m engine.Mode) scenario {
		s := scenario{mode: m, windowed: &k.sendAll, late: &k.late, dup: &k.copiesAll}
		switch {
		case !d.Dedup:
		case m == engine.ProcessingTime:
			s.windowed, s.dup = &k.sendProc, &k.copiesProc
		default:
			s.windowed, s.dup = &k.sendBatch, &k.copiesBatch
		}
		return s
	}
	event := scenario{mode: engine.EventTime, late: &k.late, dup: &k.copiesDT}
	if d.ModeKnown {
		if d.Mode == engine.EventTime {
			return []scenario{event}
		}
		return []scenario{arrival(d.Mode)}
	}
	proc, batch := arrival(engine.ProcessingTime), arrival(engine.MicroBatch)
	proc.late, proc.dup, batch.late, batch.dup = nil, nil, nil, nil // tried once, in event time
	return []scenario{event, proc, batch}
}

// target is what a claim must match: Δ = truth − downstream, and the
// downstream itself, a side with no value counting as 0.
type target struct {
	dm1, dn       int64
	downM1, downN int64
	count         bool
}

func (t target) delta(m1, n int64) bool { return m1 == t.dm1 && (!t.count || n == t.dn) }
func (t target) down(s sum) bool        { return s.m1 == t.downM1 && (!t.count || s.n == t.downN) }

// explain finds the cause of row r from its key's evidence (nil: none
// kept). fed is false when no sends were ever given: only missing, extra
// and unexplained can then be said.
func explain(r Row, ev *keyEvidence, d Downstream, fed bool) Explanation {
	var t target
	t.count = d.Count
	if r.HasTruth {
		t.dm1, t.dn = r.Truth.M1, r.Truth.Count
	}
	if r.HasDown {
		t.downM1, t.downN = r.Down.M1, r.Down.Count
		t.dm1, t.dn = t.dm1-r.Down.M1, t.dn-r.Down.Count
	}
	if fed {
		if ev == nil {
			ev = &keyEvidence{}
		}
		ss := scenarios(ev, d)
		if x, ok := explainWhole(t, ss, d.ModeKnown); ok {
			return x
		}
		if x, ok := explainSubsets(t, ss[0]); ok {
			return x
		}
	}
	switch {
	case !r.HasDown:
		return Explanation{Kinds: []CauseKind{Missing}}
	case !r.HasTruth:
		return Explanation{Kinds: []CauseKind{Extra}}
	}
	return Explanation{Kinds: []CauseKind{Unexplained}}
}

// explainWhole tries whole candidate sets: in each scenario the send-window
// sum, then all moved events, all copies, and both together.
func explainWhole(t target, ss []scenario, modeKnown bool) (Explanation, bool) {
	var windowed []engine.Mode
	for _, s := range ss {
		if s.windowed != nil && t.down(*s.windowed) {
			if modeKnown {
				return Explanation{Kinds: []CauseKind{WindowedByArrival}}, true
			}
			windowed = append(windowed, s.mode)
		}
		if s.late == nil {
			continue
		}
		l, c := s.late, s.dup
		switch {
		case l.n > 0 && t.delta(l.m1, int64(l.n)):
			return Explanation{Kinds: []CauseKind{LateDropped}, Late: wholeItems(l)}, true
		case c.n > 0 && t.delta(-c.m1, -int64(c.n)):
			return Explanation{Kinds: []CauseKind{DuplicatesCounted}, Dups: wholeItems(c)}, true
		case l.n > 0 && c.n > 0 && t.delta(l.m1-c.m1, int64(l.n-c.n)):
			return Explanation{Kinds: []CauseKind{LateDropped, DuplicatesCounted},
				Late: wholeItems(l), Dups: wholeItems(c)}, true
		}
	}
	if len(windowed) > 0 {
		return Explanation{Kinds: []CauseKind{WindowedByArrival}, Windowed: windowed}, true
	}
	return Explanation{}, false
}

// wholeItems is a whole set's members, or as many zero candidates as it
// has when it is too large to keep them (only its size is then named).
func wholeItems(s *candSet) []Candidate {
	if s.items != nil || s.n == 0 {
		return s.items
	}
	return make([]Candidate, s.n)
}

// subsetMatch is the best subset found for one cause (or pair of causes).
type subsetMatch struct {
	matches int
	size    int
	mask    uint32
}

// explainSubsets tries every subset of s's moved events and copies, when
// there are at most MaxSubsetCandidates of them: late alone, copies alone,
// then both; the smallest matching subset is named, the others counted.
func explainSubsets(t target, s scenario) (Explanation, bool) {
	if s.late == nil {
		return Explanation{}, false
	}
	nl, nc := s.late.n, s.dup.n
	if nl+nc == 0 || nl+nc > MaxSubsetCandidates {
		return Explanation{}, false
	}
	items := append(append(make([]Candidate, 0, nl+nc), s.late.items...), s.dup.items...)
	lateMask := uint32(1)<<nl - 1
	var best [3]subsetMatch // late, copies, both
	var m1, cnt int64       // Δ the subset explains: late − copies
	var mask uint32
	// Gray code order: one candidate in or out per step, O(1) each.
	for i := uint32(1); i < 1<<(nl+nc); i++ {
		b := bits.TrailingZeros32(i)
		sign := int64(1)
		if b >= nl {
			sign = -1
		}
		if mask&(1<<b) == 0 {
			m1, cnt = m1+sign*items[b].M1, cnt+sign
		} else {
			m1, cnt = m1-sign*items[b].M1, cnt-sign
		}
		mask ^= 1 << b
		if !t.delta(m1, cnt) {
			continue
		}
		class := 2
		switch {
		case mask&^lateMask == 0:
			class = 0
		case mask&lateMask == 0:
			class = 1
		}
		size := bits.OnesCount32(mask)
		bm := &best[class]
		if bm.matches == 0 || size < bm.size {
			bm.size, bm.mask = size, mask
		}
		bm.matches++
	}
	for class, bm := range best {
		if bm.matches == 0 {
			continue
		}
		x := Explanation{Alternatives: bm.matches - 1}
		for i, c := range items {
			switch {
			case bm.mask&(1<<i) == 0:
			case i < nl:
				x.Late = append(x.Late, c)
			default:
				x.Dups = append(x.Dups, c)
			}
		}
		x.Kinds = [][]CauseKind{{LateDropped}, {DuplicatesCounted}, {LateDropped, DuplicatesCounted}}[class]
		return x, true
	}
	return Explanation{}, false
}
