package tui

import (
	"image/color"
	"slices"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Themes are the names Options.Theme accepts ("" is "auto"), for the
// command line's --theme flag and its check. Do not modify.
var Themes = []string{"auto", "dark", "light", "16", "none"}

// ValidTheme reports whether name is one of Themes or "".
func ValidTheme(name string) bool {
	return name == "" || slices.Contains(Themes, name)
}

// palette is the colours of one theme. Every colour reads at 4.5:1 or
// more (WCAG AA) on the background the palette is for, dim text included
// (theme_test.go measures them). A nil colour is the terminal's own
// foreground.
type palette struct {
	accent color.Color // header, titles, focused border, charts
	text   color.Color // values, column headers
	dim    color.Color // labels, separators, borders, the footer's words
	good   color.Color
	bad    color.Color // errors: also bold
	warn   color.Color // warnings, paused, pending: also bold; not bad's colour
	// faintDim: dim is the terminal's foreground, faint (no colour of the
	// set reads dimmer than text on that background).
	faintDim bool
}

var (
	// On black; the dimmest, dim, is 6.1:1.
	darkPalette = &palette{
		accent: lipgloss.Color("#9D8CFF"),
		text:   lipgloss.Color("#E4E4E4"),
		dim:    lipgloss.Color("#8A8A8A"),
		good:   lipgloss.Color("#5FD787"),
		bad:    lipgloss.Color("#FF6B6B"),
		warn:   lipgloss.Color("#FFD75F"),
	}
	// On white; the dimmest, dim, is 5.25:1.
	lightPalette = &palette{
		accent: lipgloss.Color("#5A4FCF"),
		text:   lipgloss.Color("#1C1C1C"),
		dim:    lipgloss.Color("#6C6C6C"),
		good:   lipgloss.Color("#1A7F37"),
		bad:    lipgloss.Color("#C0262D"),
		warn:   lipgloss.Color("#8A5E00"),
	}
	// The terminal's 16 colours on a dark background. Never 0 (black on
	// black) nor 8 (bright black, 5.2:1 in xterm but far less in many
	// schemes) for text; bright red, as plain red is 3.6:1 on black.
	ansiDarkPalette = &palette{
		accent: lipgloss.Color("14"),
		text:   lipgloss.Color("15"),
		dim:    lipgloss.Color("7"),
		good:   lipgloss.Color("10"),
		bad:    lipgloss.Color("9"),
		warn:   lipgloss.Color("11"),
	}
	// The 16 colours on a light background, where yellow, green, cyan and
	// the whites do not read: values and good in the terminal's own
	// foreground, dim text faint, warnings magenta.
	ansiLightPalette = &palette{
		accent:   lipgloss.Color("4"),
		bad:      lipgloss.Color("1"),
		warn:     lipgloss.Color("5"),
		faintDim: true,
	}
)

// pickPalette is the palette of theme for the terminal's background, nil
// for no colour: "none", or "auto" under NO_COLOR. An explicit theme wins
// over NO_COLOR (a command-line choice overrides it, as no-color.org
// asks); an unknown name is "auto".
func pickPalette(theme string, isDark, noColor bool) *palette {
	switch theme {
	case "none":
		return nil
	case "dark":
		return darkPalette
	case "light":
		return lightPalette
	case "16":
		if isDark {
			return ansiDarkPalette
		}
		return ansiLightPalette
	}
	if noColor {
		return nil
	}
	if isDark {
		return darkPalette
	}
	return lightPalette
}

// painted: the styles in p's colours, with the attributes of plain.
func (s *styles) painted(p *palette) *styles {
	fg := func(c color.Color) lipgloss.Style {
		if c == nil {
			return lipgloss.NewStyle()
		}
		return lipgloss.NewStyle().Foreground(c)
	}
	dim := fg(p.dim)
	if p.faintDim {
		dim = dim.Faint(true)
	}
	text := fg(p.text)
	s.header = fg(p.accent).Bold(true)
	s.title = fg(p.accent).Bold(true)
	s.label = dim
	s.value = text
	s.faint = dim
	s.sep = dim
	s.good = fg(p.good)
	s.bad = fg(p.bad).Bold(true)
	s.warn = fg(p.warn).Bold(true)
	s.banner = fg(p.warn).Bold(true).Reverse(true)
	s.colHeader = text.Bold(true)
	s.border = dim
	s.focused = fg(p.accent).Bold(true)
	s.chart = fg(p.accent)
	s.help = help.Styles{
		Ellipsis:       dim,
		ShortKey:       text.Bold(true),
		ShortDesc:      dim,
		ShortSeparator: dim,
		FullKey:        text.Bold(true),
		FullDesc:       text,
		FullSeparator:  dim,
	}
	in := textinput.DefaultStyles(true) // every colour replaced below
	for _, st := range []*textinput.StyleState{&in.Focused, &in.Blurred} {
		st.Placeholder = dim
		st.Suggestion = dim
		st.Prompt = fg(p.accent).Bold(true)
		st.Text = text
	}
	in.Blurred.Text = dim
	in.Cursor.Color = p.text
	in.Cursor.Blink = false
	s.input = in
	return s
}
