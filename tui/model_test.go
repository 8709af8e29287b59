package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamtop/streamtop/compare"
)

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

func TestNewValidates(t *testing.T) {
	src := func() bus.Snapshot { return bus.Snapshot{} }
	ctl := testControls(t)
	for _, o := range []Options{
		{Source: src},
		{Controller: ctl},
		{Controller: ctl, Source: src, FPS: -1},
		{Controller: ctl, Source: src, FPS: 1000},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
	m, err := New(Options{Controller: ctl, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if m.fps != 20 || m.title != "streamtop" {
		t.Errorf("defaults: fps %d title %q", m.fps, m.title)
	}
	if !m.View().AltScreen {
		t.Error("View does not ask for the alt screen")
	}
}

// TestKeysTakeEffect presses each scenario key on a real bus.Controls and
// checks the screen shows the new setting at once, before any new frame.
func TestKeysTakeEffect(t *testing.T) {
	cases := []struct {
		key, before, after string
	}{
		{"d", "dup 5% on", "dup off"},
		{"l", "late 1% on", "late off"},
		{"o", "ooo off", "ooo 5% on"},
		{"t", "mode event", "mode processing"},
		{"u", "dedup on", "dedup off"},
		{"[", "W 1s", "W 500ms"},
		{"]", "W 1s", "W 2s"},
		{"+", "rate 20/s", "rate 50/s"},
		{"=", "rate 20/s", "rate 50/s"},
		{"-", "rate 20/s", "rate 10/s"},
		{"space", "running", "paused"},
	}
	for _, sz := range sizes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.w, sz.h, c.key), func(t *testing.T) {
				m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
				before := plain(t, m)
				if !strings.Contains(before, c.before) {
					t.Fatalf("before %q: %q missing\n%s", c.key, c.before, before)
				}
				if strings.Contains(before, c.after) {
					t.Fatalf("before %q: %q already shown", c.key, c.after)
				}
				if cmd := press(m, c.key); cmd != nil {
					t.Errorf("key %q returned a command", c.key)
				}
				after := plain(t, m)
				if !strings.Contains(after, c.after) {
					t.Fatalf("after %q: %q missing\n%s", c.key, c.after, after)
				}
				if c.key != "space" && strings.Contains(after, c.before) {
					t.Fatalf("after %q: %q still shown\n%s", c.key, c.before, after)
				}
				checkGeometry(t, m.View().Content, sz.w, sz.h)
				// The next frame reloads the same settings from the controls.
				m.Update(frameMsg{t: frameTime.Add(time.Second)})
				if again := plain(t, m); !strings.Contains(again, c.after) {
					t.Fatalf("after a frame: %q missing", c.after)
				}
			})
		}
	}
}

// r throws the run away, so it asks first: y resets, any other key keeps
// the run (and does nothing else).
func TestResetAsksFirst(t *testing.T) {
	for _, sz := range sizes {
		m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
		press(m, "r")
		asked := plain(t, m)
		checkGeometry(t, asked, sz.w, sz.h)
		if !strings.Contains(asked, "reset the run?") || !strings.Contains(asked, "run 1") {
			t.Fatalf("%dx%d after r: no question, or the run already reset\n%s", sz.w, sz.h, asked)
		}
		press(m, "d") // cancels, and is not taken as the dup toggle
		kept := plain(t, m)
		if strings.Contains(kept, "reset the run?") || !strings.Contains(kept, "run 1") || !strings.Contains(kept, "dup 5% on") {
			t.Fatalf("%dx%d after r d: want the run kept and dup unchanged\n%s", sz.w, sz.h, kept)
		}
		press(m, "r", "y")
		if got := plain(t, m); !strings.Contains(got, "run 2") || strings.Contains(got, "reset the run?") {
			t.Fatalf("%dx%d after r y: want run 2\n%s", sz.w, sz.h, got)
		}
	}
}

