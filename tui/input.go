package tui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/streamtop/streamtop/feed/bus"
)

// The keys that only act on the controls, each with its action (r, the
// reset, asks first: see key).
func (k *KeyMap) actions() []struct {
	binding *key.Binding
	action  bus.Action
} {
	return []struct {
		binding *key.Binding
		action  bus.Action
	}{
		{&k.Dup, bus.ToggleDup}, {&k.Late, bus.ToggleLate}, {&k.OOO, bus.ToggleOOO},
		{&k.Mode, bus.NextMode}, {&k.Dedup, bus.ToggleDedup},
		{&k.WatermarkDown, bus.WatermarkDown}, {&k.WatermarkUp, bus.WatermarkUp},
		{&k.RateUp, bus.RateUp}, {&k.RateDown, bus.RateDown},
		{&k.Pause, bus.TogglePause},
	}
}

// isControl reports whether msg is a key that changes the run (a knob,
// the reset, the confirmation).
func (m *Model) isControl(msg tea.KeyPressMsg) bool {
	km := &m.keys
	if key.Matches(msg, km.Reset) || key.Matches(msg, km.Confirm) {
		return true
	}
	for _, a := range km.actions() {
		if key.Matches(msg, *a.binding) {
			return true
		}
	}
	return false
}

func (m *Model) setFocus(i int) {
	m.panes[m.focus].SetFocused(false)
	step := 1
	if i < m.focus {
		step = -1
	}
	m.focus = (i%numPanes + numPanes) % numPanes
	if m.focus == paneLog && m.logH == 0 { // the log is hidden below some heights
		m.focus = ((m.focus+step)%numPanes + numPanes) % numPanes
	}
	m.panes[m.focus].SetFocused(true)
}

// key handles a key press: the filter input takes every key but ctrl+c
// while it is edited; otherwise keys act on the controls, the screen or
// the focused pane.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.filtering {
		return m.filterKey(msg)
	}
	km := &m.keys
	if m.showHelp && m.helpKey(msg) {
		return nil
	}
	m.refused, m.notice = "", ""
	if m.readOnly && m.isControl(msg) {
		m.refused = msg.String()
		return nil
	}
	if m.controlKey(msg) {
		return nil
	}
	if cmd, ok := m.tableKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, km.Quit):
		return tea.Quit
	case key.Matches(msg, km.Help):
		m.showHelp = !m.showHelp
	case key.Matches(msg, km.Freeze):
		m.frozen = !m.frozen
	case key.Matches(msg, km.Esc):
		switch {
		case m.showHelp:
			m.showHelp = false
		case m.cmp.CloseDetail():
		case m.cmp.CloseLog():
		case m.filterTexts[m.filterTarget()] != "":
			m.clearFilter(m.filterTarget())
		case m.filterTexts[paneComparator] != "":
			m.clearFilter(paneComparator)
		}
	case key.Matches(msg, km.Confirm) && m.awaiting():
		m.apply(bus.ConfirmStop)
	case key.Matches(msg, km.NextPane):
		m.setFocus(m.focus + 1)
	case key.Matches(msg, km.PrevPane):
		m.setFocus(m.focus - 1)
	case key.Matches(msg, km.Engine):
		m.cmp.NextEngine()
	case key.Matches(msg, km.Filter):
		m.showHelp = false
		m.filterOn = m.filterTarget()
		if m.filterOn == paneComparator {
			m.cmp.CloseLog()
		}
		m.filtering = true
		m.filter.SetValue(m.filterTexts[m.filterOn])
		m.filter.CursorEnd()
		m.setFocus(m.filterOn)
		m.fitFilter()
		cmd := m.filter.Focus()
		m.filtered().SetInput(m.filter.View(), true)
		return cmd
	default:
		m.panes[m.focus].HandleKey(msg, km)
	}
	return nil
}

