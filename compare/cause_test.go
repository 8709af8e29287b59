package compare_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// E is the window [t0, t0+5s) of the cause tests, labelled by its end.
const E = t0 + 5000

// send is one event as sent.
type send struct {
	id   string
	dt   int64 // device time
	at   int64 // send time
	m1   int64
	cat  string
	copy bool // documents the case: a copy repeats an earlier id
}

func orig(id string, dt, at, m1 int64) send {
	return send{id: id, dt: dt, at: at, m1: m1, cat: "cat-1"}
}
func dupOf(s send, at int64) send { s.at, s.copy = at, true; return s }

// causeCase feeds sends, derives the device-time truth from them (first
// sends only), sets the downstream at K and returns K's cause.
func causeOf(t *testing.T, d compare.Downstream, sends []send, downM1, downN int64, hasDown bool) string {
	t.Helper()
	c := newCmp(t, compare.DefaultOptions())
	c.SetDownstream(d)
	truth := map[engine.Key]engine.Agg{}
	seen := map[string]bool{}
	for _, s := range sends {
		ev := engine.Event{ID: s.id, Device: "d", Time: s.dt, Category: s.cat, M1: s.m1}
		c.Sent(ev, s.at)
		if seen[s.id] != s.copy {
			t.Fatalf("send %+v: copy flag does not match the ids sent before", s)
		}
		if !seen[s.id] {
			seen[s.id] = true
			k := key(engine.WindowEnd(s.dt, 5000), "d", s.cat)
			a := truth[k]
			a.Add(s.m1, 0)
			truth[k] = a
		}
	}
	for k, a := range truth {
		c.SetTruth(k, a)
	}
	K := key(E, "d", "cat-1")
	if hasDown {
		c.Observe(down(K, downM1, 0, downN))
	}
	for _, row := range c.Report(true).Exceptions {
		if row.Key == K {
			return row.Cause
		}
	}
	t.Fatalf("K is not an exception")
	return ""
}

var (
	eventTime  = compare.Downstream{Mode: engine.EventTime, ModeKnown: true, Dedup: true, Count: true}
	eventNoDup = compare.Downstream{Mode: engine.EventTime, ModeKnown: true, Dedup: false, Count: true}
	processing = compare.Downstream{Mode: engine.ProcessingTime, ModeKnown: true, Dedup: true, Count: true}
	microBatch = compare.Downstream{Mode: engine.MicroBatch, ModeKnown: true, Dedup: true, Count: true}
	unknown    = compare.DefaultDownstream()
	noCount    = compare.Downstream{Mode: engine.EventTime, ModeKnown: true, Dedup: true, Count: false}
)

func TestCauses(t *testing.T) {
	a := orig("a", t0+1000, t0+1000, 10)
	b := orig("b", t0+2000, t0+8000, 7)   // moved: sent in the next window
	c := orig("c", t0+2500, t0+9000, 7)   // moved, same m1 as b
	d := orig("d", t0+3000, t0+400000, 3) // late: sent minutes after E
	x := orig("x", t0-1000, t0+1500, 4)   // moved into E's send window from the window before
	cases := []struct {
		name    string
		down    compare.Downstream
		sends   []send
		m1, n   int64
		hasDown bool
		want    string
	}{
		{"late, whole set", eventTime, []send{a, b}, 10, 1, true, "late dropped (1)"},
		{"late, every moved event", eventTime, []send{a, b, d}, 10, 1, true, "late dropped (2)"},
		{"late, a subset with an alternative", eventTime, []send{a, b, c, d}, 20, 3, true,
			"late dropped (1) (or 1 alternative)"},
		{"late, the smallest subset (no count)", noCount, []send{a, b, c, d, orig("e", t0+100, t0+7000, 4)}, 24, 0, true,
			"late dropped (1) (or 2 alternatives)"},
		{"duplicates", eventNoDup, []send{a, dupOf(a, t0+3000)}, 20, 2, true, "duplicates counted (1)"},
		{"duplicates, one of two copies", eventNoDup, []send{a, dupOf(a, t0+3000), dupOf(a, t0+4000)}, 20, 2, true,
			"duplicates counted (1) (or 1 alternative)"},
		{"late and duplicates, whole sets", eventNoDup, []send{a, b, dupOf(a, t0+3000)}, 20, 2, true,
			"late dropped (1) + duplicates counted (1)"},
		{"late and duplicates, subsets", eventNoDup, []send{a, b, d, dupOf(a, t0+3000), dupOf(d, t0+400500)}, 27, 3, true,
			"late dropped (1) + duplicates counted (1)"},
		{"m1 matches, count does not", eventTime, []send{a, b}, 10, 2, true, "unexplained"},
		{"no count reported: m1 alone", noCount, []send{a, b}, 10, 2, true, "late dropped (1)"},
		{"missing", eventTime, []send{a}, 0, 0, false, "missing"},
		{"missing, every event late", eventTime, []send{b, d}, 0, 0, false, "late dropped (2)"},
		{"unexplained", eventTime, []send{a, b}, 12, 1, true, "unexplained"},
		{"windowed by arrival, processing time", processing, []send{a, b, x}, 14, 2, true, "windowed by arrival"},
		{"windowed by arrival, micro-batch", microBatch, []send{a, b, x}, 14, 2, true, "windowed by arrival"},
		{"arrival modes try windowed first", processing, []send{a, b}, 10, 1, true, "windowed by arrival"},
		{"unknown mode: event time first", unknown, []send{a, b}, 10, 1, true, "late dropped (1)"},
		{"unknown mode: both arrival modes named", unknown, []send{a, b, x}, 14, 2, true,
			"windowed by arrival (processing time or micro-batch)"},
		// a sent in the window before E, its copy in E: micro-batch counts
		// the copy (another batch), processing time does not (within ttl).
		{"unknown mode: micro-batch only", unknown,
			[]send{orig("p", t0-2000, t0-2000, 5), dupOf(orig("p", t0-2000, t0-2000, 5), t0+1000), a}, 15, 2, true,
			"windowed by arrival (micro-batch)"},
		{"processing time: a copy past the dedup-ttl counts", processing,
			[]send{orig("q", t0+1000-600000, t0+1000-600000, 5), dupOf(orig("q", t0+1000-600000, t0+1000-600000, 5), t0+1000), a},
			15, 2, true, "windowed by arrival"},
		{"processing time: a copy within the dedup-ttl does not", processing,
			[]send{orig("q", t0+1001-600000, t0+1001-600000, 5), dupOf(orig("q", t0+1001-600000, t0+1001-600000, 5), t0+1000), a},
			15, 2, true, "unexplained"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := causeOf(t, tc.down, tc.sends, tc.m1, tc.n, tc.hasDown); got != tc.want {
				t.Fatalf("cause = %q, want %q", got, tc.want)
			}
		})
	}
}

