package tui

import tea "charm.land/bubbletea/v2"

// Mouse (Options.Mouse): a click focuses the pane under it (and, in the
// exception table, selects the row), the wheel scrolls the pane under the
// pointer. Off by default: a terminal in mouse mode no longer lets the
// user select text with the mouse.

// paneAt is the pane under cell (x, y), or -1: the screen's layout, as
// render draws it.
func (m *Model) paneAt(x, y int) int {
	if m.tooSmall || m.helpBox != nil {
		return -1
	}
	top := 1 // the header
	if m.bannerText != "" {
		top++
	}
	switch {
	case y < top:
		return -1
	case y < top+m.topH:
		if x < m.width/2 {
			return paneInjector
		}
		return paneEngine
	case y < top+m.topH+m.botH:
		if x < m.width*5/8 {
			return paneComparator
		}
		return paneRates
	case y < top+m.topH+m.botH+m.logH:
		return paneLog
	}
	return -1
}

// mouse handles a mouse message; it reports whether it used it.
func (m *Model) mouse(msg tea.MouseMsg) bool {
	ev := msg.Mouse()
	p := m.paneAt(ev.X, ev.Y)
	if p < 0 {
		return false
	}
	switch msg.(type) {
	case tea.MouseClickMsg:
		if ev.Button != tea.MouseLeft {
			return false
		}
		m.setFocus(p)
		if p == paneComparator {
			top := 1
			if m.bannerText != "" {
				top++
			}
			m.cmp.clickRow(ev.Y - top - m.topH)
		}
		return true
	case tea.MouseWheelMsg:
		k := pressOf(tea.KeyDown)
		if ev.Button == tea.MouseWheelUp {
			k = pressOf(tea.KeyUp)
		} else if ev.Button != tea.MouseWheelDown {
			return false
		}
		return m.panes[p].HandleKey(k, &m.keys)
	}
	return false
}

// pressOf is the press of key code c.
func pressOf(c rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: c} }

// clickRow selects the table row drawn at line y of the pane (its top
// border is line 0); a click elsewhere selects nothing.
func (p *comparatorPane) clickRow(y int) {
	if p.detail || p.showLog || p.firstRowLine == 0 {
		return
	}
	if i := y - p.firstRowLine; i >= 0 && i < p.scroll.visible && p.scroll.offset+i < len(p.shown) {
		p.scroll.at, p.dirty = p.scroll.offset+i, true
	}
}
