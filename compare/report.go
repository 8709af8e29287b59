package compare

import (
	"slices"

	"github.com/streamtop/streamtop/engine"
)

// Report returns the verdict. With final set, the input has ended: every
// key is judged, and keys the downstream reported incomplete are pending.
func (c *Comparator) Report(final bool) Report { return c.ReportLimit(final, 0) }

// ReportLimit is Report listing at most limit exception rows (0: all): the
// latest windows, for a screen that cannot show thousands anyway. The
// scores always count every row. It costs O(listed rows + log rows): the
// scores are kept as rows change and the rows in key order.
func (c *Comparator) ReportLimit(final bool, limit int) Report {
	r := Report{Settled: c.settled, Provisional: c.prov, Final: final, BeforeRun: c.before.settled,
		Pending: c.prov.Keys - c.settled.Keys, Unlisted: c.unlisted, Unjudged: c.unjudged}
	n := c.exc.n
	if limit > 0 {
		n = min(n, limit)
	}
	r.Exceptions = make([]Row, 0, n)
	list := func(e *entry) bool {
		row := e.Row
		if final {
			row.Settled = true
		}
		row.TruthFinal = final || row.WindowEnd <= c.truthH
		row.DownFinal = final || row.WindowEnd <= c.downH
		row.Cause, row.Late, row.Dups = c.cause(e)
		r.Exceptions = append(r.Exceptions, row)
		return len(r.Exceptions) < n
	}
	if n == c.exc.n {
		c.exc.ascend(list)
	} else if n > 0 {
		c.exc.descend(list) // the latest windows
		slices.Reverse(r.Exceptions)
	}
	if final {
		s := Score{Exceptions: c.prov.Exceptions, Keys: c.prov.Keys - c.incompl}
		r.Settled, r.Provisional, r.Pending = s, s, c.incompl
		r.BeforeRun = Score{Exceptions: c.before.prov.Exceptions, Keys: c.before.prov.Keys - c.before.incompl}
		c.pend.ascend(func(e *entry) bool {
			r.PendingRows = append(r.PendingRows, e.Row)
			return true
		})
	}
	return r
}

// Rows returns every joined row, sorted (for a full listing or a test).
func (c *Comparator) Rows() []Row {
	out := make([]Row, 0, len(c.rows))
	for _, e := range c.rows {
		out = append(out, e.Row)
	}
	slices.SortFunc(out, func(a, b Row) int { return a.Key.Compare(b.Key) })
	return out
}

// cause returns e's cause and the events it names, computed again only
// when its row, its evidence or the downstream's settings changed.
func (c *Comparator) cause(e *entry) (string, []Candidate, []Candidate) {
	ev := c.evidence(e.Key)
	var version uint64
	if ev != nil {
		version = ev.version
	}
	if e.causeGen != c.gen || e.causeEv != version {
		x := explain(e.Row, ev, c.down, c.fed)
		e.cause, e.late, e.dups = x.String(), kept(x.Late), kept(x.Dups)
		e.causeGen, e.causeEv = c.gen, version
	}
	return e.cause, e.late, e.dups
}

// kept is the events a cause names when they were kept one by one; nil
// for a set too large to keep (wholeItems: only its size is known, and
// the cause's text says it).
func kept(cs []Candidate) []Candidate {
	if len(cs) == 0 || cs[0].ID == "" {
		return nil
	}
	return slices.Clip(cs)
}

// Explain returns the cause of key k's row as it stands (SPEC §4), with
// the events it names; the zero Explanation when k is not held.
func (c *Comparator) Explain(k engine.Key) Explanation {
	e, ok := c.rows[k]
	if !ok {
		return Explanation{}
	}
	return explain(e.Row, c.evidence(k), c.down, c.fed)
}

// SetDownstream tells what is known of the downstream's mode, dedup and
// count (a live engine's mode may change): causes are computed again.
func (c *Comparator) SetDownstream(d Downstream) {
	if d != c.down {
		c.down = d
		c.gen++
	}
}
