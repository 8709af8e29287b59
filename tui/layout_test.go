package tui

import (
	"math"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestChart(t *testing.T) {
	series := map[string][]float64{
		"flat":     {5, 5, 5, 5},
		"two":      {1, 2},
		"nan":      {math.NaN(), 1, math.Inf(1), 3, 2},
		"allnan":   {math.NaN(), math.NaN()},
		"negative": {-120.5, 30, -50, 0.25},
		"huge":     {1e15, -1e15, 3e14},
		"tiny":     {0.0001, 0.0002, 0.00015},
		"long":     make([]float64, 1000),
	}
	for i := range series["long"] {
		series["long"][i] = math.Sin(float64(i) / 10)
	}
	for name, s := range series {
		for _, w := range []int{0, 10, 16, 26, 40, 120} {
			for _, h := range []int{0, 1, 2, 3, 8, 30} {
				lines := chart(s, w, h)
				if len(lines) > h {
					t.Errorf("%s %dx%d: %d lines", name, w, h, len(lines))
				}
				for _, l := range lines {
					// Over-wide lines are cut by the box; they must not be absurd.
					if lw := ansi.StringWidth(l); lw > w+8 {
						t.Errorf("%s %dx%d: line %d wide: %q", name, w, h, lw, l)
					}
				}
			}
		}
	}
	if chart([]float64{1}, 40, 5) != nil {
		t.Error("one point plotted")
	}
	// Every sample stays a vertex: the peak's label is the max.
	g := chart([]float64{30, 70, 0, -50, -50, 120.5, -30.5, 20}, 40, 5)
	if len(g) == 0 || !strings.Contains(g[0], "120.5") {
		t.Errorf("peak lost: %q", g)
	}
}

func TestFitPackBox(t *testing.T) {
	st := newStyles("", true, false, ansi.GraphemeWidth)
	for _, w := range []int{0, 1, 5, 20} {
		if got := ansi.StringWidth(st.cells.fit(st.bad.Render("温度 ≥ 50 — long text here"), w)); got != w {
			t.Errorf("fit to %d gave %d cells", w, got)
		}
	}
	lines := st.cells.pack([]string{"aaaa", "bbbb", "", "cccccccccccc", "d"}, " · ", 11)
	if strings.Join(lines, "|") != "aaaa · bbbb|cccccccccccc|d" {
		t.Errorf("pack: %q", lines)
	}
	for _, sz := range []struct{ w, h int }{{0, 0}, {1, 1}, {3, 5}, {4, 2}, {10, 3}, {40, 10}} {
		b := box(st, "Title that is long", []string{"x", "温度温度温度温度温度温度"}, sz.w, sz.h, sz.w%2 == 0)
		if len(b) != sz.h {
			t.Fatalf("box %dx%d: %d lines", sz.w, sz.h, len(b))
		}
		for _, l := range b {
			if ansi.StringWidth(l) != sz.w {
				t.Fatalf("box %dx%d: line %q is %d wide", sz.w, sz.h, ansi.Strip(l), ansi.StringWidth(l))
			}
		}
	}
}

// An ink paints what its style renders, byte for byte, in every palette.
func TestInkPaintsAsRender(t *testing.T) {
	texts := []string{"", "sent", "12 345", "温度 ≥ 50", "a\tb", "two\nlines", "cr\r", "\x1b[1mbold\x1b[m", "\x00"}
	for _, dark := range []bool{true, false} {
		for _, noColor := range []bool{true, false} {
			st := newStyles("", dark, noColor, ansi.WcWidth)
			for _, c := range []struct {
				name  string
				style lipgloss.Style
				ink   ink
			}{{"label", st.label, st.labelInk}, {"value", st.value, st.valueInk}, {"bad", st.bad, newInk(st.bad)}} {
				if !c.ink.ok && !noColor {
					t.Errorf("%s (dark %v): no escape codes taken", c.name, dark)
				}
				for _, s := range texts {
					if got, want := c.ink.paint(s), c.style.Render(s); got != want {
						t.Errorf("%s (dark %v, no colour %v) %q: paint %q, Render %q", c.name, dark, noColor, s, got, want)
					}
				}
			}
			if st.sepText != st.sep.Render(" · ") {
				t.Errorf("separator %q", st.sepText)
			}
		}
	}
}

// TestCellRuleCuts: fit and clip hold to their width under both rules, on
// styled text with emoji ZWJ sequences, and keep the styles' closing codes.
func TestCellRuleCuts(t *testing.T) {
	st := newStyles("", true, false, ansi.WcWidth)
	s := st.bad.Render("abc " + family + family + " " + rainbow + " xyz")
	for _, m := range []ansi.Method{ansi.WcWidth, ansi.GraphemeWidth} {
		c := cellRule{m}
		for w := 0; w <= c.width(s)+1; w++ {
			if got := c.width(c.fit(s, w)); got != w {
				t.Errorf("method %d: fit to %d gave %d cells: %q", m, w, got, c.fit(s, w))
			}
			cut := c.clip(s, w)
			if got := c.width(cut); got > w {
				t.Errorf("method %d: clip to %d gave %d cells: %q", m, w, got, cut)
			}
			if w > 0 && !strings.HasSuffix(cut, "\x1b[m") {
				t.Errorf("method %d: clip to %d lost the closing code: %q", m, w, cut)
			}
		}
	}
}