// TestFrameLoadsSettings: another actor changing the controls shows on the
// next frame.
func TestFrameLoadsSettings(t *testing.T) {
	ctl := testControls(t)
	m := newTestModel(t, ctl, testSnapshot(), 80, 24)
	ctl.Apply(bus.ToggleDedup)
	if strings.Contains(plain(t, m), "dedup off") {
		t.Fatal("changed before the frame")
	}
	m.Update(frameMsg{t: frameTime.Add(100 * time.Millisecond)})
	if !strings.Contains(plain(t, m), "dedup off") {
		t.Fatal("frame did not reload the settings")
	}
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := newTestModel(t, testControls(t), testSnapshot(), 80, 24)
		if !isQuit(press(m, k)) {
			t.Errorf("%s does not quit", k)
		}
	}
	// While the filter has focus, q is text and ctrl+c still quits.
	m := newTestModel(t, testControls(t), testSnapshot(), 80, 24)
	if isQuit(press(m, "/", "q")) {
		t.Error("q quit while filtering")
	}
	if !isQuit(press(m, "ctrl+c")) {
		t.Error("ctrl+c does not quit while filtering")
	}
}

func TestFullHelp(t *testing.T) {
	for _, sz := range sizes {
		m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
		press(m, "?")
		// Every page of the help, as it scrolls (j) to its end.
		got, last := "", ""
		for range 100 {
			page := plain(t, m)
			checkGeometry(t, page, sz.w, sz.h)
			if page == last {
				break
			}
			got, last = got+page, page
			press(m, "j")
		}
		for _, g := range m.keys.FullHelp() {
			for _, b := range g {
				h := b.Help()
				if !strings.Contains(got, h.Key) || !strings.Contains(got, h.Desc) {
					t.Errorf("%dx%d: full help lacks %q %q\n%s", sz.w, sz.h, h.Key, h.Desc, got)
				}
			}
		}
		for _, k := range []string{"d", "l", "o", "t", "u", "[", "]", "+", "-", "space", "r",
			"tab", "shift+tab", "/", "?", "q", "enter", "pgup", "pgdown"} {
			if !strings.Contains(got, k) {
				t.Errorf("%dx%d: full help lacks key %q", sz.w, sz.h, k)
			}
		}
		press(m, "?")
		if strings.Contains(plain(t, m), "toggle help") {
			t.Error("? does not close the full help")
		}
	}
}

func TestFilter(t *testing.T) {
	ctl := testControls(t)
	m := newTestModel(t, ctl, testSnapshot(), 80, 24)
	press(m, "/")
	for _, r := range "cat-2" {
		press(m, string(r))
	}
	if ctl.Load().Dup != testSettings().Dup {
		t.Fatal("typing in the filter reached the toggles")
	}
	if !strings.Contains(ansi.Strip(m.cmp.View()), "/ cat-2") {
		t.Fatalf("filter input not shown:\n%s", ansi.Strip(m.cmp.View()))
	}
	press(m, "enter")
	table := ansi.Strip(m.cmp.View())
	if !strings.Contains(table, "2 rows (filter: cat-2)") {
		t.Fatalf("no filtered row count:\n%s", table)
	}
	if n := strings.Count(table, "cat-2"); n != 2+1 { // two rows and the status line
		t.Errorf("%d cat-2 mentions, want 3:\n%s", n, table)
	}
	for _, c := range []string{"cat-1", "cat-3", "cat-4"} {
		if strings.Contains(table, c) {
			t.Errorf("filtered table still shows %s:\n%s", c, table)
		}
	}
	checkGeometry(t, m.View().Content, 80, 24)
	// Keys act on the run again once the filter is applied.
	press(m, "d")
	if ctl.Load().Dup.On {
		t.Error("d after the filter did not toggle dup")
	}
	// The filter survives new frames, and esc clears it.
	m.Update(frameMsg{t: frameTime.Add(time.Second)})
	if !strings.Contains(ansi.Strip(m.cmp.View()), "2 rows") {
		t.Error("filter lost on a frame")
	}
	press(m, "esc")
	if !strings.Contains(ansi.Strip(m.cmp.View()), "5 rows") {
		t.Errorf("esc did not clear the filter:\n%s", ansi.Strip(m.cmp.View()))
	}
	// Case-insensitive, and esc while typing leaves with no filter.
	press(m, "/", "D", "E", "V", "-", "7", "F", "enter")
	if !strings.Contains(ansi.Strip(m.cmp.View()), "3 rows (filter: DEV-7F)") {
		t.Errorf("case-insensitive filter:\n%s", ansi.Strip(m.cmp.View()))
	}
	press(m, "/", "x", "esc")
	if !strings.Contains(ansi.Strip(m.cmp.View()), "5 rows") || m.filtering {
		t.Errorf("esc in the input did not clear:\n%s", ansi.Strip(m.cmp.View()))
	}
}

