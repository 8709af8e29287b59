package tui

import (
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// wrapStyled is plain text s wrapped to w cells, each line in style.
func wrapStyled(style lipgloss.Style, s string, w int) []string {
	lines := wrapWords(s, max(w, 8))
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return lines
}

// wrapWords wraps plain text s to w cells, breaking at spaces only (a
// flag like "-b" or a path stays whole) and cutting a word only when it
// is wider than a line.
func wrapWords(s string, w int) []string {
	w = max(w, 1)
	var lines []string
	cur, curW := "", 0
	for _, word := range strings.Fields(s) {
		ww := ansi.StringWidth(word)
		if curW > 0 && curW+1+ww > w {
			lines, cur, curW = append(lines, cur), "", 0
		}
		for ww > w { // a word wider than a line (plain text: no escapes)
			head := ansi.Truncate(word, w, "")
			if head == "" { // a character wider than the line: alone on it
				_, size := utf8.DecodeRuneInString(word)
				head = word[:size]
			}
			lines, word = append(lines, head), word[len(head):]
			ww = ansi.StringWidth(word)
		}
		if word == "" {
			continue
		}
		if curW > 0 {
			cur, curW = cur+" ", curW+1
		}
		cur, curW = cur+word, curW+ww
	}
	if cur == "" && len(lines) > 0 {
		return lines
	}
	return append(lines, cur)
}

// fitRows joins the lines of list rows for n lines of cw cells; a row
// taller than n (the only one shown) keeps its first n lines, the last
// marked " …" (the rest is cut: the pane has no more room).
func fitRows(st *styles, rows [][]string, n, cw int) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	if len(out) > n && n > 0 {
		out = out[:n]
		out[n-1] = st.cells.clip(out[n-1], max(cw-2, 1)) + " …"
	}
	return out
}
