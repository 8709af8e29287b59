package sim

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

func generate(t *testing.T, cfg GeneratorConfig, k Knobs) []Sent {
	t.Helper()
	g, err := NewGenerator(cfg, k)
	if err != nil {
		t.Fatal(err)
	}
	var out []Sent
	for s, ok := g.Next(); ok; s, ok = g.Next() {
		out = append(out, s)
	}
	return out
}

func TestGeneratorIsDeterministicAndOrdered(t *testing.T) {
	cfg := DefaultGeneratorConfig()
	cfg.Devices, cfg.Events = 3, 500
	a := generate(t, cfg, DefaultKnobs())
	b := generate(t, cfg, DefaultKnobs())
	if len(a) != len(b) {
		t.Fatalf("lengths %d and %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("event %d differs: %+v vs %+v", i, a[i], b[i])
		}
		if i > 0 && a[i].Send < a[i-1].Send {
			t.Fatalf("event %d sent at %d before event %d at %d", i, a[i].Send, i-1, a[i-1].Send)
		}
	}
	cfg.Seed = 35
	c := generate(t, cfg, DefaultKnobs())
	if c[0].Event.Device == a[0].Event.Device {
		t.Errorf("another seed gave the same device id %s", c[0].Event.Device)
	}
	cfg.Seed, cfg.Run = 34, 1
	if d := generate(t, cfg, DefaultKnobs()); d[0].Event.Device == a[0].Event.Device {
		t.Errorf("a reset (run 1) reused device id %s", d[0].Event.Device)
	}
}

// A duplicate repeats one of the device's last dup-window originals,
// unchanged, also once the window has wrapped around many times.
func TestGeneratorRepeatsFromItsWindow(t *testing.T) {
	cfg := DefaultGeneratorConfig()
	cfg.Devices, cfg.Events, cfg.DupWindow = 3, 2000, 7
	sent := generate(t, cfg, Knobs{Dup: 0.3, Late: 0.05, OOO: 0.2, Rate: 20})
	byDevice := map[string][]engine.Event{}
	dups := 0
	for _, s := range sent {
		d := s.Event.Device
		if s.Kind == Original {
			byDevice[d] = append(byDevice[d], s.Event)
			continue
		}
		dups++
		recent := byDevice[d][max(len(byDevice[d])-7, 0):]
		if !slices.Contains(recent, s.Event) {
			t.Fatalf("duplicate %+v is not one of the device's last 7 originals %+v", s.Event, recent)
		}
	}
	if dups < 1000 {
		t.Fatalf("only %d duplicates", dups)
	}
}

func TestGeneratorFollowsSpec(t *testing.T) {
	cfg := DefaultGeneratorConfig()
	cfg.Devices, cfg.Events = 2, 5000
	k := Knobs{Dup: 0.05, Late: 0.01, OOO: 0.1, Rate: 20}
	sent := generate(t, cfg, k)
	seen := map[string]engine.Event{}
	var originals, dups, late, ooo int
	perDevice := map[string]int{}
	for _, s := range sent {
		ev := s.Event
		if ev.M1 < 0 || ev.M1 >= 100 || ev.M2 < 0 || ev.M2 >= 500 {
			t.Fatalf("measures out of range: %+v", ev)
		}
		if !strings.HasPrefix(ev.Category, "cat-") || ev.Category < "cat-1" || ev.Category > "cat-4" {
			t.Fatalf("category %q", ev.Category)
		}
		if !strings.HasPrefix(ev.ID, ev.Device+"-") {
			t.Fatalf("id %q does not derive from device %q", ev.ID, ev.Device)
		}
		switch s.Kind {
		case Original:
			originals++
			perDevice[ev.Device]++
			if _, ok := seen[ev.ID]; ok {
				t.Fatalf("original id %s sent twice", ev.ID)
			}
			seen[ev.ID] = ev
			lag := s.Send - ev.Time
			switch {
			case s.Late:
				late++
				if lag < 120_000 || lag >= 420_000 {
					t.Fatalf("late event lags %d ms, want [120 s, 420 s)", lag)
				}
			case s.OutOfOrder:
				ooo++
				if lag < 0 || lag >= 3000 {
					t.Fatalf("out-of-order event lags %d ms, want [0, 3 s)", lag)
				}
			default:
				if lag != 0 {
					t.Fatalf("plain event lags %d ms", lag)
				}
			}
		case Repeat:
			dups++
			orig, ok := seen[ev.ID]
			if !ok {
				t.Fatalf("duplicate %s of an event never sent", ev.ID)
			}
			if orig != ev {
				t.Fatalf("duplicate changed the event: %+v vs %+v", ev, orig)
			}
		}
	}
	if originals != 10000 || perDevice[sent[0].Event.Device] != 5000 {
		t.Fatalf("%d originals (%v), want 5000 per device", originals, perDevice)
	}
	near := func(name string, got int, p float64) {
		want := p * float64(originals)
		if math.Abs(float64(got)-want) > 4*math.Sqrt(want) {
			t.Errorf("%s: %d, want about %.0f", name, got, want)
		}
	}
	near("duplicates", dups, 0.05)
	near("late", late, 0.01)
	near("out of order", ooo, 0.1*0.99)
	// 20 events/s per device: 5000 originals + duplicates take ~ (5000·1.05)/20 s.
	span := float64(sent[len(sent)-1].Send-sent[0].Send) / 1000
	if span < 230 || span > 295 {
		t.Errorf("5000 events per device at 20/s took %.0f s", span)
	}
}