func TestScroll(t *testing.T) {
	snap := testSnapshot()
	cs := *snap.Compare
	rows := cs.Report.Exceptions
	for i := range 40 {
		rows = append(rows, row(time.Duration(100+5*i)*time.Second, "dev-19c4", "cat-1", int64(i), 0, true, false, false))
	}
	cs.Report.Exceptions = rows
	snap.Compare = &cs
	m := newTestModel(t, testControls(t), snap, 80, 24)
	before := ansi.Strip(m.cmp.View())
	if !strings.Contains(before, "45 rows · 1–5/45") {
		t.Fatalf("no position:\n%s", before)
	}
	// The keys move the selected row; the visible slice follows it.
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"down"}, "1–5/45"},
		{[]string{"down", "down", "down", "down"}, "2–6/45"},
		{[]string{"pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown"}, "41–45/45"},
		{[]string{"up", "up", "up", "up", "up"}, "40–44/45"},
		{[]string{"g"}, "1–5/45"}, {[]string{"G"}, "41–45/45"}, {[]string{"home"}, "1–5/45"}, {[]string{"end"}, "41–45/45"},
		{[]string{"k", "k", "k", "k", "k"}, "40–44/45"}, {[]string{"j", "j", "j", "j", "j"}, "41–45/45"},
	} {
		press(m, c.keys...)
		if got := ansi.Strip(m.cmp.View()); !strings.Contains(got, c.want) {
			t.Fatalf("%v: want %s:\n%s", c.keys, c.want, got)
		}
	}
	// Focus moves with tab; the engine list then takes the keys.
	press(m, "tab")
	if m.focus != paneRates {
		t.Fatalf("focus %d after tab, want rates", m.focus)
	}
	press(m, "shift+tab", "shift+tab")
	if m.focus != paneEngine {
		t.Fatalf("focus %d after shift+tab twice, want engine", m.focus)
	}
	press(m, "down")
	if got := ansi.Strip(m.cmp.View()); !strings.Contains(got, "41–45/45") {
		t.Fatalf("down on the engine pane scrolled the comparator:\n%s", got)
	}
	checkGeometry(t, m.View().Content, 80, 24)
}

func TestStoppingQuits(t *testing.T) {
	snap := testSnapshot()
	run := *snap.Run
	run.State = bus.Stopping
	snap.Run = &run
	m, err := New(Options{Controller: testControls(t), Source: func() bus.Snapshot { return snap }})
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(frameMsg{t: frameTime})
	if !isQuit(cmd) {
		t.Fatal("a stopping run does not quit the screen")
	}
}

func TestAwaitingConfirm(t *testing.T) {
	snap := testSnapshot()
	run := *snap.Run
	run.State = bus.AwaitingConfirm
	snap.Run = &run
	ctl := testControls(t)
	for _, sz := range sizes {
		m := newTestModel(t, ctl, snap, sz.w, sz.h)
		got := plain(t, m)
		checkGeometry(t, got, sz.w, sz.h)
		if !strings.Contains(got, "run ended — press enter to tear down, q to quit") {
			t.Fatalf("%dx%d: no banner:\n%s", sz.w, sz.h, got)
		}
	}
	m := newTestModel(t, ctl, snap, 80, 24)
	if ctl.Load().Confirmed {
		t.Fatal("confirmed before enter")
	}
	press(m, "enter")
	if !ctl.Load().Confirmed {
		t.Fatal("enter did not confirm the end of the run")
	}
	if !strings.Contains(plain(t, m), "confirmed") {
		t.Error("banner does not show the confirmation")
	}
}

func TestEnterIgnoredWhileRunning(t *testing.T) {
	ctl := testControls(t)
	m := newTestModel(t, ctl, testSnapshot(), 80, 24)
	press(m, "enter")
	if ctl.Load().Confirmed {
		t.Fatal("enter confirmed a run that is not awaiting confirmation")
	}
}

