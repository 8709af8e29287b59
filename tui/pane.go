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
	last    int // the largest offset: where the last page starts
}

// clamp keeps the offset within the list.
func (s *scroller) clamp() {
	s.offset = max(min(s.offset, s.last), 0)
}

// move is what a list key asks for: a step (rows down, negative up), or a
// jump to the first or last row; ok is false for any other key. One place
// reads the keys, for every list.
type move struct {
	step            int
	first, last, ok bool
}

// moveOf reads msg as a list key, a page being page rows.
func moveOf(msg tea.KeyPressMsg, km *KeyMap, page int) move {
	page = max(page, 1)
	switch {
	case key.Matches(msg, km.Up):
		return move{step: -1, ok: true}
	case key.Matches(msg, km.Down):
		return move{step: 1, ok: true}
	case key.Matches(msg, km.PageUp):
		return move{step: -page, ok: true}
	case key.Matches(msg, km.PageDown):
		return move{step: page, ok: true}
	case key.Matches(msg, km.Top):
		return move{first: true, ok: true}
	case key.Matches(msg, km.Bottom):
		return move{last: true, ok: true}
	}
	return move{}
}

// apply is the position pos after the move, in a list of n rows (not
// clamped: the caller does).
func (mv move) apply(pos, n int) int {
	switch {
	case mv.first:
		return 0
	case mv.last:
		return n - 1
	}
	return pos + mv.step
}

// handle scrolls on the list keys; it reports whether it used the key.
func (s *scroller) handle(msg tea.KeyPressMsg, km *KeyMap) bool {
	mv := moveOf(msg, km, s.visible-1)
	if !mv.ok {
		return false
	}
	s.offset = mv.apply(s.offset, s.total) // the last row: clamped to the last page
	s.clamp()
	return true
}

// window returns the [from, to) range of rows to show in n lines and
// records the geometry.
func (s *scroller) window(total, n int) (int, int) {
	s.total, s.visible = total, max(n, 0)
	s.last = max(total-s.visible, 0)
	s.clamp()
	return s.offset, min(s.offset+s.visible, total)
}

// windowLines is window for rows of the given heights in n lines: the
// last page starts at the first row from which every later row fits, and
// at least one row is shown (cut by the caller if it is taller than n).
func (s *scroller) windowLines(heights []int, n int) (int, int) {
	total := len(heights)
	start, used := total, 0
	for start > 0 && used+heights[start-1] <= n {
		start--
		used += heights[start]
	}
	s.total, s.last = total, max(min(start, total-1), 0)
	s.clamp()
	to := s.offset
	for used = 0; to < total && (to == s.offset || used+heights[to] <= n); to++ {
		used += heights[to]
	}
	s.visible = max(to-s.offset, 1)
	return s.offset, to
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
