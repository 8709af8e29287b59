package tui

import "slices"

// Themes are the names Options.Theme accepts ("" is "auto"), for the
// command line's --theme flag and its check. Do not modify.
var Themes = []string{"auto", "dark", "light", "16", "none"}

// ValidTheme reports whether name is one of Themes or "".
func ValidTheme(name string) bool {
	return name == "" || slices.Contains(Themes, name)
}
