package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// Instants outside the run's year (the test run's clock is in 2026): a
// future-dated event's (dt = 9999-12-31) and some before the epoch.
var (
	farFuture = time.Date(9999, 12, 31, 23, 59, 58, 0, time.UTC).UnixMilli()
	farPast   = time.Date(1969, 12, 31, 23, 59, 50, 0, time.UTC).UnixMilli()
)

// offYearSnapshot is the test snapshot with a watermark moved to 9999 and
// a table row, a late event, alerts and a log entry outside 2026.
func offYearSnapshot() bus.Snapshot {
	snap := testSnapshot()
	eng := *snap.Engine
	eng.Stats.Watermark, eng.ClosedBefore = farFuture, farFuture
	eng.Recent = []bus.LateEvent{{ID: "dev-old-1", Device: "dev-old", Category: "cat-1", M1: 3,
		Time: farPast, WindowEnd: farPast, Watermark: farFuture}}
	snap.Engine = &eng
	cs := *snap.Compare
	future := row(0, "dev-new", "cat-1", 10, 0, true, false, true)
	future.WindowEnd = farFuture - 58_000
	past := row(0, "dev-old", "cat-2", 0, 12, false, true, true)
	past.WindowEnd = farPast - 10_000
	cs.Report.Exceptions = []compare.Row{cs.Report.Exceptions[0], future, past}
	snap.Compare = &cs
	rs := *snap.Rates
	rs.Alerts = append([]bus.RateAlert(nil), rs.Alerts...)
	for i := range rs.Alerts {
		rs.Alerts[i].TS = farPast + int64(i)*1000
	}
	snap.Rates = &rs
	snap.Logs = append(snap.Logs[:0:0], snap.Logs...)
	snap.Logs[0].Time = time.Date(1970, 1, 1, 0, 0, 5, 0, time.UTC)
	return snap
}

// TestTimesShowTheirYear: a time in another year than the run's clock shows
// its date at every size, where the compact form (the time of day) would
// pass for one of today's; times in the run's year keep the compact form.
func TestTimesShowTheirYear(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newTestModel(t, testControls(t), offYearSnapshot(), sz.w, sz.h)
			got := plain(t, m)
			checkGeometry(t, got, sz.w, sz.h)
			want := []string{
				"wm 9999-12-31 23:59:58",       // the watermark
				"closed ≤ 9999-12-31 23:59:58", // the engine's closed windows
				"  9999-12-31 23:59:00 dev",    // table rows (narrow: the device is cut)
				"  1969-12-31 23:59:40 dev",
				"1969-12-31 23:59:52", // the newest alert
			}
			if sz.w >= 120 {
				want = append(want,
					"1969-12-31 23:59:50 cat-1 m1 3",  // a late event
					"1970-01-01 01:00:05 info broker", // a log entry (wall clock, 2026), in the local zone (CET)
				)
			}
			if sz.w >= 200 {
				want[0] = "watermark 9999-12-31 23:59:58"
				want = append(want, "(wm 9999-12-31 23:59:58)") // a late event's watermark
			}
			for _, s := range want {
				if !strings.Contains(got, s) {
					t.Errorf("view lacks %q\n%s", s, got)
				}
			}
			// The run's own year keeps the compact form where it had it.
			if sz.w == 80 && (!strings.Contains(got, "   00:00:20 ") || strings.Contains(got, "2026-01-01 00:00:20")) {
				t.Errorf("a 2026 window end lost its compact form\n%s", got)
			}
			if sz.w >= 120 && !strings.Contains(got, "11:00:09 warn engine") {
				t.Errorf("a log entry of the run's year lost its compact form\n%s", got)
			}
		})
	}
}

// TestClockYear: the year times are compared with is the run's own clock:
// the injector's origin, else its clock, else the run's start, else the
// frame's time.
func TestClockYear(t *testing.T) {
	at := func(y int) int64 { return time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC).UnixMilli() }
	run := &bus.RunStatus{Started: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}
	now := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		snap bus.Snapshot
		want int
	}{
		{"origin", bus.Snapshot{Run: run, Injector: &bus.InjectorStatus{Start: at(2019), Clock: at(2020)}}, 2019},
		{"clock", bus.Snapshot{Run: run, Injector: &bus.InjectorStatus{Start: engine.None, Clock: at(2020)}}, 2020},
		{"unset origin", bus.Snapshot{Run: run, Injector: &bus.InjectorStatus{Clock: at(2020)}}, 2020},
		{"run start", bus.Snapshot{Run: run, Injector: &bus.InjectorStatus{Start: engine.None, Clock: engine.None}}, 2031},
		{"no injector", bus.Snapshot{Run: run}, 2031},
		{"nothing yet", bus.Snapshot{}, 2032},
	} {
		if got := clockYear(c.snap, now); got != c.want {
			t.Errorf("%s: year %d, want %d", c.name, got, c.want)
		}
	}
	// A replay of 2019's events: its times are compact, today's are dated.
	snap := testSnapshot()
	inj := *snap.Injector
	inj.Start = at(2019)
	snap.Injector = &inj
	got := plain(t, newTestModel(t, testControls(t), snap, 80, 24))
	if !strings.Contains(got, "2026-01-01 00:00:20") {
		t.Errorf("a window end outside the replay's year is not dated\n%s", got)
	}
}

// TestDatedRowWidensTheTableOnlyWhenShown: at 80 columns the window-end
// column widens for a dated row (the rightmost columns giving way) only
// while that row is on screen.
func TestDatedRowWidensTheTableOnlyWhenShown(t *testing.T) {
	snap := testSnapshot()
	cs := *snap.Compare
	cs.Report.Exceptions = append(cs.Report.Exceptions[:0:0], cs.Report.Exceptions...)
	cs.Report.Exceptions = append(cs.Report.Exceptions, row(-5*time.Second, "dev-7f3a", "cat-2", 40, 0, true, false, true))
	snap.Compare = &cs
	m := newTestModel(t, testControls(t), snap, 80, 24)
	got := plain(t, m)
	for _, s := range []string{"1–5/6", "   00:00:20 dev-1… cat-2   312   270   +42 late"} {
		if !strings.Contains(got, s) {
			t.Fatalf("compact table lacks %q\n%s", s, got)
		}
	}
	press(m, "G")
	got = plain(t, m)
	// Newest first: the dated row (the oldest) is the last.
	for _, s := range []string{"2–6/6", "   2025-12-31 23:59:55 dev-7… cat-2    40     — ┃", "   00:00:20            dev-1… cat-2   312   270 ┃"} {
		if !strings.Contains(got, s) {
			t.Fatalf("scrolled table lacks %q\n%s", s, got)
		}
	}
}
