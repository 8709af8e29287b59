package tui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/feed/bus"
)

// Statuses the screen merged (it draws each role's newest) are by design:
// the log pane's title does not read like an error about them.
func TestLogTitleReadsCalm(t *testing.T) {
	snap := testSnapshot()
	snap.Coalesced, snap.LogsLost = 2965, 0
	m := newTestModel(t, testControls(t), snap, 120, 40)
	title := strings.SplitN(ansi.Strip(m.logs.View()), "\n", 2)[0]
	if strings.Contains(title, "skipped") || strings.Contains(title, "stale") || strings.Contains(title, "2965") {
		t.Errorf("log title %q", title)
	}
	snap.LogsLost = 12
	m = newTestModel(t, testControls(t), snap, 120, 40)
	if title := strings.SplitN(ansi.Strip(m.logs.View()), "\n", 2)[0]; !strings.Contains(title, "12 older entries not kept") {
		t.Errorf("log title %q: want the entries not kept counted", title)
	}
}

// The log's times say their zone: local by default, UTC when asked.
func TestLogTimesSayTheirZone(t *testing.T) {
	snap := testSnapshot()
	m := newTestModel(t, testControls(t), snap, 120, 40) // local: CET in the tests
	if title := strings.SplitN(ansi.Strip(m.logs.View()), "\n", 2)[0]; !strings.Contains(title, "local times (CET)") ||
		!strings.Contains(ansi.Strip(m.logs.View()), "11:00:02 info") {
		t.Errorf("local: %q", ansi.Strip(m.logs.View()))
	}
	m = newModelWith(t, Options{Source: func() bus.Snapshot { return snap }, Location: time.UTC}, 120, 40)
	if v := ansi.Strip(m.logs.View()); !strings.Contains(v, "times UTC") || !strings.Contains(v, "10:00:02 info") {
		t.Errorf("UTC: %q", v)
	}
}

// Focus reaches the log pane (tab), whose lines then scroll back.
func TestLogPaneTakesTheFocus(t *testing.T) {
	snap := testSnapshot()
	for i := range 30 {
		snap.Logs = append(snap.Logs, bus.LogEntry{Time: wallStart.Add(time.Duration(40+i) * time.Second), Level: bus.Info, Role: "engine", Text: "line " + strconv.Itoa(i)})
	}
	m := newTestModel(t, testControls(t), snap, 120, 40)
	press(m, "tab", "tab") // comparator → rates → log
	if m.focus != paneLog {
		t.Fatalf("focus %d after two tabs, want the log", m.focus)
	}
	before := ansi.Strip(m.logs.View())
	press(m, "k", "k")
	after := ansi.Strip(m.logs.View())
	if before == after || !strings.Contains(after, "2 lines back") || strings.Contains(after, "line 29") {
		t.Errorf("k did not scroll the log back:\n%s", after)
	}
	press(m, "G")
	if got := ansi.Strip(m.logs.View()); !strings.Contains(got, "line 29") {
		t.Errorf("G did not return to the newest:\n%s", got)
	}
	press(m, "tab")
	if m.focus != paneInjector {
		t.Errorf("focus %d after the log, want the injector", m.focus)
	}
}

// A long entry (a command with a path) wraps under its text: nothing of it
// is cut, at 80 columns either; scrolling back counts the wrapped lines.
func TestLogWrapsLongEntries(t *testing.T) {
	snap := testSnapshot()
	cmd := "to watch this run from another terminal: streamtop watch -b 127.0.0.1:35249 --run-key-file /tmp/streamtop-3713874626/run-key"
	snap.Logs = append(snap.Logs[:len(snap.Logs):len(snap.Logs)], bus.LogEntry{Time: snap.Logs[len(snap.Logs)-1].Time, Level: bus.Info, Role: "watch", Text: cmd})
	for _, w := range []int{80, 120} {
		m := newTestModel(t, testControls(t), snap, w, 40)
		view := ansi.Strip(m.logs.View())
		var joined []string
		for _, l := range strings.Split(view, "\n") {
			joined = append(joined, strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "│┃")))
		}
		if !strings.Contains(strings.Join(joined, " "), "--run-key-file /tmp/streamtop-3713874626/run-key") {
			t.Errorf("%d columns: the entry is cut:\n%s", w, view)
		}
		checkGeometry(t, plain(t, m), w, 40)
	}
}

// Every time on the screen says its zone: the panes of event times are
// titled UTC (as windows are labelled), the table's end column too, the
// log and a watcher's "disconnected since" name the local zone.
func TestEveryTimeSaysItsZone(t *testing.T) {
	snap := testSnapshot()
	run := *snap.Run
	run.Disconnected = wallStart.Add(5 * time.Second)
	snap.Run = &run
	m := newTestModel(t, testControls(t), snap, 120, 40)
	for name, view := range map[string]string{"injector": m.inj.View(), "engine": m.eng.View(), "rates": m.rates.View()} {
		if title := strings.SplitN(ansi.Strip(view), "\n", 2)[0]; !strings.Contains(title, "times UTC") {
			t.Errorf("%s title %q does not say its times are UTC", name, title)
		}
	}
	if cmp := ansi.Strip(m.cmp.View()); !strings.Contains(cmp, "window_end UTC") {
		t.Errorf("the table's window ends do not say UTC:\n%s", cmp)
	}
	if header := strings.SplitN(plain(t, m), "\n", 2)[0]; !strings.Contains(header, "disconnected since 11:00:05 CET") {
		t.Errorf("header %q: the time has no zone", header)
	}
}
