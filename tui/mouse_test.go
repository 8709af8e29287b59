package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/streamtop/streamtop/feed/bus"
)

func mouseModel(t *testing.T, on bool) *Model {
	t.Helper()
	snap := testSnapshot()
	m := newModelWith(t, Options{Source: func() bus.Snapshot { return snap }, Mouse: on}, 120, 40)
	return m
}

// With --mouse, a click focuses the pane under it and selects a table row;
// the wheel scrolls the pane under the pointer. Without it, the mouse does
// nothing and the terminal keeps its own selection.
func TestMouse(t *testing.T) {
	m := mouseModel(t, true)
	if m.View().MouseMode != tea.MouseModeCellMotion {
		t.Fatal("mouse mode not asked for")
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: 3, Button: tea.MouseLeft}) // the injector pane
	if m.focus != paneInjector {
		t.Fatalf("focus %d after a click on the injector", m.focus)
	}
	m.Update(tea.MouseClickMsg{X: 90, Y: 3, Button: tea.MouseLeft})
	if m.focus != paneEngine {
		t.Fatalf("focus %d after a click on the engine", m.focus)
	}
	// The comparator: its table's third row (newest first: 00:00:40).
	top := 1 + m.topH
	m.Update(tea.MouseClickMsg{X: 10, Y: top + m.cmp.firstRowLine + 2, Button: tea.MouseLeft})
	if m.focus != paneComparator || m.cmp.scroll.at != 2 {
		t.Fatalf("focus %d, selected row %d after a click on the third row", m.focus, m.cmp.scroll.at)
	}
	m.Update(tea.MouseWheelMsg{X: 10, Y: top + 3, Button: tea.MouseWheelDown})
	if m.cmp.scroll.at != 3 {
		t.Errorf("the wheel did not move the selection: %d", m.cmp.scroll.at)
	}
	m.Update(tea.MouseClickMsg{X: 10, Y: 1 + m.topH + m.botH + 1, Button: tea.MouseLeft})
	if m.focus != paneLog {
		t.Errorf("focus %d after a click on the log", m.focus)
	}

	off := mouseModel(t, false)
	if off.View().MouseMode != tea.MouseModeNone {
		t.Error("mouse mode asked for without --mouse")
	}
	off.Update(tea.MouseClickMsg{X: 5, Y: 3, Button: tea.MouseLeft})
	if off.focus != paneComparator {
		t.Errorf("a click moved the focus without --mouse")
	}
}
