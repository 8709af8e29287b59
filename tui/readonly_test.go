package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/feed/bus"
)

// countingController counts the actions it was asked for.
type countingController struct {
	s       bus.Settings
	applied int
}

func (c *countingController) Apply(bus.Action) bus.Settings { c.applied++; return c.s }
func (c *countingController) Load() bus.Settings            { return c.s }

// readOnlyModel is a watch screen: the settings are observed fractions.
func readOnlyModel(t *testing.T, w, h int) (*Model, *countingController) {
	t.Helper()
	ctl := &countingController{s: bus.Settings{Rate: 20, Dup: bus.NewToggle(0.034), Late: bus.NewToggle(0.01), OOO: bus.NewToggle(0),
		Dedup: true, WatermarkLag: time.Second}}
	snap := testSnapshot()
	m := newModelWith(t, Options{Controller: ctl, Source: func() bus.Snapshot { return snap }, ReadOnly: true}, w, h)
	return m, ctl
}

// watch is read-only: no control key is offered, pressing one says so and
// changes nothing, and what it infers from the topics reads as observed,
// never as a setting ("ooo 3.4% on").
func TestReadOnlyScreen(t *testing.T) {
	for _, sz := range sizes {
		m, ctl := readOnlyModel(t, sz.w, sz.h)
		got := plain(t, m)
		checkGeometry(t, got, sz.w, sz.h)
		footer := got[strings.LastIndex(strings.TrimRight(got, "\n"), "\n")+1:]
		for _, k := range []string{"reset", "dedup", "pause", "faults", " r ", " d "} {
			if strings.Contains(footer, k) {
				t.Errorf("%dx%d: the footer offers %q: %q", sz.w, sz.h, k, footer)
			}
		}
		if !strings.Contains(footer, "read-only") {
			t.Errorf("%dx%d: the footer does not say read-only: %q", sz.w, sz.h, footer)
		}
		inj := ansi.Strip(m.inj.View())
		if strings.Contains(inj, "% on") || strings.Contains(inj, " off") || !strings.Contains(inj, "observed") || !strings.Contains(inj, "dup 3.4%") {
			t.Errorf("%dx%d: the injector's figures read as settings:\n%s", sz.w, sz.h, inj)
		}
		for _, k := range []string{"d", "r", "space", "t", "+"} {
			press(m, k)
			after := plain(t, m)
			if !strings.Contains(after, "read-only: "+k+" changes nothing") {
				t.Errorf("%dx%d: pressing %q does not say it changes nothing", sz.w, sz.h, k)
			}
			if strings.Contains(after, "reset the run?") {
				t.Errorf("%dx%d: r asks to reset in read-only mode", sz.w, sz.h)
			}
		}
		if ctl.applied != 0 {
			t.Errorf("%dx%d: %d actions applied in read-only mode", sz.w, sz.h, ctl.applied)
		}
		press(m, "tab") // a view key still works, and clears the note
		if strings.Contains(plain(t, m), "changes nothing") {
			t.Errorf("%dx%d: the note stays after a view key", sz.w, sz.h)
		}
		press(m, "?")
		if help := plain(t, m); strings.Contains(help, "reset the run") || strings.Contains(help, "dedup on/off") {
			t.Errorf("%dx%d: the help lists control keys:\n%s", sz.w, sz.h, help)
		}
	}
}

// A broker a watcher cannot reach shows in the header, with when, never as
// a running run with zeros.
func TestDisconnectedHeader(t *testing.T) {
	snap := testSnapshot()
	run := *snap.Run
	run.Disconnected = wallStart.Add(5 * time.Second)
	snap.Run = &run
	m := newTestModel(t, testControls(t), snap, 120, 40)
	header := strings.SplitN(plain(t, m), "\n", 2)[0]
	if !strings.Contains(header, "disconnected since 11:00:05") || strings.Contains(header, "running") {
		t.Errorf("header %q", header)
	}
}

// A watcher that never reached the broker shows no run number and no
// shares of nothing: "disconnected since …" and waiting panes.
func TestDisconnectedBeforeAnything(t *testing.T) {
	snap := bus.Snapshot{Run: &bus.RunStatus{State: bus.Running, Broker: "127.0.0.1:1", Started: wallStart,
		Clock: "watching (read-only)", Disconnected: wallStart}}
	ctl := &countingController{s: bus.Settings{Rate: 1, Dedup: true}}
	m := newModelWith(t, Options{Controller: ctl, Source: func() bus.Snapshot { return snap }, ReadOnly: true}, 120, 40)
	got := plain(t, m)
	header := strings.SplitN(got, "\n", 2)[0]
	if !strings.Contains(header, "disconnected since 11:00:00") || strings.Contains(header, "run 0") || strings.Contains(header, "as last seen") {
		t.Errorf("header %q", header)
	}
	if strings.Contains(got, "observed dup 0%") || strings.Contains(got, "mode event") {
		t.Errorf("figures of nothing shown:\n%s", got)
	}
}

// A watcher shows of the engine only what its topics show, says why the
// lag or the closed horizon is unknown, names no run it cannot know, and
// says why there is no verdict.
func TestWatcherShowsOnlyWhatItSees(t *testing.T) {
	snap := testSnapshot()
	es := bus.EngineStatus{Observed: true, Produced: 384, ResultRate: 3.9, ClosedBefore: snap.Engine.ClosedBefore,
		LagUnknown: "no consumer group streamtop-engine", Unverified: 8}
	es.Config.Name = "streamtop"
	snap.Engine = &es
	snap.Compare = &bus.CompareStatus{Err: "no truth to judge against: watch judges with --cassandra"}
	snap.Rates = &bus.RateStatus{Source: "topic BitCoinExchangeTopic", Threshold: 50} // no tick yet
	ctl := &countingController{s: bus.Settings{Rate: 1, Dedup: true}}
	for _, sz := range sizes {
		m := newModelWith(t, Options{Controller: ctl, Source: func() bus.Snapshot { return snap }, ReadOnly: true}, sz.w, sz.h)
		got := plain(t, m)
		checkGeometry(t, got, sz.w, sz.h)
		eng := ansi.Strip(m.eng.View())
		for _, bad := range []string{"mode ", "dedup", "W 1s", "lateness", "idle", "accepted", "consumed"} {
			if strings.Contains(eng, bad) {
				t.Errorf("%dx%d: the engine pane shows %q, which no topic shows:\n%s", sz.w, sz.h, bad, eng)
			}
		}
		flat := strings.Join(strings.Fields(strings.NewReplacer("│", " ", "┃", " ").Replace(eng)), " ")
		for _, want := range []string{"results 384", "lag unknown: no consumer group streamtop-engine", "8 progress records unverified"} {
			if sz.h >= 40 && !strings.Contains(flat, want) {
				t.Errorf("%dx%d: the engine pane lacks %q:\n%s", sz.w, sz.h, want, eng)
			}
		}
		if header := strings.SplitN(got, "\n", 2)[0]; strings.Contains(header, "run ") || !strings.Contains(header, "watching") {
			t.Errorf("%dx%d: header %q", sz.w, sz.h, header)
		}
		if cmp := ansi.Strip(m.cmp.View()); !strings.Contains(cmp, "no verdict: no truth to judge against") || strings.Contains(cmp, "no exceptions") {
			t.Errorf("%dx%d: the comparator does not say why there is no verdict, or shows a table of nothing:\n%s", sz.w, sz.h, cmp)
		}
		if rates := ansi.Strip(m.rates.View()); !strings.Contains(rates, "last —") {
			t.Errorf("%dx%d: a rate before any tick:\n%s", sz.w, sz.h, rates)
		}
	}
}