func TestFrames(t *testing.T) {
	calls := 0
	snap := testSnapshot()
	m, err := New(Options{Controller: testControls(t), FPS: 50,
		Source: func() bus.Snapshot { calls++; return snap }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Init() == nil {
		t.Fatal("Init returns no command")
	}
	for range 3 {
		_ = m.View()
	}
	if calls != 0 {
		t.Fatalf("View called Source %d times", calls)
	}
	start := time.Now()
	_, cmd := m.Update(frameMsg{t: frameTime})
	if calls != 1 {
		t.Fatalf("one frame called Source %d times", calls)
	}
	msg := cmd()
	if _, ok := msg.(frameMsg); !ok {
		t.Fatalf("frame scheduled %T, want the next frame", msg)
	}
	if d := time.Since(start); d < 19*time.Millisecond {
		t.Errorf("next frame after %v, want 20ms at 50 fps", d)
	}
	// Keys do not read the source either.
	press(m, "d", "?", "?", "tab")
	if calls != 1 {
		t.Fatalf("keys called Source (%d calls)", calls)
	}
}

func TestHeaderTimes(t *testing.T) {
	m := newTestModel(t, testControls(t), testSnapshot(), 120, 40)
	got := plain(t, m)
	for _, s := range []string{"elapsed 00:42", "left 01:18", "clock virtual", "(embedded)"} {
		if !strings.Contains(got, s) {
			t.Errorf("header lacks %q", s)
		}
	}
	snap := testSnapshot()
	run := *snap.Run
	run.Duration = 0
	snap.Run = &run
	m = newTestModel(t, testControls(t), snap, 120, 40)
	if got := plain(t, m); !strings.Contains(got, "left ∞") {
		t.Errorf("unbounded run: no ∞\n%s", strings.SplitN(got, "\n", 2)[0])
	}
}

func TestBeforeFirstSize(t *testing.T) {
	m, err := New(Options{Controller: testControls(t), Source: func() bus.Snapshot { return bus.Snapshot{} }})
	if err != nil {
		t.Fatal(err)
	}
	got := m.View().Content
	checkGeometry(t, got, 80, 24)
	for _, s := range []string{"waiting for injector", "waiting for engine", "waiting for comparator",
		"waiting for rates", "waiting for run", "dup 5% on", "mode event"} {
		if !strings.Contains(ansi.Strip(got), s) {
			t.Errorf("empty screen lacks %q", s)
		}
	}
	// A frame with an empty snapshot, then a full one at 80×24.
	m.Update(frameMsg{t: frameTime})
	checkGeometry(t, m.View().Content, 80, 24)
	m2 := newTestModel(t, testControls(t), testSnapshot(), -1, 0)
	checkGeometry(t, m2.View().Content, 80, 24)
}

func TestSmallTerminals(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{20, 5}, {0, 0}, {1, 1}, {79, 24}, {80, 23}, {200, 3}, {3, 200}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
			got := m.View().Content
			checkGeometry(t, got, sz.w, sz.h)
			if sz.w >= 20 && sz.h > 0 && !strings.Contains(got, "terminal too small") {
				t.Errorf("no too-small notice: %q", got)
			}
			press(m, "?", "d", "/", "x", "enter", "tab", "down")
			checkGeometry(t, m.View().Content, sz.w, sz.h)
		})
	}
}

// TestManySizes renders every size from 80×24 to 140×60 and checks the
// geometry, with the help and the filter open too.
func TestManySizes(t *testing.T) {
	snap := testSnapshot()
	ctl := testControls(t)
	for w := 80; w <= 140; w += 7 {
		for h := 24; h <= 60; h += 3 {
			m := newTestModel(t, ctl, snap, w, h)
			checkGeometry(t, m.View().Content, w, h)
			press(m, "?")
			checkGeometry(t, m.View().Content, w, h)
			press(m, "?", "/", "c")
			checkGeometry(t, m.View().Content, w, h)
		}
	}
}

func TestResize(t *testing.T) {
	m := newTestModel(t, testControls(t), testSnapshot(), 120, 40)
	for _, sz := range []struct{ w, h int }{{80, 24}, {20, 5}, {0, 0}, {100, 30}, {120, 40}} {
		m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		checkGeometry(t, m.View().Content, sz.w, sz.h)
	}
}

func TestEngineCatchingUp(t *testing.T) {
	m := newTestModel(t, testControls(t), testSnapshot(), 120, 40)
	press(m, "t", "]", "u")
	got := plain(t, m)
	for _, s := range []string{"mode processing (engine: event)", "dedup off (engine: on)", "W 2s (engine: 1s)"} {
		if !strings.Contains(got, s) {
			t.Errorf("lacks %q", s)
		}
	}
}

