package tui

import (
	"strings"

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
	var lines []string
	cur, curW := "", 0
	for _, word := range strings.Fields(s) {
		ww := ansi.StringWidth(word)
		if curW > 0 && curW+1+ww > w {
			lines, cur, curW = append(lines, cur), "", 0
		}
		for ww > w { // a word wider than a line
			lines = append(lines, ansi.Truncate(word, w, ""))
			word = ansi.TruncateLeft(word, w, "")
			ww = ansi.StringWidth(word)
		}
		if curW > 0 {
			cur, curW = cur+" ", curW+1
		}
		cur, curW = cur+word, curW+ww
	}
	return append(lines, cur)
}
