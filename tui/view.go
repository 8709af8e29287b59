package tui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// banner is the line under the header: the end of a run waiting for a
// person, or a fatal problem.
func (m *Model) banner() string {
	r := m.snap.Run
	if r == nil {
		return ""
	}
	var parts []string
	if r.State == bus.AwaitingConfirm {
		if m.settings.Confirmed {
			parts = append(parts, "run ended — confirmed, tearing down…")
		} else {
			parts = append(parts, "run ended — press enter to tear down, q to quit")
		}
	}
	if r.Err != "" {
		parts = append(parts, "error: "+sanitize(r.Err))
	}
	return strings.Join(parts, " · ")
}

// layout sizes the regions for the current terminal and renders whatever
// changed (panes, header, footer), so View only joins lines. Update calls
// it after every message.
func (m *Model) layout() {
	w, h := m.width, m.height
	m.tooSmall = w < minWidth || h < minHeight
	if m.tooSmall {
		return
	}
	m.bannerText = m.banner()
	rows := h - 2
	if m.bannerText != "" {
		rows--
	}
	m.logH = 0
	if h >= 40 {
		m.logH = min(6+(h-40)/5, 12)
		rows -= m.logH
	}
	if m.logH == 0 && m.focus == paneLog { // the log went away under the focus
		if m.filtering && m.filterOn == paneLog {
			m.stopFilter()
		}
		m.setFocus(paneComparator)
	}
	m.topH = (rows*2 + 2) / 5
	m.botH = rows - m.topH
	lt, lb := w/2, w*5/8
	m.inj.SetSize(lt, m.topH)
	m.eng.SetSize(w-lt, m.topH)
	m.cmp.SetSize(lb, m.botH)
	m.rates.SetSize(w-lb, m.botH)
	m.logs.SetSize(w, m.logH)
	m.help.SetWidth(w)
	if m.fitFilter(); m.filtering {
		m.filtered().SetInput(m.filter.View(), true)
	}
	switch {
	case m.showHelp:
		m.helpBox = m.fullHelp(w, rows)
	case m.cmp.detail:
		// The row in full, over the whole screen: at 80 columns the pane
		// alone would cut it.
		cw, ch := contentSize(w, rows)
		m.helpBox = box(m.st, "Row details · "+m.cmp.cur.name+" · esc back", m.cmp.detailLines(cw, ch), w, rows, true)
	default:
		m.helpBox = nil
		for _, p := range m.panes {
			p.lines()
		}
	}
	if m.logH > 0 {
		m.logs.lines()
	}
	m.headerLine = m.st.cells.fit(m.header(w), w)
	m.footerLine = m.st.cells.fit(m.footer(w), w)
}

// fullHelp renders the keymap's full help in a box, its columns wrapped
// onto as many rows as the width needs.
func (m *Model) fullHelp(w, h int) []string {
	cw, _ := contentSize(w, h)
	hm := m.help
	hm.SetWidth(0)
	var blocks []string
	var cur [][]key.Binding
	groups := m.keys.FullHelp()
	if m.readOnly {
		groups = m.keys.readOnlyHelp()
	}
	for _, g := range groups {
		try := append(slices.Clone(cur), g)
		if len(cur) > 0 && m.st.cells.widest(hm.FullHelpView(try)) > cw {
			blocks = append(blocks, hm.FullHelpView(cur))
			cur = [][]key.Binding{g}
			continue
		}
		cur = try
	}
	if len(cur) > 0 {
		blocks = append(blocks, hm.FullHelpView(cur))
	}
	var body []string
	for i, b := range blocks {
		if i > 0 {
			body = append(body, "")
		}
		body = append(body, strings.Split(b, "\n")...)
	}
	body = append(append(body, ""), m.glossaryLines(cw)...)
	title := "Keys and terms · ? or esc closes"
	if rows := h - 2; len(body) > rows {
		m.helpScroll = min(max(m.helpScroll, 0), len(body)-rows)
		body = body[m.helpScroll:]
		title = "Keys and terms · ↑↓ j k pgup pgdn g G scroll · ? or esc closes"
	} else {
		m.helpScroll = 0
	}
	return box(m.st, title, body, w, h, true)
}

