package sim

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// The three classic cases through the pure packages only: the generator
// (seed 34), the engine fed the events as a batch engine reads partitions
// merged in timestamp order, and the comparator. No Kafka: this pins the
// semantics; the end-to-end tests in cmd/streamtop check the same cases
// through the embedded broker.

type partEvent struct {
	Sent
	part int32
}

// simulate runs sent through an engine with cfg over parts partitions
// (device i on partition i mod parts) and returns the final report.
func simulate(t *testing.T, sent []Sent, devices []string, parts int32, cfg engine.Config) compare.Report {
	t.Helper()
	partOf := map[string]int32{}
	for i, d := range devices {
		partOf[d] = int32(i) % parts
	}
	evs := make([]partEvent, len(sent))
	for i, s := range sent {
		evs[i] = partEvent{s, partOf[s.Event.Device]}
	}
	slices.SortStableFunc(evs, func(a, b partEvent) int {
		if c := cmp.Compare(a.Send, b.Send); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Event.Device, b.Event.Device); c != 0 {
			return c
		}
		return cmp.Compare(a.part, b.part)
	})
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for p := range parts {
		e.Assign(p)
	}
	// positions[p] lists p's events in merged order; cursor[p] counts those read.
	positions := make([][]int, parts)
	for i, ev := range evs {
		positions[ev.part] = append(positions[ev.part], i)
	}
	cursor := make([]int, parts)
	truth, _ := NewTruth(cfg.Window, false)
	c, _ := compare.New(compare.DefaultOptions())
	for _, s := range sent {
		if k, _, ok := truth.Add(s); ok {
			c.AddTruth(k, engine.Agg{M1: s.Event.M1, M2: s.Event.M2, Count: 1})
		}
	}
	for _, ev := range evs {
		cursor[ev.part]++
		for p := range parts {
			// Caught up: nothing at or before this time left to read in p.
			caught := cursor[p] >= len(positions[p]) || evs[positions[p][cursor[p]]].Send > ev.Send
			e.SetCaughtUp(p, caught)
		}
		e.Ingest(ev.part, ev.Send, ev.Event)
	}
	e.Flush()
	for _, r := range e.Drain(nil) {
		c.Observe(r)
	}
	c.Settle(bus.Final, bus.Final)
	return c.Report(true)
}

func TestThreeCasesThroughThePurePackages(t *testing.T) {
	for _, devices := range []int{1, 3} {
		gc := DefaultGeneratorConfig()
		gc.Devices, gc.Events = devices, 1000
		g, err := NewGenerator(gc, DefaultKnobs())
		if err != nil {
			t.Fatal(err)
		}
		ids := g.Devices()
		var sent []Sent
		late := map[engine.Key]int64{}
		for s, ok := g.Next(); ok; s, ok = g.Next() {
			sent = append(sent, s)
			if s.Kind == Original && s.Late {
				late[engine.Key{Device: s.Event.Device, Category: s.Event.Category, WindowEnd: engine.WindowEnd(s.Event.Time, 5000)}] += s.Event.M1
			}
		}
		if len(late) == 0 {
			t.Fatal("no late events: the scenario proves nothing")
		}
		t.Run(fmt.Sprintf("%d devices", devices), func(t *testing.T) {
			cfg := engine.DefaultConfig()
			cfg.Lateness = 10 * time.Minute
			r := simulate(t, sent, ids, 4, cfg)
			if r.Settled.Exceptions != 0 || r.Settled.Keys == 0 {
				t.Errorf("event time, lateness 10m: %v, want 0 exceptions out of M > 0", r.Settled)
			}

			r = simulate(t, sent, ids, 4, engine.DefaultConfig())
			exc := map[engine.Key]compare.Row{}
			for _, row := range r.Exceptions {
				exc[row.Key] = row
				if _, ok := late[row.Key]; !ok {
					t.Errorf("lateness 0: exception at %v, which holds no late event", row.Key)
				}
			}
			for k, m1 := range late {
				row, ok := exc[k]
				switch {
				case m1 == 0:
				case !ok:
					t.Errorf("lateness 0: late m1 %d at %v is no exception", m1, k)
				case row.HasDown && row.DeltaM1() != m1:
					t.Errorf("lateness 0: %v short by %d, want %d", k, row.DeltaM1(), m1)
				}
			}

			cfg = engine.DefaultConfig()
			cfg.Mode = engine.ProcessingTime
			if r := simulate(t, sent, ids, 4, cfg); r.Settled.Exceptions == 0 {
				t.Errorf("processing time: %v, want exceptions", r.Settled)
			}
		})
	}
}
