package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
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
