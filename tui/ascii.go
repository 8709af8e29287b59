package tui

import (
	"os"
	"strings"
	"unicode/utf8"
)

// A terminal whose locale is not UTF-8 (LANG=C, a bare console) shows the
// screen's box drawing, dots and arrows as garbage: there the frame is
// drawn in ASCII, each glyph replaced by a one-cell ASCII look-alike (so
// every column stays where it was) and any other non-ASCII rune by "?".

// asciiLocale reports whether the locale asks for ASCII: the first of
// LC_ALL, LC_CTYPE and LANG that is set names no UTF-8 charset. None set
// is taken as UTF-8, as every current terminal is.
func asciiLocale(getenv func(string) string) bool {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(name); v != "" {
			v = strings.ToLower(v)
			return !strings.Contains(v, "utf-8") && !strings.Contains(v, "utf8")
		}
	}
	return false
}

// asciiGlyphs are the screen's glyphs and their one-cell ASCII stand-ins.
var asciiGlyphs = map[rune]byte{
	'─': '-', '━': '-', '│': '|', '┃': '|', '┤': '|', '├': '|', '┼': '+', '┬': '+', '┴': '+',
	'╭': '+', '╮': '+', '╰': '+', '╯': '+', '┏': '+', '┓': '+', '┗': '+', '┛': '+',
	'┌': '+', '┐': '+', '└': '+', '┘': '+',
	'·': '|', '…': '~', '—': '-', '–': '-', '−': '-', 'Δ': 'd', '≤': '<', '≥': '>', '×': 'x',
	'↑': '^', '↓': 'v', '→': '>', '←': '<', '▸': '>', '█': '#', '░': '.', '•': '*', '∞': '-',
}

// asciiFrame is frame with every non-ASCII rune replaced (escape codes,
// being ASCII, pass as they are).
func asciiFrame(frame string) string {
	var b strings.Builder
	b.Grow(len(frame))
	for _, r := range frame {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case asciiGlyphs[r] != 0:
			b.WriteByte(asciiGlyphs[r])
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// localeASCII is asciiLocale of this process's environment.
func localeASCII() bool { return asciiLocale(os.Getenv) }
