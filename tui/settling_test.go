package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

func TestSettlingOf(t *testing.T) {
	const win = 5 * time.Second
	start := ms(0) // the run's first window ends at ms(5 s)
	delay := 420 * time.Second
	inj := func(clock time.Duration) *bus.InjectorStatus {
		return &bus.InjectorStatus{Run: 1, Start: start, Clock: ms(clock), Horizon: ms(clock) - delay.Milliseconds()}
	}
	cs := func(horizon time.Duration, final bool) *bus.CompareStatus {
		return &bus.CompareStatus{Run: 1, Horizon: ms(horizon), Final: final}
	}
	for _, c := range []struct {
		name     string
		in       *bus.InjectorStatus
		cs       *bus.CompareStatus
		ready    bool
		left     time.Duration
		progress float64
	}{
		{"run start", inj(0), cs(-420*time.Second, false), false, 425 * time.Second, 0},
		{"a minute in", inj(60 * time.Second), cs(-360*time.Second, false), false, 365 * time.Second, 60.0 / 425},
		{"the downstream lags the truth", inj(60 * time.Second), cs(-400*time.Second, false), false, 405 * time.Second, 20.0 / 425},
		{"one window short", inj(420 * time.Second), cs(0, false), false, 5 * time.Second, 420.0 / 425},
		{"the first window settled", inj(425 * time.Second), cs(5*time.Second, false), true, 0, 0},
		{"final", inj(60 * time.Second), cs(-360*time.Second, true), true, 0, 0},
		{"no injector (another host's run)", nil, cs(0, false), true, 0, 0},
		{"another run's injector", &bus.InjectorStatus{Run: 2, Start: start, Clock: ms(0), Horizon: ms(0)}, cs(0, false), true, 0, 0},
		{"no start", &bus.InjectorStatus{Run: 1, Start: engine.None, Clock: ms(0), Horizon: ms(0)}, cs(0, false), true, 0, 0},
		{"no verdict", inj(0), nil, true, 0, 0},
	} {
		got := settlingOf(c.in, c.cs, win, "real")
		if got.ready != c.ready || got.left != c.left || (!c.ready && (got.progress < c.progress-1e-9 || got.progress > c.progress+1e-9)) {
			t.Errorf("%s: %+v, want ready %v, left %v, progress %.4f", c.name, got, c.ready, c.left, c.progress)
		}
		if !got.ready && got.delay != delay {
			t.Errorf("%s: delay %v, want %v", c.name, got.delay, delay)
		}
	}
}

func TestSettlingWhen(t *testing.T) {
	s := settling{left: 402 * time.Second, real: true, progress: 0.26}
	if got := s.when(); got != "in 06:42" {
		t.Errorf("real clock: %q", got)
	}
	s.real = false
	if got := s.when(); got != "06:42 of event time away" {
		t.Errorf("virtual clock: %q", got)
	}
	if got := s.bar(10); got != "███░░░░░░░" {
		t.Errorf("bar %q", got)
	}
}

// settlingSnapshot is testSnapshot a minute into a run, before any of the
// run's own windows has settled: the settled score covers only earlier
// windows' keys (late events').
func settlingSnapshot() bus.Snapshot {
	snap := testSnapshot()
	in := *snap.Injector
	in.Start = ms(1 * time.Second)
	in.Horizon = in.Clock - 420_000
	snap.Injector = &in
	cs := *snap.Compare
	cs.Horizon = in.Horizon
	snap.Compare = &cs
	run := *snap.Run
	run.Clock = "real"
	snap.Run = &run
	return snap
}

