package compare

import (
	"strings"
	"unicode/utf8"
)

// MaxPrintable bounds how much of one untrusted string Printable keeps:
// nothing shown is wider, and a hostile record must not cost much.
const MaxPrintable = 4096

// Printable makes untrusted text (device ids, categories, messages read
// from Kafka or files) safe for a terminal. C0 and C1 control characters,
// DEL and ESC (so every escape sequence introducer: CSI, OSC, DCS, …) become
// U+FFFD, as do invalid UTF-8 and the bidirectional controls that could
// reorder what follows them; tabs and line breaks become a space so a value
// stays on its line. Printable text is returned unchanged.
func Printable(s string) string {
	if len(s) > MaxPrintable {
		s = s[:MaxPrintable]
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError) // an invalid byte (also a rune cut at MaxPrintable)
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			b.WriteRune(utf8.RuneError)
		case r == '\u061c' || r == '\u200e' || r == '\u200f' ||
			(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
