package tui

import (
	tea "charm.land/bubbletea/v2"
)

// rowCursor is a scrollable list with a selected row: the keys move the
// selection and the visible slice follows it (k9s's tables), so a row can
// be opened, copied or exported.
type rowCursor struct {
	scroller
	at int // the selected row, an index into the list
}

// handle moves the selection on the list keys; it reports whether it used
// the key.
func (c *rowCursor) handle(msg tea.KeyPressMsg, km *KeyMap) bool {
	mv := moveOf(msg, km, c.visible-1)
	if !mv.ok {
		return false
	}
	c.at = mv.apply(c.at, c.total)
	c.follow()
	return true
}

// follow keeps the selection in the list and the visible slice around it.
func (c *rowCursor) follow() {
	c.at = max(min(c.at, c.total-1), 0)
	if c.at < c.offset {
		c.offset = c.at
	}
	if c.visible > 0 && c.at >= c.offset+c.visible {
		c.offset = c.at - c.visible + 1
	}
	c.clamp()
}

// window is scroller.window with the selection kept in view.
func (c *rowCursor) window(total, n int) (int, int) {
	c.total, c.visible = total, max(n, 0)
	c.last = max(total-c.visible, 0)
	c.follow()
	return c.offset, min(c.offset+c.visible, total)
}

// reset selects the first row.
func (c *rowCursor) reset() { c.at, c.offset = 0, 0 }