// extra: a downstream value where the truth has none.
func TestCauseExtra(t *testing.T) {
	// Sent in E with a device time in the window before: an event-time
	// downstream has no business at E.
	x := orig("x", t0-1000, t0+1500, 4)
	if got := causeOf(t, eventTime, []send{x}, 4, 1, true); got != "extra" {
		t.Fatalf("event time: cause = %q, want extra", got)
	}
	if got := causeOf(t, processing, []send{x}, 4, 1, true); got != "windowed by arrival" {
		t.Fatalf("processing time: cause = %q, want windowed by arrival", got)
	}
}

// Subsets are tried only when a key has at most 16 candidates.
func TestCauseSubsetLimit(t *testing.T) {
	for _, n := range []int{16, 17} {
		sends := []send{orig("a", t0+1000, t0+1000, 10)}
		for i := range n {
			sends = append(sends, orig(fmt.Sprintf("m%d", i), t0+2000, t0+6000+int64(i), int64(1+i)))
		}
		// The downstream counted every moved event but the first (m1 1).
		var all int64
		for i := range n {
			all += int64(1 + i)
		}
		got := causeOf(t, eventTime, sends, 10+all-1, int64(n), true)
		want := "late dropped (1)"
		if n > compare.MaxSubsetCandidates {
			want = "unexplained"
		}
		if got != want {
			t.Fatalf("%d candidates: cause = %q, want %q", n, got, want)
		}
	}
}

// Without any send fed, only missing, extra and unexplained can be said.
func TestCauseWithoutEvidence(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	K := key(E, "d", "cat-1")
	c.SetTruth(K, agg(10, 0, 1))
	c.SetTruth(key(E, "d", "cat-2"), agg(3, 0, 1))
	c.Observe(down(key(E, "d", "cat-2"), 0, 0, 0))
	got := c.Report(true).Exceptions
	if len(got) != 2 || got[0].Cause != "missing" || got[1].Cause != "unexplained" {
		t.Fatalf("causes = %+v", got)
	}
}

// A cause follows the row and the downstream's settings: a mode switch
// explains the same numbers differently.
func TestCauseFollowsSettings(t *testing.T) {
	c := newCmp(t, compare.DefaultOptions())
	c.SetDownstream(eventTime)
	K := key(E, "d", "cat-1")
	c.Sent(engine.Event{ID: "a", Device: "d", Category: "cat-1", Time: t0 + 1000, M1: 10}, t0+1000)
	c.Sent(engine.Event{ID: "b", Device: "d", Category: "cat-1", Time: t0 + 2000, M1: 7}, t0+8000)
	c.SetTruth(K, agg(17, 0, 2))
	c.Observe(down(K, 10, 0, 1))
	causeAt := func() string { return c.Report(false).Exceptions[0].Cause }
	if got := causeAt(); got != "late dropped (1)" {
		t.Fatalf("event time: %q", got)
	}
	c.SetDownstream(processing)
	if got := causeAt(); got != "windowed by arrival" {
		t.Fatalf("processing time: %q", got)
	}
	c.Observe(down(K, 11, 0, 1))
	if got := causeAt(); got != "unexplained" {
		t.Fatalf("after a new emission: %q", got)
	}
	x := c.Explain(K)
	if len(x.Kinds) != 1 || x.Kinds[0] != compare.Unexplained {
		t.Fatalf("Explain = %+v", x)
	}
}

// The evidence goes with the rows Evict forgets, and with window ends the
// MaxUnsettled bound drops.
func TestCauseEvidenceBounded(t *testing.T) {
	c := newCmp(t, compare.Options{M2Tolerance: -1, MaxUnsettled: 4, Window: 5 * time.Second})
	for i := range int64(8) {
		end := E + i*5000
		c.Sent(engine.Event{ID: fmt.Sprint(i), Device: "d", Category: "cat-1", Time: end - 1000, M1: 1}, end-1000)
		c.SetTruth(key(end, "d", "cat-1"), agg(1, 0, 1))
		c.Observe(down(key(end, "d", "cat-1"), 1, 0, 1))
	}
	if got := compare.EvidenceKeys(c); got != 4 {
		t.Fatalf("evidence keys with 4 unsettled keys held = %d, want 4", got)
	}
	c.Settle(E+100_000, E+100_000)
	c.Evict(E + 100_000)
	if got := compare.EvidenceKeys(c); got != 0 {
		t.Fatalf("evidence keys after Evict = %d, want 0", got)
	}
}
