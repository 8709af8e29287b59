package tui

import (
	"fmt"
	"image/color"
	"math"
	"reflect"
	"testing"
	"unsafe"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// paint is one colour a style puts on the screen, and where it comes from.
type paint struct {
	where string // field path in styles, e.g. "help.ShortDesc"
	fg    color.Color
	bg    color.Color
}

// paints walks every lipgloss.Style and color.Color in st (its own fields,
// the help and text input styles, the inks), so a style added later is
// checked without anyone listing it here.
func paints(st *styles) []paint {
	var out []paint
	walkPaints(reflect.ValueOf(st).Elem(), "", &out)
	return out
}

var (
	styleType = reflect.TypeFor[lipgloss.Style]()
	colorType = reflect.TypeFor[color.Color]()
)

func walkPaints(v reflect.Value, path string, out *[]paint) {
	for i := range v.NumField() {
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem() // unexported fields too
		name := path + v.Type().Field(i).Name
		switch {
		case f.Type() == styleType:
			s := f.Interface().(lipgloss.Style)
			*out = append(*out, paint{where: name, fg: s.GetForeground(), bg: s.GetBackground()})
		case f.Type() == colorType:
			c, _ := f.Interface().(color.Color)
			*out = append(*out, paint{where: name, fg: c}) // the cursor: its colour under reversed text
		case f.Kind() == reflect.Struct:
			walkPaints(f, name+".", out)
		}
	}
}

// isDefault: no colour set, the terminal's own foreground (or background).
func isDefault(c color.Color) bool {
	if c == nil {
		return true
	}
	_, none := c.(lipgloss.NoColor)
	return none
}

// luminance is WCAG 2.x relative luminance.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG 2.x contrast ratio of two colours, 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

var (
	black = color.RGBA{0, 0, 0, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// xterm16 is xterm's default palette for ANSI colours 0–15.
var xterm16 = [16]color.RGBA{
	{0x00, 0x00, 0x00, 0xff}, {0xcd, 0x00, 0x00, 0xff}, {0x00, 0xcd, 0x00, 0xff}, {0xcd, 0xcd, 0x00, 0xff},
	{0x00, 0x00, 0xee, 0xff}, {0xcd, 0x00, 0xcd, 0xff}, {0x00, 0xcd, 0xcd, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
	{0x7f, 0x7f, 0x7f, 0xff}, {0xff, 0x00, 0x00, 0xff}, {0x00, 0xff, 0x00, 0xff}, {0xff, 0xff, 0x00, 0xff},
	{0x5c, 0x5c, 0xff, 0xff}, {0xff, 0x00, 0xff, 0xff}, {0x00, 0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

// ansi16 is the index of one of the 16 ANSI colours, or false.
func ansi16(c color.Color) (int, bool) {
	switch c := c.(type) {
	case ansi.BasicColor:
		return int(c), c < 16
	case ansi.IndexedColor:
		return int(c), c < 16
	}
	return 0, false
}

const minContrast = 4.5 // WCAG 2.x AA for normal text

// Every colour of every palette reads at 4.5:1 or more on the background
// it is drawn on: dark on black, light on white, auto as the terminal's
// background says; the 16 colours as xterm draws them.
func TestThemeContrast(t *testing.T) {
	cases := []struct {
		theme  string
		isDark bool
		bg     color.Color
		xterm  bool // colours must be ANSI 0–15, measured as xterm's
	}{
		{"dark", true, black, false},
		{"dark", false, black, false}, // asked for: dark whatever the terminal says
		{"light", false, white, false},
		{"light", true, white, false},
		{"auto", true, black, false},
		{"auto", false, white, false},
		{"", true, black, false},
		{"", false, white, false},
		{"no-such-theme", true, black, false},
		{"no-such-theme", false, white, false},
		{"16", true, black, true},
		{"16", false, white, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/dark=%v", c.theme, c.isDark), func(t *testing.T) {
			st := newStyles(c.theme, c.isDark, false, ansi.WcWidth)
			for _, p := range paints(st) {
				if !isDefault(p.bg) {
					t.Errorf("%s: sets a background %v: text must be drawn on the terminal's", p.where, p.bg)
				}
				if isDefault(p.fg) {
					continue
				}
				fg := p.fg
				if c.xterm {
					i, ok := ansi16(p.fg)
					if !ok {
						t.Errorf("%s: %v is not one of the 16 ANSI colours", p.where, p.fg)
						continue
					}
					if i == 0 || i == 8 {
						t.Errorf("%s: colour %d (black or bright black) as text", p.where, i)
					}
					fg = xterm16[i]
				}
				if r := contrast(fg, c.bg); r < minContrast {
					t.Errorf("%s: %v on %v is %.2f:1, want ≥ %.1f", p.where, p.fg, c.bg, r, minContrast)
				}
			}
		})
	}
}

// In every palette dim text stays dimmer than values, and warnings and
// errors differ: in colour, and errors bold.
func TestThemeHierarchy(t *testing.T) {
	for _, theme := range []string{"dark", "light", "16"} {
		for _, isDark := range []bool{true, false} {
			st := newStyles(theme, isDark, false, ansi.WcWidth)
			name := fmt.Sprintf("%s/dark=%v", theme, isDark)
			warn, bad := st.warn.GetForeground(), st.bad.GetForeground()
			if isDefault(warn) || isDefault(bad) || warn == bad {
				t.Errorf("%s: warn %v and bad %v: two colours wanted", name, warn, bad)
			}
			if !st.bad.GetBold() {
				t.Errorf("%s: errors not bold", name)
			}
			label, value := st.label.GetForeground(), st.value.GetForeground()
			switch {
			case st.label.GetFaint() && !st.value.GetFaint():
			case isDefault(label) || isDefault(value):
				t.Errorf("%s: label %v and value %v, neither faint", name, label, value)
			default:
				bg := white
				if theme == "dark" || (theme != "light" && isDark) {
					bg = black
				}
				if i, ok := ansi16(label); ok {
					label = xterm16[i]
				}
				if i, ok := ansi16(value); ok {
					value = xterm16[i]
				}
				if contrast(label, bg) >= contrast(value, bg) {
					t.Errorf("%s: label (%.2f:1) not dimmer than value (%.2f:1)", name, contrast(label, bg), contrast(value, bg))
				}
			}
		}
	}
}

// "none", and "auto" (or "", or an unknown name) under NO_COLOR, use no
// colour at all; a theme asked for by name wins over NO_COLOR.
func TestThemeNone(t *testing.T) {
	for _, c := range []struct {
		theme   string
		noColor bool
		want    bool // no colour
	}{
		{"none", false, true}, {"none", true, true},
		{"auto", true, true}, {"", true, true}, {"no-such-theme", true, true},
		{"auto", false, false}, {"dark", true, false}, {"light", true, false}, {"16", true, false},
	} {
		for _, isDark := range []bool{true, false} {
			st := newStyles(c.theme, isDark, c.noColor, ansi.WcWidth)
			coloured := 0
			for _, p := range paints(st) {
				if !isDefault(p.fg) || !isDefault(p.bg) {
					coloured++
					if c.want {
						t.Errorf("%q (NO_COLOR %v, dark %v): %s has colour %v on %v", c.theme, c.noColor, isDark, p.where, p.fg, p.bg)
					}
				}
			}
			if !c.want && coloured == 0 {
				t.Errorf("%q (NO_COLOR %v, dark %v): no colour", c.theme, c.noColor, isDark)
			}
			if st.noColor != c.want {
				t.Errorf("%q (NO_COLOR %v, dark %v): styles.noColor %v", c.theme, c.noColor, isDark, st.noColor)
			}
		}
	}
}

// An unknown theme is "auto", without a panic.
func TestThemeUnknownIsAuto(t *testing.T) {
	for _, isDark := range []bool{true, false} {
		got := paints(newStyles("solarized", isDark, false, ansi.WcWidth))
		want := paints(newStyles("auto", isDark, false, ansi.WcWidth))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("dark %v: unknown theme is not auto", isDark)
		}
	}
}

func TestValidTheme(t *testing.T) {
	for _, name := range append([]string{""}, Themes...) {
		if !ValidTheme(name) {
			t.Errorf("ValidTheme(%q) false", name)
		}
		newStyles(name, true, false, ansi.WcWidth)
	}
	for _, name := range []string{"Dark", "solarized", "256", " auto", "no"} {
		if ValidTheme(name) {
			t.Errorf("ValidTheme(%q) true", name)
		}
	}
}

// The inks paint what their styles render in every theme (faint labels,
// values in the terminal's own colour included).
func TestThemeInks(t *testing.T) {
	for _, theme := range Themes {
		for _, isDark := range []bool{true, false} {
			st := newStyles(theme, isDark, false, ansi.WcWidth)
			for _, s := range []string{"sent", "12 345", "温度"} {
				if got, want := st.labelInk.paint(s), st.label.Render(s); got != want {
					t.Errorf("%s/dark=%v label %q: paint %q, Render %q", theme, isDark, s, got, want)
				}
				if got, want := st.valueInk.paint(s), st.value.Render(s); got != want {
					t.Errorf("%s/dark=%v value %q: paint %q, Render %q", theme, isDark, s, got, want)
				}
			}
		}
	}
}