func TestGeneratorKnobsChangeLiveAndHorizonHolds(t *testing.T) {
	cfg := DefaultGeneratorConfig()
	cfg.Events = 0 // unbounded
	g, err := NewGenerator(cfg, Knobs{Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	prevH := g.Horizon()
	for range 2000 {
		s, _ := g.Next()
		if s.Late || s.Kind == Repeat {
			t.Fatalf("late or duplicate with the knobs off: %+v", s)
		}
	}
	if g.Horizon() != g.Clock() {
		t.Errorf("with no lag possible the horizon %d should be the clock %d", g.Horizon(), g.Clock())
	}
	if err := g.SetKnobs(Knobs{Late: 1, Rate: 20}); err != nil {
		t.Fatal(err)
	}
	h := g.Horizon()
	for range 5000 {
		s, _ := g.Next()
		if !s.Late {
			t.Fatalf("late at probability 1 gave a plain event")
		}
		if engine.WindowEnd(s.Event.Time, 5000) <= h {
			t.Fatalf("a late event fell in window %d, at or before the horizon %d already declared final",
				engine.WindowEnd(s.Event.Time, 5000), h)
		}
		if g.Horizon() < h || g.Horizon() < prevH {
			t.Fatal("the horizon went back")
		}
		h = g.Horizon()
	}
	if err := g.SetKnobs(Knobs{Rate: 0}); err == nil {
		t.Error("rate 0 accepted")
	}
	if err := g.SetKnobs(Knobs{Dup: 1.5, Rate: 1}); err == nil {
		t.Error("probability 1.5 accepted")
	}
}

func TestGeneratorRejectsBadConfig(t *testing.T) {
	for _, c := range []func(*GeneratorConfig){
		func(c *GeneratorConfig) { c.Devices = 0 },
		func(c *GeneratorConfig) { c.Events = -1 },
		func(c *GeneratorConfig) { c.DupWindow = 0 },
		func(c *GeneratorConfig) { c.LateMin = -1 },
	} {
		cfg := DefaultGeneratorConfig()
		c(&cfg)
		if _, err := NewGenerator(cfg, DefaultKnobs()); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

func TestTruthCountsFirstSendsByDeviceAndSendTime(t *testing.T) {
	tr, err := NewTruth(5e9, false)
	if err != nil {
		t.Fatal(err)
	}
	ev := engine.Event{ID: "d-0", Device: "d", Time: 1000, Category: "cat-1", M1: 7, M2: 1.5}
	late := engine.Event{ID: "d-1", Device: "d", Time: -130_000, Category: "cat-1", M1: 3, M2: 2}
	tr.Add(Sent{Event: ev, Send: 1000})
	tr.Add(Sent{Event: ev, Send: 1200, Kind: Repeat})
	tr.Add(Sent{Event: late, Send: 2000, Late: true})
	k := engine.Key{Device: "d", Category: "cat-1", WindowEnd: 5000}
	if got := tr.ByDevice()[k]; got != (engine.Agg{M1: 7, M2: 1.5, Count: 1}) {
		t.Errorf("device-time truth at %v: %+v", k, got)
	}
	if got := tr.BySend()[k]; got != (engine.Agg{M1: 10, M2: 3.5, Count: 2}) {
		t.Errorf("send-time truth at %v: %+v", k, got)
	}
	lk := engine.Key{Device: "d", Category: "cat-1", WindowEnd: -125_000}
	if got := tr.ByDevice()[lk]; got.M1 != 3 {
		t.Errorf("late event's device-time key %v: %+v", lk, got)
	}
	if tr.Differ() != 2 {
		t.Errorf("%d keys differ, want 2", tr.Differ())
	}
	tr.Evict(0)
	if len(tr.ByDevice()) != 1 || tr.Differ() != 2 || tr.DeviceKeys() != 2 || tr.SendKeys() != 1 {
		t.Errorf("after evicting windows ≤ 0: %d keys in memory, %d differ, %d/%d keys counted (want 1, 2, 2/1)",
			len(tr.ByDevice()), tr.Differ(), tr.DeviceKeys(), tr.SendKeys())
	}
}
