package compare_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/sim"
)

// Generated runs (seed 34, 1000 events per device, late, dup and ooo on)
// through the engine in every mode: every claimed cause is recomputed from
// the events it names, event time is fully explained, and the arrival modes
// leave at most one exception in ten unexplained. The same holds when the
// mode is not known (a results topic): every mode's explanation is tried.

// runSends generates a run.
func runSends(t *testing.T, devices int) []sim.Sent {
	t.Helper()
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = devices, 1000
	g, err := sim.NewGenerator(gc, sim.Knobs{Dup: 0.05, Late: 0.01, OOO: 0.1, Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	var sent []sim.Sent
	for s, ok := g.Next(); ok; s, ok = g.Next() {
		sent = append(sent, s)
	}
	return sent
}

// judgeRun feeds sent through an engine with cfg (one partition, read in
// send order, arrival = send time: a bounded virtual-clock run) and returns
// the final comparator.
func judgeRun(t *testing.T, sent []sim.Sent, cfg engine.Config, modeKnown bool) *compare.Comparator {
	t.Helper()
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Assign(0)
	c := newCmp(t, compare.Options{M2Tolerance: -1, Window: cfg.Window, DedupTTL: cfg.DedupTTL})
	c.SetDownstream(compare.Downstream{Mode: cfg.Mode, ModeKnown: modeKnown, Dedup: cfg.Dedup, Count: true})
	for i, s := range sent {
		c.Sent(s.Event, s.Send)
		if s.Kind == sim.Original {
			c.AddTruth(engine.Key{Device: s.Event.Device, Category: s.Event.Category,
				WindowEnd: engine.WindowEnd(s.Event.Time, cfg.Window.Milliseconds())}, engine.Agg{M1: s.Event.M1, M2: s.Event.M2, Count: 1})
		}
		e.SetCaughtUp(0, i+1 == len(sent) || sent[i+1].Send > s.Send)
		e.Ingest(0, s.Send, s.Event)
	}
	e.Flush()
	for _, r := range e.Drain(nil) {
		c.Observe(r)
	}
	c.Settle(math.MaxInt64, math.MaxInt64)
	return c
}

// sendRef names one send: an id and its send time.
type sendRef struct {
	id   string
	send int64
}

// checkClaim recomputes x's claim for row from the sends, by SPEC §4's
// rule, independently of the comparator's evidence.
func checkClaim(row compare.Row, x compare.Explanation, sent []sim.Sent, cfg engine.Config, modeKnown bool) error {
	win := cfg.Window.Milliseconds()
	E := row.WindowEnd
	atK := func(ev engine.Event) bool { return ev.Device == row.Device && ev.Category == row.Category }
	bySend := map[sendRef]sim.Sent{}
	for _, s := range sent {
		bySend[sendRef{s.Event.ID, s.Send}] = s
	}
	var m1, n int64 // Δ the claim explains
	named := map[sendRef]bool{}
	name := func(c compare.Candidate) (sim.Sent, error) {
		r := sendRef{c.ID, c.Send}
		s, ok := bySend[r]
		switch {
		case !ok:
			return s, fmt.Errorf("names %v, never sent", r)
		case named[r]:
			return s, fmt.Errorf("names %v twice", r)
		case s.Event.M1 != c.M1:
			return s, fmt.Errorf("names %v with m1 %d, sent with %d", r, c.M1, s.Event.M1)
		}
		named[r] = true
		return s, nil
	}
	for _, c := range x.Late {
		s, err := name(c)
		if err != nil {
			return err
		}
		if s.Kind != sim.Original || !atK(s.Event) || engine.WindowEnd(s.Event.Time, win) != E || s.Send < E {
			return fmt.Errorf("late %v is no moved event of the key sent after its window", c)
		}
		m1, n = m1+c.M1, n+1
	}
	for _, c := range x.Dups {
		s, err := name(c)
		if err != nil {
			return err
		}
		in := engine.WindowEnd(s.Send, win) == E
		if cfg.Mode == engine.EventTime || !modeKnown {
			in = engine.WindowEnd(s.Event.Time, win) == E
		}
		if s.Kind != sim.Repeat || !atK(s.Event) || !in {
			return fmt.Errorf("copy %v is no copy counted at the key", c)
		}
		m1, n = m1-c.M1, n-1
	}
	dm1, dn := row.Truth.M1-row.Down.M1, row.Truth.Count-row.Down.Count
	for _, k := range x.Kinds {
		switch k {
		case compare.WindowedByArrival:
			modes := x.Windowed
			if modeKnown {
				modes = []engine.Mode{cfg.Mode}
			}
			for _, m := range modes {
				mc := cfg
				mc.Mode = m
				sm1, sn := sendWindowSum(sent, row.Key, mc)
				if sm1 != row.Down.M1 || sn != row.Down.Count {
					return fmt.Errorf("windowed (%v): send-window sum %d (%d events), downstream %d (%d)", m, sm1, sn, row.Down.M1, row.Down.Count)
				}
			}
			return nil
		case compare.Missing:
			if row.HasDown {
				return fmt.Errorf("missing, but the downstream has a value")
			}
			return nil
		case compare.Extra:
			if row.HasTruth {
				return fmt.Errorf("extra, but the truth has a value")
			}
			return nil
		case compare.Unexplained:
			return nil
		}
	}
	if m1 != dm1 || n != dn {
		return fmt.Errorf("named events make Δ %d (%d events), the row's is %d (%d)", m1, n, dm1, dn)
	}
	return nil
}

// sendWindowSum is key k's sum by send time under the mode's dedup scope:
// processing time counts an id again once dedup-ttl passed since it was
// last counted, micro-batch once per window, dedup off every send.
func sendWindowSum(sent []sim.Sent, k engine.Key, cfg engine.Config) (m1, n int64) {
	win := cfg.Window.Milliseconds()
	counted := map[string]int64{} // id → send time last counted (processing) or window end (micro-batch)
	for _, s := range sent {
		end := engine.WindowEnd(s.Send, win)
		last, seen := counted[s.Event.ID]
		count := true
		switch {
		case !cfg.Dedup:
		case cfg.Mode == engine.ProcessingTime:
			count = !seen || s.Send-last >= cfg.DedupTTL.Milliseconds()
			if count {
				counted[s.Event.ID] = s.Send
			}
		default:
			count = !seen || last != end
			counted[s.Event.ID] = end
		}
		if count && end == k.WindowEnd && s.Event.Device == k.Device && s.Event.Category == k.Category {
			m1, n = m1+s.Event.M1, n+1
		}
	}
	return m1, n
}

func TestCausesOfGeneratedRuns(t *testing.T) {
	for _, devices := range []int{1, 3} {
		sent := runSends(t, devices)
		for _, mode := range []engine.Mode{engine.EventTime, engine.ProcessingTime, engine.MicroBatch} {
			for _, v := range []struct{ dedup, known bool }{{true, true}, {false, true}, {true, false}, {false, false}} {
				dedup, known := v.dedup, v.known
				name := fmt.Sprintf("%d devices/%v/dedup %v", devices, mode, dedup)
				if !known {
					name += "/mode unknown"
				}
				t.Run(name, func(t *testing.T) {
					cfg := engine.DefaultConfig()
					cfg.Mode, cfg.Dedup = mode, dedup
					c := judgeRun(t, sent, cfg, known)
					r := c.Report(true)
					if r.Settled.Exceptions == 0 {
						t.Fatal("no exceptions: the run proves nothing")
					}
					kinds := map[string]int{}
					unexplained := 0
					for _, row := range r.Exceptions {
						x := c.Explain(row.Key)
						if x.String() != row.Cause {
							t.Errorf("%v: reported %q, Explain says %q", row.Key, row.Cause, x)
						}
						if err := checkClaim(row, x, sent, cfg, known); err != nil {
							t.Errorf("%v %q: %v", row.Key, row.Cause, err)
						}
						for _, k := range x.Kinds {
							kinds[k.String()]++
						}
						if strings.HasPrefix(row.Cause, "unexplained") {
							unexplained++
						}
					}
					t.Logf("%s: %v; causes %v; unexplained %d/%d = %.1f%%", name, r.Settled, kinds,
						unexplained, len(r.Exceptions), 100*float64(unexplained)/float64(len(r.Exceptions)))
					if mode == engine.EventTime && unexplained > 0 {
						t.Errorf("event time: %d of %d exceptions unexplained, want none", unexplained, len(r.Exceptions))
					}
					if unexplained*10 > len(r.Exceptions) {
						t.Errorf("%d of %d exceptions unexplained, want at most one in ten", unexplained, len(r.Exceptions))
					}
				})
			}
		}
	}
}
