package tui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

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
