package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// styles is every style the screen uses, built once per theme, background
// (isDark) and colour policy (NO_COLOR). Meaning never rests on colour
// alone: the focused pane also gets a thick border, provisional rows a "~",
// so the screen still reads under the ASCII profile or NO_COLOR.
type styles struct {
	noColor bool     // no colour at all: bold, faint and reverse only
	cells   cellRule // how text is measured: the renderer's rule

	header    lipgloss.Style // "streamtop"
	title     lipgloss.Style // pane titles
	label     lipgloss.Style // "sent", "watermark", …
	value     lipgloss.Style
	faint     lipgloss.Style
	sep       lipgloss.Style // " · " between items
	good      lipgloss.Style // 0 exceptions, toggles on, running
	bad       lipgloss.Style // exceptions, errors
	warn      lipgloss.Style // paused, pending
	banner    lipgloss.Style // run ended / error line
	colHeader lipgloss.Style // table headers
	border    lipgloss.Style
	focused   lipgloss.Style // border of the focused pane
	chart     lipgloss.Style

	help  help.Styles
	input textinput.Styles

	// The styles painted most (every item of the header and of the
	// panes' summary lines, at every frame), as their escape codes.
	labelInk, valueInk ink
	sepText            string // " · ", painted
}

// ink is a style that only sets colours and attributes, as the escape
// codes it puts around a line: painting is then a concatenation, where
// Style.Render measures and rebuilds the string each time.
type ink struct {
	style       lipgloss.Style
	open, close string
	ok          bool
}

func newInk(s lipgloss.Style) ink {
	r := s.Render("\x00")
	i := strings.IndexByte(r, 0)
	if i < 0 || strings.IndexByte(r[i+1:], 0) >= 0 {
		return ink{style: s}
	}
	return ink{style: s, open: r[:i], close: r[i+1:], ok: true}
}

// paint is style.Render(text), byte for byte: a line without tabs is
// wrapped in the codes; anything else goes to Render.
func (k ink) paint(text string) string {
	if !k.ok || strings.ContainsAny(text, "\t\n\r") {
		return k.style.Render(text)
	}
	return k.open + text + k.close
}

// withInks completes s with the inks of its styles.
func (s *styles) withInks() *styles {
	s.labelInk, s.valueInk = newInk(s.label), newInk(s.value)
	s.sepText = s.sep.Render(" · ")
	return s
}

// newStyles builds the styles of a theme (see Options.Theme) for the
// terminal's background (isDark) and NO_COLOR; an unknown theme is "auto".
func newStyles(theme string, isDark, noColor bool, cells ansi.Method) *styles {
	p := pickPalette(theme, isDark, noColor)
	s := &styles{noColor: p == nil, cells: cellRule{cells}}
	if p == nil {
		return s.plain().withInks()
	}
	return s.painted(p).withInks()
}

// plain: no colour at all, only bold, faint and reverse ("none", or
// NO_COLOR under "auto").
func (s *styles) plain() *styles {
	n := lipgloss.NewStyle
	s.header = n().Bold(true)
	s.title = n().Bold(true)
	s.label = n().Faint(true)
	s.value = n()
	s.faint = n().Faint(true)
	s.sep = n().Faint(true)
	s.good = n()
	s.bad = n().Bold(true)
	s.warn = n().Bold(true)
	s.banner = n().Bold(true).Reverse(true)
	s.colHeader = n().Bold(true)
	s.border = n().Faint(true)
	s.focused = n().Bold(true)
	s.chart = n()
	s.help = help.Styles{
		Ellipsis:       n().Faint(true),
		ShortKey:       n().Bold(true),
		ShortDesc:      n(),
		ShortSeparator: n().Faint(true),
		FullKey:        n().Bold(true),
		FullDesc:       n(),
		FullSeparator:  n().Faint(true),
	}
	in := textinput.DefaultStyles(true) // every colour replaced below
	for _, st := range []*textinput.StyleState{&in.Focused, &in.Blurred} {
		st.Placeholder = n().Faint(true)
		st.Suggestion = n().Faint(true)
		st.Prompt = n().Bold(true)
		st.Text = n()
	}
	in.Cursor.Color = nil
	in.Cursor.Blink = false
	s.input = in
	return s
}
