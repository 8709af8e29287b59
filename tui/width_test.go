package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Emoji sequences whose width depends on the rule: per grapheme cluster the
// family is 2 cells and the flag 2; per codepoint (wcwidth) 8 and 3.
const (
	family  = "👩‍👩‍👧‍👦"
	rainbow = "🏳️‍🌈"
)

// emojiSnapshot is the test snapshot with ZWJ sequences in its ids, labels
// and texts.
func emojiSnapshot() bus.Snapshot {
	snap := testSnapshot()
	run := *snap.Run
	run.Broker = family + ".example:9092"
	snap.Run = &run
	eng := *snap.Engine
	eng.Recent = append([]bus.LateEvent(nil), eng.Recent...)
	for i := range eng.Recent {
		eng.Recent[i].Device = "dev-" + family + family
		eng.Recent[i].Category = rainbow + "cat"
	}
	snap.Engine = &eng
	cs := *snap.Compare
	cs.Downstream = "flink " + family + strings.Repeat(rainbow, 30)
	cs.Report.Exceptions = append(cs.Report.Exceptions[:0:0], cs.Report.Exceptions...)
	for i := range cs.Report.Exceptions {
		cs.Report.Exceptions[i].Device = family + "-dev-" + strings.Repeat(family, i)
		cs.Report.Exceptions[i].Category = strings.Repeat(rainbow, i+1)
	}
	snap.Compare = &cs
	rs := *snap.Rates
	rs.Source = rainbow + " rates " + family
	rs.Alerts = append([]bus.RateAlert(nil), rs.Alerts...)
	for i := range rs.Alerts {
		rs.Alerts[i].Message = strings.Repeat(family+rainbow, 20)
	}
	snap.Rates = &rs
	snap.Logs = append(snap.Logs[:0:0], snap.Logs...)
	snap.Logs[0].Text = strings.Repeat(family, 80)
	return snap
}

// cellAt is the cluster that covers column c of a plain line under a width
// rule, as the renderer segments it ("" past the end). (ansi's Method.Cut is
// not used: under WcWidth it cuts the left side as a truncation.)
func cellAt(m ansi.Method, line string, c int) string {
	x := 0
	for line != "" {
		cluster, w := ansi.FirstGraphemeCluster(line, m)
		if c < x+w {
			return cluster
		}
		x += w
		line = line[len(cluster):]
	}
	return ""
}

// TestEmojiSequencesKeepTheLayout: under either width rule the renderer
// may use (per codepoint until the terminal reports grapheme clustering,
// mode 2027), every line is exactly the terminal's width by that rule and
// the panes' borders stay in their columns.
func TestEmojiSequencesKeepTheLayout(t *testing.T) {
	for _, method := range []ansi.Method{ansi.WcWidth, ansi.GraphemeWidth} {
		for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 50}} {
			t.Run(fmt.Sprintf("method%d/%dx%d", method, sz.w, sz.h), func(t *testing.T) {
				m := newTestModel(t, testControls(t), emojiSnapshot(), sz.w, sz.h)
				if method == ansi.GraphemeWidth {
					m.Update(tea.ModeReportMsg{Mode: ansi.ModeUnicodeCore, Value: ansi.ModeSet})
				}
				press(m, "tab") // a thick border too
				checkEmojiLayout(t, m, method, sz.w, sz.h)
				press(m, "?")
				checkEmojiLayout(t, m, method, sz.w, sz.h)
			})
		}
	}
}

func checkEmojiLayout(t *testing.T, m *Model, method ansi.Method, w, h int) {
	t.Helper()
	lines := strings.Split(ansi.Strip(m.View().Content), "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := method.StringWidth(l); lw != w {
			t.Errorf("line %d is %d cells by the screen's rule, want %d: %q", i, lw, w, l)
		}
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d grapheme cells, more than %d: %q", i, lw, w, l)
		}
	}
	if m.showHelp {
		return
	}
	isBorder := func(s string) bool { return s != "" && strings.Contains("│┃╭╮╰╯┏┓┗┛", s) }
	for i := 1; i <= m.topH+m.botH; i++ {
		split := w / 2
		if i > m.topH {
			split = w * 5 / 8
		}
		for _, c := range []int{0, split - 1, split, w - 1} {
			if got := cellAt(method, lines[i], c); !isBorder(got) {
				t.Errorf("line %d column %d: %q, want a border\n%s", i, c, got, strings.Join(lines, "\n"))
				return
			}
		}
	}
}