// helpKey scrolls the help while it is shown; it reports whether it took
// the key.
func (m *Model) helpKey(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "up", "k":
		m.helpScroll--
	case "down", "j":
		m.helpScroll++
	case "pgup":
		m.helpScroll -= 10
	case "pgdown", "space":
		m.helpScroll += 10
	case "home", "g":
		m.helpScroll = 0
	case "end", "G":
		m.helpScroll = 1 << 30 // clamped when drawn
	default:
		return false
	}
	return true
}

// problemShown is how long the footer shows a new warning or error: the
// log pane only fits on tall terminals, so the footer is where a problem is
// seen at 80×24.
const problemShown = 10 * time.Second

// footer is the short help, or the filter's keys while it is edited, or a
// recent problem.
func (m *Model) footer(w int) string {
	switch {
	case m.notice != "":
		return m.st.value.Render(m.notice) + m.st.faint.Render("  · ? help")
	case m.refused != "":
		return m.st.warn.Render("read-only: "+m.refused+" changes nothing here, the run belongs to the injector's host") +
			m.st.faint.Render("  · ? help")
	case m.readOnly && !m.filtering:
		return m.help.ShortHelpView(m.keys.viewOnly(m.cmp.hasPeers())) + m.st.faint.Render(" • read-only: watching")
	case m.confirmReset:
		return m.st.warn.Render("reset the run? its events, truth and verdict start again from zero") +
			m.st.value.Render("  y") + m.st.faint.Render(" reset · any other key: keep the run")
	case m.problem != nil && !m.filtering && !m.awaiting():
		style := m.st.warn
		if m.problem.Level >= bus.Error {
			style = m.st.bad
		}
		return style.Render(m.problem.Level.String()+" "+sanitize(m.problem.Role)+": "+sanitize(m.problem.Text)) +
			m.st.faint.Render("  · ? help")
	case m.filtering:
		return m.help.ShortHelpView([]key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
			key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		})
	case m.awaiting():
		return m.help.ShortHelpView(append([]key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "tear down")),
		}, m.keys.shortHelp(m.cmp.hasPeers())...))
	}
	wide := m.help
	wide.SetWidth(0) // measure untruncated
	short := m.keys.shortHelp(m.cmp.hasPeers())
	if full := wide.ShortHelpView(short); m.st.cells.width(full) <= w {
		return full
	}
	// Narrow: every key still listed, their meaning one "?" away.
	keys := m.keys.narrowKeys(m.cmp.hasPeers())
	return m.help.ShortHelpView(short[:2]) + m.st.faint.Render(" • keys ") + m.st.value.Render(keys)
}

// View draws the screen: exactly the terminal's height in lines, none wider
// than the terminal. It only joins what Update rendered.
func (m *Model) View() tea.View {
	content := m.render()
	if m.ascii {
		content = asciiFrame(content)
	}
	v := tea.NewView(content)
	v.AltScreen = true
	if m.mouseOn {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = m.title
	return v
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if h <= 0 {
		return ""
	}
	if m.tooSmall {
		msg := "terminal too small (need " + strconv.Itoa(minWidth) + "×" + strconv.Itoa(minHeight) +
			", have " + strconv.Itoa(w) + "×" + strconv.Itoa(h) + ")"
		lines := m.st.cells.pack(strings.Fields(msg), " ", w)
		for i := range lines {
			lines[i] = m.st.cells.clip(lines[i], w)
		}
		for len(lines) < h {
			lines = append(lines, "")
		}
		return strings.Join(lines[:h], "\n")
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.headerLine)
	if m.bannerText != "" {
		lines = append(lines, m.st.banner.Render(m.st.cells.fit(" "+m.bannerText, w)))
	}
	if m.helpBox != nil {
		lines = append(lines, m.helpBox...)
	} else {
		lines = append(lines, joinColumns(m.topH, m.inj.lines(), m.eng.lines())...)
		lines = append(lines, joinColumns(m.botH, m.cmp.lines(), m.rates.lines())...)
	}
	if m.logH > 0 {
		lines = append(lines, m.logs.lines()...)
	}
	lines = append(lines, m.footerLine)
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines[:h], "\n")
}