// filterKey edits the filter: enter applies it, esc clears it.
func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	var cmd tea.Cmd
	switch msg.String() {
	case "enter":
		m.filterTexts[m.filterOn] = m.filter.Value()
		m.filtered().SetFilter(m.filterTexts[m.filterOn])
		m.stopFilter()
	case "esc":
		m.clearFilter(m.filterOn)
		m.stopFilter()
	default:
		m.filter, cmd = m.filter.Update(msg)
		m.filtered().SetInput(m.filter.View(), true)
		m.filtered().SetFilter(m.filter.Value()) // as you type
	}
	return cmd
}

func (m *Model) stopFilter() {
	m.filtering = false
	m.filter.Blur()
	m.filtered().SetInput("", false)
}

// filterTarget is the pane `/` filters: the focused one when it holds a
// list (the late events, the alerts, the log), else the exception table.
func (m *Model) filterTarget() int {
	switch {
	case m.focus == paneEngine || m.focus == paneRates || (m.focus == paneLog && m.logH > 0):
		return m.focus
	}
	return paneComparator
}

// filtered is the pane whose filter is edited (or was last).
func (m *Model) filtered() filterable { return m.filterable(m.filterOn) }

// filterable is pane i as a list to filter (the exception table for a
// pane without a list).
func (m *Model) filterable(i int) filterable {
	switch i {
	case paneEngine:
		return m.eng
	case paneRates:
		return m.rates
	case paneLog:
		return m.logs
	}
	return m.cmp
}

// clearFilter clears pane i's filter.
func (m *Model) clearFilter(i int) {
	m.filterTexts[i] = ""
	m.filter.SetValue("")
	m.filterable(i).SetFilter("")
}

// fitFilter sizes the filter input to the content of the pane it filters.
func (m *Model) fitFilter() {
	w := m.cmp.w
	switch m.filterOn {
	case paneEngine:
		w = m.eng.w
	case paneRates:
		w = m.rates.w
	case paneLog:
		w = m.logs.w
	}
	cw, _ := contentSize(w, 3)
	if fw := max(cw-m.st.cells.width(m.filter.Prompt)-1, 1); fw != m.filter.Width() {
		m.filter.SetWidth(fw)
	}
}

// controlKey acts on a control key (r asking first: the key after it
// confirms with y or cancels); it reports whether it took the key.
func (m *Model) controlKey(msg tea.KeyPressMsg) bool {
	km := &m.keys
	if m.confirmReset {
		m.confirmReset = false
		if msg.String() == "y" || msg.String() == "Y" {
			m.apply(bus.Reset)
		}
		return true
	}
	if key.Matches(msg, km.Reset) {
		m.confirmReset = true // a reset throws the run away: asked first
		return true
	}
	for _, a := range km.actions() {
		if key.Matches(msg, *a.binding) {
			m.apply(a.action)
			return true
		}
	}
	return false
}

// tableKey acts on the keys that take the exception table away: open the
// selected row, copy it or its id, export the table in view.
func (m *Model) tableKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	km := &m.keys
	switch {
	case key.Matches(msg, km.Confirm) && m.awaiting():
		return nil, false
	case key.Matches(msg, km.Open):
		m.setFocus(paneComparator)
		if !m.cmp.OpenDetail() {
			m.notice = "no row to open"
		}
	case key.Matches(msg, km.Copy), key.Matches(msg, km.CopyID):
		text, what := m.cmp.rowText(), "the row"
		if key.Matches(msg, km.CopyID) {
			text, what = m.cmp.selectedDevice(), "the device id"
		}
		if text == "" {
			m.notice = "no row to copy"
			return nil, true
		}
		m.notice = "copied " + what + " to the clipboard (OSC 52: the terminal must allow it)"
		return tea.SetClipboard(text), true
	case key.Matches(msg, km.Export):
		header, rows := m.cmp.exportTable()
		m.notice = "exporting " + strconv.Itoa(len(rows)) + " rows…"
		return exportCmd(m.exportDir, m.cmp.cur.name, m.now, header, rows), true
	default:
		return nil, false
	}
	return nil, true
}
