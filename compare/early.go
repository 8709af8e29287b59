package compare

import "github.com/streamtop/streamtop/engine"

// The windows before the run. A key whose window ended by the first event
// sent is reached by late events only (SPEC §4's "late dropped"): an
// engine at lateness 0 misses every one, and they are the first keys to
// settle. Mixed into one score with the run's own windows they would read,
// for the run's first minutes, as if the engine were wrong on most keys, so
// their counts are also kept apart (Report.BeforeRun).

// tally counts a set of keys: every key seen, those settled, and those the
// downstream reported incomplete.
type tally struct {
	prov, settled Score
	incompl       int
}

// count adds key e's state to t (sign 1) or takes it away (sign -1).
func (t *tally) count(e *entry, sign int) {
	t.prov.Keys += sign
	if e.exc {
		t.prov.Exceptions += sign
	}
	if e.Settled {
		t.settled.Keys += sign
		if e.exc {
			t.settled.Exceptions += sign
		}
	}
	if e.Incomplete {
		t.incompl += sign
	}
}

// early reports whether e's window ended by the first send.
func (c *Comparator) early(e *entry) bool {
	return c.firstSend != engine.None && e.WindowEnd <= c.firstSend
}

// uncount takes e out of the before-run tally before e changes; recount
// puts it back after.
func (c *Comparator) uncount(e *entry) {
	if c.early(e) {
		c.before.count(e, -1)
	}
}

func (c *Comparator) recount(e *entry) {
	if c.early(e) {
		c.before.count(e, 1)
	}
}

// firstSent records the first send fed, once: the keys already held whose
// window ended by it are counted as before the run from now on.
func (c *Comparator) firstSent(send int64) {
	c.firstSend = send
	for _, e := range c.rows {
		c.recount(e)
	}
}

// RunWindows is the settled score of the run's own windows: Settled less
// BeforeRun.
func (r Report) RunWindows() Score {
	return Score{Exceptions: r.Settled.Exceptions - r.BeforeRun.Exceptions, Keys: r.Settled.Keys - r.BeforeRun.Keys}
}
