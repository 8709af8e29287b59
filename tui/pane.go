package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// paneBase is what every pane shares: size, focus, styles and a cache of
// its rendered box. Setters mark the cache dirty; Model.Update re-renders
// dirty panes, so View only joins lines.
type paneBase struct {
	st      *styles
	w, h    int
	focused bool
	year    int // of the clock its times are read against (see fmtTime)
	dirty   bool
	cache   []string
}

// SetSize sets the pane's outer size, border included; negative sizes are 0.
func (p *paneBase) SetSize(w, h int) {
	w, h = max(w, 0), max(h, 0)
	if w != p.w || h != p.h {
		p.w, p.h, p.dirty = w, h, true
	}
}

// SetFocused marks the pane as the one receiving scroll keys.
func (p *paneBase) SetFocused(f bool) {
	if f != p.focused {
		p.focused, p.dirty = f, true
	}
}

func (p *paneBase) setStyles(st *styles) { p.st, p.dirty = st, true }

// setYear sets the year in which the pane's times are shown compact.
func (p *paneBase) setYear(y int) {
	if y != p.year {
		p.year, p.dirty = y, true
	}
}

// scroller is a scrollable list inside a pane.
type scroller struct {
	offset  int
	visible int // rows shown at the last render
	total   int
}

// clamp keeps the offset within the list.
func (s *scroller) clamp() {
	s.offset = min(s.offset, max(s.total-s.visible, 0))
	s.offset = max(s.offset, 0)
}

// handle scrolls on up/down/pgup/pgdown; it reports whether it used the key.
func (s *scroller) handle(msg tea.KeyPressMsg, km *KeyMap) bool {
	page := max(s.visible-1, 1)
	switch {
	case key.Matches(msg, km.Up):
		s.offset--
	case key.Matches(msg, km.Down):
		s.offset++
	case key.Matches(msg, km.PageUp):
		s.offset -= page
	case key.Matches(msg, km.PageDown):
		s.offset += page
	case key.Matches(msg, km.Top):
		s.offset = 0
	case key.Matches(msg, km.Bottom):
		s.offset = s.total // clamped below
	default:
		return false
	}
	s.clamp()
	return true
}

// window returns the [from, to) range of rows to show in n lines and
// records the geometry.
func (s *scroller) window(total, n int) (int, int) {
	s.total, s.visible = total, max(n, 0)
	s.clamp()
	return s.offset, min(s.offset+s.visible, total)
}

// position describes the visible slice, "" when everything is shown.
func (s *scroller) position(from, to int) string {
	if from == 0 && to >= s.total {
		return ""
	}
	if to <= from {
		return ""
	}
	return itoa(int64(from+1)) + "–" + itoa(int64(to)) + "/" + itoa(int64(s.total))
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }
