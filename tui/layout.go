package tui

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"
)

// cellRule measures and cuts text in terminal cells the way the renderer
// lays the screen out: per codepoint (wcwidth) until the terminal reports
// grapheme clustering (mode 2027), then per grapheme cluster. Every width
// on the screen goes through it: an emoji ZWJ sequence measured by one rule
// and drawn by the other (👩‍👩‍👧‍👦 is 2 cells as a cluster, 8 as codepoints)
// would push every border after it out of its column.
type cellRule struct{ method ansi.Method }

// width is s's width in cells; s may hold styles.
func (c cellRule) width(s string) int { return c.method.StringWidth(s) }

// widest is the width of s's widest line.
func (c cellRule) widest(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, c.width(l))
	}
	return w
}

// truncate cuts s, which is wider than w cells, to w cells ending in "…".
func (c cellRule) truncate(s string, w int) string {
	if c.method == ansi.WcWidth {
		// x/ansi v0.11.9's TruncateWc returns s whole when its width per
		// grapheme cluster fits, however wide it is per codepoint (👩‍👩‍👧‍👦
		// is 2 against 8): padding that lies past the cut makes it cut.
		s += strings.Repeat(" ", w+1)
	}
	return c.method.Truncate(s, w, "…")
}

// fit truncates (with "…") or pads s, which may hold styles, to exactly w
// cells. It returns "" for w ≤ 0.
func (c cellRule) fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := c.width(s)
	if sw > w {
		s = c.truncate(s, w)
		sw = c.width(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// clip truncates s to at most w cells without padding.
func (c cellRule) clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if c.width(s) > w {
		return c.truncate(s, w)
	}
	return s
}

// blank returns n lines of w spaces.
func blank(n, w int) []string {
	out := make([]string, max(n, 0))
	for i := range out {
		out[i] = strings.Repeat(" ", max(w, 0))
	}
	return out
}

// pack lays items out greedily on lines of at most w cells, separated by
// sep. An item wider than w gets a line of its own (and is cut later).
func (c cellRule) pack(items []string, sep string, w int) []string {
	var lines []string
	var cur strings.Builder
	curW := 0
	sepW := c.width(sep)
	for _, it := range items {
		if it == "" {
			continue
		}
		iw := c.width(it)
		if curW > 0 && curW+sepW+iw > w {
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		if curW > 0 {
			cur.WriteString(sep)
			curW += sepW
		}
		cur.WriteString(it)
		curW += iw
	}
	if curW > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// Border pieces: rounded for panes, thick for the focused one, so focus
// shows without colour.
type borderSet struct{ tl, tr, bl, br, h, v string }

var (
	roundBorder = borderSet{"╭", "╮", "╰", "╯", "─", "│"}
	thickBorder = borderSet{"┏", "┓", "┗", "┛", "━", "┃"}
)

// box draws body inside a w×h frame titled title: exactly h lines of exactly
// w cells (fewer cells only when w < 2). The body is padded by one column on
// each side and cut to the frame.
func box(st *styles, title string, body []string, w, h int, focused bool) []string {
	if h <= 0 {
		return nil
	}
	if w < 4 || h < 2 {
		return blank(h, w)
	}
	b, bs := roundBorder, st.border
	if focused {
		b, bs = thickBorder, st.focused
	}
	inner := w - 2
	out := make([]string, 0, h)

	// top: ╭─ Title ───╮
	t := st.cells.clip(title, inner-3)
	tw := st.cells.width(t)
	var top string
	if tw > 0 {
		top = bs.Render(b.tl+b.h) + " " + st.title.Render(t) + " " +
			bs.Render(strings.Repeat(b.h, max(inner-3-tw, 0))+b.tr)
	} else {
		top = bs.Render(b.tl + strings.Repeat(b.h, inner) + b.tr)
	}
	out = append(out, top)

	left, right := bs.Render(b.v), bs.Render(b.v)
	cw := max(inner-2, 0)
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(body) {
			line = body[i]
		}
		out = append(out, left+" "+st.cells.fit(line, cw)+" "+right)
	}
	out = append(out, bs.Render(b.bl+strings.Repeat(b.h, inner)+b.br))
	return out
}

// contentSize is the body area of a w×h box.
func contentSize(w, h int) (int, int) {
	return max(w-4, 0), max(h-2, 0)
}

// joinColumns places blocks of lines side by side; each block's lines
// already have their block's exact width.
func joinColumns(height int, blocks ...[]string) []string {
	out := make([]string, height)
	for i := range out {
		var sb strings.Builder
		for _, b := range blocks {
			if i < len(b) {
				sb.WriteString(b[i])
			}
		}
		out[i] = sb.String()
	}
	return out
}

// kv renders "label value".
func kv(st *styles, label, value string) string {
	return st.labelInk.paint(label) + " " + st.valueInk.paint(value)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ftoa formats f with prec decimals, "—" for NaN and ±∞.
func ftoa(f float64, prec int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// num formats a float without needless decimals ("20", "2.5").
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// finite returns the finite values of xs (asciigraph cannot scale NaN/∞).
func finite(xs []float64) []float64 {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out := make([]float64, 0, len(xs))
			for _, y := range xs {
				if !math.IsNaN(y) && !math.IsInf(y, 0) {
					out = append(out, y)
				}
			}
			return out
		}
	}
	return xs
}

// chart plots series in at most w×h cells with asciigraph, or returns nil
// when there is no room (w < 16, h < 2) or fewer than two points. Points
// are never averaged away: when there are more than columns the newest are
// shown, and when fewer the series is stretched by a whole factor so every
// sample stays a vertex.
func chart(series []float64, w, h int) []string {
	series = finite(series)
	if len(series) < 2 || w < 16 || h < 2 {
		return nil
	}
	span := func(xs []float64) (float64, float64) {
		lo, hi := xs[0], xs[0]
		for _, x := range xs {
			lo, hi = min(lo, x), max(hi, x)
		}
		return lo, hi
	}
	lo, hi := span(series)
	prec := 2
	switch m := max(math.Abs(lo), math.Abs(hi)); {
	case m >= 1000:
		prec = 0
	case m >= 10:
		prec = 1
	}
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	lw := max(len(format(lo)), len(format(hi)))
	// Rendered width is label (lw+1) + axis (1) + one column per segment.
	dw := w - lw - 2
	if dw < 4 {
		return nil
	}
	if n := len(series); n-1 > dw {
		series = series[n-1-dw:]
		if lo2, hi2 := span(series); lo2 != lo || hi2 != hi {
			return chart(series, w, h) // the label width may have changed
		}
	}
	opts := []asciigraph.Option{
		asciigraph.Height(max(h-1, 1)),
		asciigraph.Offset(2),
		asciigraph.YAxisValueFormatter(format),
	}
	if k := dw / (len(series) - 1); k > 1 {
		opts = append(opts, asciigraph.Width((len(series)-1)*k+1))
	}
	lines := strings.Split(asciigraph.Plot(series, opts...), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	return lines
}
