package tui

import (
	"strings"
	"testing"
)

// ? explains the figures, not only the keys; where they do not fit, the
// help scrolls, and every term can be reached.
func TestHelpExplainsEveryTerm(t *testing.T) {
	for _, sz := range sizes {
		m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
		press(m, "?")
		seen := map[string]bool{}
		var last string
		for range 200 {
			got := plain(t, m)
			checkGeometry(t, got, sz.w, sz.h)
			for _, g := range glossary {
				if strings.Contains(got, "│ "+g.term+" ") || strings.Contains(got, "┃ "+g.term+" ") {
					seen[g.term] = true
				}
			}
			if got == last {
				break // the end
			}
			last = got
			press(m, "j")
		}
		for _, g := range glossary {
			if !seen[g.term] {
				t.Errorf("%dx%d: %q never shown in the help", sz.w, sz.h, g.term)
			}
		}
		press(m, "g")
		if got := plain(t, m); !strings.Contains(got, "Keys and terms") || !strings.Contains(got, "quit") {
			t.Errorf("%dx%d: g does not go back to the keys\n%s", sz.w, sz.h, got)
		}
		press(m, "G")
		if got := plain(t, m); !strings.Contains(got, glossary[len(glossary)-1].term) {
			t.Errorf("%dx%d: G does not reach the last term\n%s", sz.w, sz.h, got)
		}
	}
}