func TestFinalReport(t *testing.T) {
	snap := testSnapshot()
	cs := *snap.Compare
	cs.Final, cs.Report.Final = true, true
	cs.Report.Settled = compare.Score{Exceptions: 5, Keys: 96}
	cs.Report.Provisional = cs.Report.Settled
	cs.Report.Pending = 1
	cs.Report.PendingRows = []compare.Row{row(70*time.Second, "dev-19c4", "cat-1", 10, 4, true, true, false)}
	snap.Compare = &cs
	m := newTestModel(t, testControls(t), snap, 80, 24)
	got := plain(t, m)
	for _, s := range []string{"5 exceptions out of 96", "FINAL", "pending 1", "1 incomplete"} {
		if !strings.Contains(got, s) {
			t.Errorf("final report lacks %q\n%s", s, got)
		}
	}
}

func TestOpenWindowExceptionsAreCountedNotListed(t *testing.T) {
	snap := testSnapshot()
	cs := *snap.Compare
	open := row(90*time.Second, "dev-open", "cat-1", 40, 0, true, false, false)
	open.DownFinal = false // the engine has not emitted the window yet
	cs.Report.Exceptions = append(append([]compare.Row(nil), cs.Report.Exceptions...), open)
	snap.Compare = &cs
	m := newTestModel(t, testControls(t), snap, 120, 40)
	table := ansi.Strip(m.cmp.View())
	if strings.Contains(table, "dev-open") {
		t.Errorf("a row whose window is open on both sides is listed:\n%s", table)
	}
	if !strings.Contains(table, "5 rows") || !strings.Contains(table, "+1 in windows still open") {
		t.Errorf("want 5 rows and +1 in windows still open:\n%s", table)
	}
}

func TestFooterShowsARecentProblem(t *testing.T) {
	snap := testSnapshot()
	snap.Logs = append(snap.Logs, bus.LogEntry{Time: frameTime.Add(-2 * time.Second), Level: bus.Error,
		Role: "engine", Text: "fetch sampletopic/0: broker \x1b[31mdown"})
	m := newTestModel(t, testControls(t), snap, 80, 24)
	view := ansi.Strip(m.View().Content)
	if !strings.Contains(view, "error engine: fetch sampletopic/0: broker �[31mdown") {
		t.Fatalf("footer does not show the recent error (sanitized):\n%s", view)
	}
	checkGeometry(t, m.View().Content, 80, 24)
	m.Update(frameMsg{t: frameTime.Add(time.Minute)})
	if strings.Contains(ansi.Strip(m.View().Content), "broker") && strings.Contains(ansi.Strip(m.View().Content), "error engine") {
		t.Error("a minute-old error is still in the footer")
	}
}

// The header is drawn again as soon as what it shows changes: the clock
// from one second to the next, the run's state, the settings, the width.
func TestHeaderFollowsItsInputs(t *testing.T) {
	snap := testSnapshot()
	cur := snap
	ctl := testControls(t)
	m, err := New(Options{Controller: ctl, Source: func() bus.Snapshot { return cur }})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	header := func(at time.Time) string {
		m.Update(frameMsg{t: at})
		return strings.SplitN(plain(t, m), "\n", 2)[0]
	}
	first := header(frameTime)
	if again := header(frameTime); again != first {
		t.Fatalf("same inputs, header %q then %q", first, again)
	}
	later := header(frameTime.Add(time.Second))
	if later == first || !strings.Contains(later, fmtClock(frameTime.Add(time.Second).Sub(wallStart))) {
		t.Errorf("a second later: %q (was %q)", later, first)
	}
	run := *snap.Run
	run.State = bus.AwaitingConfirm
	cur.Run = &run
	if h := header(frameTime.Add(time.Second)); !strings.Contains(h, bus.AwaitingConfirm.String()) {
		t.Errorf("state change not shown: %q", h)
	}
	run2 := run
	run2.Broker = "10.0.0.7:9092"
	cur.Run = &run2
	if h := header(frameTime.Add(time.Second)); !strings.Contains(h, "10.0.0.7:9092") {
		t.Errorf("broker change not shown: %q", h)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 40})
	if h := header(frameTime.Add(time.Second)); strings.Contains(h, "elapsed") {
		t.Errorf("narrow header at 80 columns: %q", h)
	}
}
