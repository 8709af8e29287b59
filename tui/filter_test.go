package tui

import (
	tea "charm.land/bubbletea/v2"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/feed/bus"
)

func TestRowFilter(t *testing.T) {
	rows := []string{"2026-01-01 00:00:20 dev-19c4 cat-2 late dropped (1)", "2026-01-01 00:00:35 dev-7f3a cat-1 missing", "dev-7f3a cat-3 duplicates counted (1)"}
	for _, c := range []struct {
		typed string
		want  []bool
	}{
		{"", []bool{true, true, true}},
		{"DEV-7F", []bool{false, true, true}},
		{"cat-[12]", []bool{true, true, false}},
		{"!cat-[12]", []bool{false, false, true}},
		{"! missing", []bool{true, false, true}},
		{"^dev", []bool{false, false, true}},
		{"(7f3a)", []bool{false, true, true}},     // a regexp: "7f3a"
		{"dropped (", []bool{true, false, false}}, // not a regexp: the text
		{"!", []bool{true, true, true}},
	} {
		f := newRowFilter(c.typed)
		for i, r := range rows {
			if got := f.keeps(r); got != c.want[i] {
				t.Errorf("%q on %q: %v, want %v", c.typed, r, got, c.want[i])
			}
		}
	}
	if d := newRowFilter("dropped (").describe(); d != "dropped (, as text" {
		t.Errorf("describe %q", d)
	}
}

// typing presses each character of s.
func typing(m *Model, s string) {
	for _, r := range s {
		press(m, string(r))
	}
}

// `/` filters the focused list as you type: the log, the alerts and the
// late events as well as the exception table (the default); each keeps its
// own filter, the title says how many rows it keeps, esc clears it.
func TestEveryListFilters(t *testing.T) {
	snap := testSnapshot()
	es := *snap.Engine
	es.Recent = []bus.LateEvent{
		{Device: "dev-19c4", Category: "cat-2", M1: 82, WindowEnd: ms(40 * time.Second)},
		{Device: "dev-7f3a", Category: "cat-1", M1: 18, WindowEnd: ms(45 * time.Second)},
	}
	snap.Engine = &es
	m := newTestModel(t, testControls(t), snap, 120, 40)
	for _, c := range []struct {
		focus      int
		view       func() string
		typed      string
		keep, drop string
		title      string
	}{
		{paneLog, m.logs.View, "malformed", "malformed record skipped", "embedded broker listening", "1 of 3"},
		{paneRates, m.rates.View, "!120", "00:00:05", "00:00:08", "2 of 3"},
		{paneEngine, m.eng.View, "7f3a", "dev-7f3a", "dev-19c4", "1 of 2"},
	} {
		m.setFocus(c.focus)
		press(m, "/")
		typing(m, c.typed)
		got := ansi.Strip(c.view())
		if !strings.Contains(got, c.keep) || strings.Contains(got, c.drop) || !strings.Contains(got, "/ "+c.typed) {
			t.Errorf("pane %d, typing %q: want %q kept, %q gone, the input shown:\n%s", c.focus, c.typed, c.keep, c.drop, got)
		}
		press(m, "enter")
		got = ansi.Strip(c.view())
		if title := strings.SplitN(got, "\n", 2)[0]; !strings.Contains(title, c.title) || strings.Contains(got, c.drop) {
			t.Errorf("pane %d, applied: title %q, want %q; %q still shown", c.focus, title, c.title, c.drop)
		}
	}
	if cmp := ansi.Strip(m.cmp.View()); !strings.Contains(cmp, "5 rows") {
		t.Errorf("the exception table was filtered by another list's filter:\n%s", cmp)
	}
	m.setFocus(paneLog)
	press(m, "esc")
	if got := ansi.Strip(m.logs.View()); !strings.Contains(got, "embedded broker listening") || strings.Contains(got, " of 3") {
		t.Errorf("esc did not clear the log's filter:\n%s", got)
	}
	if got := ansi.Strip(m.eng.View()); strings.Contains(got, "dev-19c4") {
		t.Errorf("esc on the log cleared the late events' filter:\n%s", got)
	}
	m.setFocus(paneInjector)
	press(m, "/", "c", "a", "t", "-", "4", "enter") // no list there: the exception table
	if cmp := ansi.Strip(m.cmp.View()); !strings.Contains(cmp, "1 of 5") && !strings.Contains(cmp, "1 row") {
		t.Errorf("/ from the injector did not filter the exception table:\n%s", cmp)
	}
}

// A log pane that goes away under the focus (the terminal shrank below 40
// lines) hands the focus, and `/`, to the exception table.
func TestFilterNeverTargetsAHiddenLog(t *testing.T) {
	m := newTestModel(t, testControls(t), testSnapshot(), 120, 40)
	m.setFocus(paneLog)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	press(m, "/")
	typing(m, "zzz")
	if m.filterOn != paneComparator || !strings.Contains(ansi.Strip(m.cmp.View()), "/ zzz") {
		t.Errorf("the filter edits pane %d, focus %d:\n%s", m.filterOn, m.focus, plain(t, m))
	}
}
