package tui

import (
	"strings"
	"testing"
)

// Events ahead of their arrival by more than max-skew, and keys shed past
// the key cap, are counted on the engine pane (as warnings) when there are
// any, and not shown when there are none.
func TestEnginePaneShowsFutureAndShedEvents(t *testing.T) {
	snap := testSnapshot()
	if got := plain(t, newTestModel(t, testControls(t), snap, 120, 40)); strings.Contains(got, "future") || strings.Contains(got, "shed") {
		t.Fatalf("future/shed shown with none:\n%s", got)
	}
	st := *snap.Engine
	st.Stats.Future, st.Stats.Shed = 3, 2
	snap.Engine = &st
	got := plain(t, newTestModel(t, testControls(t), snap, 120, 40))
	for _, want := range []string{"future 3", "shed 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("engine pane lacks %q:\n%s", want, got)
		}
	}
}