// Until the run's first window settles, the headline never reads "N
// exceptions out of M" over the earliest keys alone: it says there is no
// verdict yet, when it starts, what is known now and what it means.
func TestNoVerdictBeforeTheRunsFirstWindowSettles(t *testing.T) {
	m := newTestModel(t, testControls(t), settlingSnapshot(), 120, 40)
	pane := ansi.Strip(m.cmp.View())
	for _, want := range []string{"no verdict yet", "first keys settle in 06:03", "now 5 of 96 keys differ (provisional: may change)",
		"pending 16", "a key is final 07:00 after its window: late events may come till then"} {
		if !strings.Contains(pane, want) {
			t.Errorf("missing %q:\n%s", want, pane)
		}
	}
	if strings.Contains(pane, "exceptions out of") {
		t.Errorf("a score over the settled keys alone is shown as the verdict:\n%s", pane)
	}
	// Once the run's first window has settled, the score is the verdict.
	snap := settlingSnapshot()
	cs := *snap.Compare
	cs.Horizon = snap.Injector.Start + 5000
	snap.Compare = &cs
	m = newTestModel(t, testControls(t), snap, 120, 40)
	pane = ansi.Strip(m.cmp.View())
	if !strings.Contains(pane, "3 exceptions out of 80") || strings.Contains(pane, "no verdict yet") {
		t.Errorf("the settled score is not shown once the first window settled:\n%s", pane)
	}
}

// The scoreboard's settled column says when, not a biased score.
func TestScoreboardSettlingColumn(t *testing.T) {
	snap := peerSnapshot()
	in := *snap.Injector
	in.Start, in.Horizon = in.Clock-30_000, in.Clock-420_000
	snap.Injector = &in
	cs := *snap.Compare
	cs.Horizon = in.Horizon
	snap.Compare = &cs
	m := newTestModel(t, testControls(t), snap, 120, 40)
	pane := ansi.Strip(m.cmp.View())
	if !strings.Contains(pane, "settling") {
		t.Errorf("our engine's row shows no settling:\n%s", pane)
	}
}

func TestGoldenSettling(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newTestModel(t, testControls(t), settlingSnapshot(), sz.w, sz.h)
			got := plain(t, m)
			checkGeometry(t, got, sz.w, sz.h)
			checkGolden(t, fmt.Sprintf("view_settling_%dx%d.golden", sz.w, sz.h), got, sz.w, sz.h)
		})
	}
}

// Once the verdict shows, the keys of windows before the run (only late
// events reach them) are counted apart from the run's own: they settle
// first and would weigh on the first scores far beyond their share. The
// final verdict is every key's, as the reports have it.
func TestScoreSaysWhatWasBeforeTheRun(t *testing.T) {
	snap := settlingSnapshot()
	in := *snap.Injector
	in.Start = ms(38 * time.Second)
	snap.Injector = &in
	cs := *snap.Compare
	cs.Horizon = ms(40 * time.Second)
	cs.Report.BeforeRun = compare.Score{Exceptions: 2, Keys: 2}
	snap.Compare = &cs
	m := newTestModel(t, testControls(t), snap, 120, 40)
	pane := ansi.Strip(m.cmp.View())
	for _, want := range []string{"1 exceptions out of 78 in the run's windows", "before the run 2/2 (late events only)", "all settled 3/80"} {
		if !strings.Contains(pane, want) {
			t.Errorf("the pane does not read %q:\n%s", want, pane)
		}
	}
	cs.Final, cs.Report.Final = true, true
	m = newTestModel(t, testControls(t), snap, 120, 40)
	pane = ansi.Strip(m.cmp.View())
	if !strings.Contains(pane, "3 exceptions out of 80 · ") || strings.Contains(pane, "all settled") ||
		!strings.Contains(pane, "before the run 2/2") {
		t.Errorf("the final verdict is not every key's, with the windows before the run beside it:\n%s", pane)
	}
}

// On the scoreboard too, an engine's settled score is its run's own
// windows while the run goes on; the windows before the run are on the
// followed engine's line.
func TestBoardScoresTheRunsWindows(t *testing.T) {
	snap := peerSnapshot()
	flink := *snap.PeerCompares["flink"]
	flink.Report.BeforeRun = compare.Score{Exceptions: 2, Keys: 5}
	snap.PeerCompares = map[string]*bus.CompareStatus{"flink": &flink}
	m := newTestModel(t, testControls(t), snap, 200, 60)
	pane := cmpText(m)
	if row := lineWith(pane, "flink "); !strings.Contains(row, " 0/75 ") {
		t.Errorf("flink's row does not score its run's windows (2/80 less 2/5 before the run):\n%s", pane)
	}
	press(m, "n")
	pane = cmpText(m)
	if line := lineWith(pane, "flink: send time"); !strings.Contains(line, "before the run 2/5 (late events only)") {
		t.Errorf("flink's line does not count the windows before the run:\n%s", pane)
	}
}
