// Package tui is streamtop's terminal screen (SPEC §8): a header with the
// run's state and remaining time, four panes (injector, engine, comparator,
// rates) and a footer of keys. It never receives one message per event: a
// frame tick at a fixed rate reads one snapshot of the newest statuses.
package tui

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Controller is what the keys act on. *bus.Controls satisfies it.
type Controller interface {
	// Apply performs an action and returns the settings now in force.
	Apply(bus.Action) bus.Settings
	// Load returns the current settings.
	Load() bus.Settings
}

// Options configure the screen.
type Options struct {
	Controller Controller          // required
	Source     func() bus.Snapshot // required: called once per frame
	FPS        int                 // frames per second [20]; 1–60
	Title      string              // header and window title ["streamtop"]
}

// The screen is designed for at least this size.
const (
	minWidth   = 80
	minHeight  = 24
	defaultFPS = 20
	maxFPS     = 60
)

// Pane indices, in focus order.
const (
	paneInjector = iota
	paneEngine
	paneComparator
	paneRates
	numPanes
)

// frameMsg is one frame: read a snapshot, redraw.
type frameMsg struct{ t time.Time }

// Frame returns the message that makes a model read a snapshot, as its
// own frame ticks do: for driving a model by hand (benchmarks).
func Frame(t time.Time) tea.Msg { return frameMsg{t: t} }

// pane is what the root model needs from each pane.
type pane interface {
	SetSize(w, h int)
	SetFocused(bool)
	HandleKey(tea.KeyPressMsg, *KeyMap) bool
	View() string
	lines() []string
	setStyles(*styles)
}

// Model is the root model. It implements tea.Model; start it with
// tea.NewProgram(m).
type Model struct {
	ctl    Controller
	source func() bus.Snapshot
	fps    int
	title  string

	keys    KeyMap
	help    help.Model
	filter  textinput.Model
	noColor bool
	isDark  bool
	st      *styles

	width, height int
	now           time.Time // time of the last frame
	snap          bus.Snapshot
	settings      bus.Settings // settings in force (Apply's answer, refreshed each frame)

	inj   *injectorPane
	eng   *enginePane
	cmp   *comparatorPane
	rates *ratesPane
	logs  *logPane
	panes [numPanes]pane
	focus int

	filtering  bool
	filterText string
	showHelp   bool
	problem    *bus.LogEntry // the newest warning or error, shown in the footer for a while

	// Layout, computed in Update.
	tooSmall   bool
	bannerText string
	topH, botH int
	logH       int
	helpBox    []string
	headerLine string
	footerLine string
	// The header's last inputs and line (drawn again when they change).
	headerIn  headerText
	headerSt  *styles
	headerOut string
}

// New returns the screen, or an error when a required option is missing.
func New(opts Options) (*Model, error) {
	if opts.Controller == nil {
		return nil, errors.New("tui: Options.Controller is required")
	}
	if opts.Source == nil {
		return nil, errors.New("tui: Options.Source is required")
	}
	switch {
	case opts.FPS == 0:
		opts.FPS = defaultFPS
	case opts.FPS < 0 || opts.FPS > maxFPS:
		return nil, errors.New("tui: FPS " + strconv.Itoa(opts.FPS) + " must be within 1–" + strconv.Itoa(maxFPS))
	}
	if opts.Title == "" {
		opts.Title = "streamtop"
	}
	m := &Model{
		ctl:     opts.Controller,
		source:  opts.Source,
		fps:     opts.FPS,
		title:   sanitize(opts.Title),
		keys:    DefaultKeyMap(),
		help:    help.New(),
		filter:  textinput.New(),
		noColor: os.Getenv("NO_COLOR") != "",
		isDark:  true,
		width:   minWidth, // until the first WindowSizeMsg
		height:  minHeight,
		focus:   paneComparator,
	}
	m.st = newStyles(m.isDark, m.noColor)
	m.inj, m.eng, m.cmp, m.rates = newInjectorPane(m.st), newEnginePane(m.st), newComparatorPane(m.st), newRatesPane(m.st)
	m.logs = newLogPane(m.st)
	m.panes = [numPanes]pane{m.inj, m.eng, m.cmp, m.rates}
	m.panes[m.focus].SetFocused(true)
	m.filter.Prompt = "/ "
	m.filter.Placeholder = "filter rows (enter applies, esc clears)"
	m.applyStyles()
	m.settings = m.ctl.Load()
	m.push()
	m.layout()
	return m, nil
}

// Init starts the frame tick (the first frame at once) and asks for the
// terminal's background to pick light or dark styles.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(
		func() tea.Msg { return frameMsg{t: time.Now()} },
		tea.RequestBackgroundColor,
	)
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(time.Second/time.Duration(m.fps), func(t time.Time) tea.Msg { return frameMsg{t: t} })
}

// Update handles frames, keys, size and background.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case frameMsg:
		cmd = m.frame(msg.t)
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 0), max(msg.Height, 0)
	case tea.BackgroundColorMsg:
		if d := msg.IsDark(); d != m.isDark {
			m.isDark = d
			m.st = newStyles(d, m.noColor)
			m.applyStyles()
		}
	case tea.KeyPressMsg:
		cmd = m.key(msg)
	default:
		if m.filtering { // paste, cursor messages
			m.filter, cmd = m.filter.Update(msg)
			m.cmp.SetInput(m.filter.View(), true)
		}
	}
	m.layout()
	return m, cmd
}

// frame reads one snapshot and the settings in force, and schedules the
// next frame, or quits when the run is stopping.
func (m *Model) frame(t time.Time) tea.Cmd {
	m.now = t
	m.snap = m.source()
	m.settings = m.ctl.Load()
	m.problem = nil
	for i := len(m.snap.Logs) - 1; i >= 0; i-- {
		if e := m.snap.Logs[i]; e.Level >= bus.Warn {
			if t.Sub(e.Time) < problemShown {
				m.problem = &m.snap.Logs[i]
			}
			break
		}
	}
	m.push()
	if r := m.snap.Run; r != nil && r.State == bus.Stopping {
		return tea.Quit
	}
	return m.tick()
}

// push hands the snapshot and settings to the panes.
func (m *Model) push() {
	m.inj.SetSnapshot(m.snap.Injector, m.settings)
	m.eng.SetSnapshot(m.snap.Engine, m.settings)
	m.cmp.SetSnapshot(m.snap.Compare)
	m.rates.SetSnapshot(m.snap.Rates)
	m.logs.SetSnapshot(m.snap)
}

func (m *Model) applyStyles() {
	for _, p := range m.panes {
		p.setStyles(m.st)
	}
	m.logs.setStyles(m.st)
	m.help.Styles = m.st.help
	m.filter.SetStyles(m.st.input)
	if m.filtering {
		m.cmp.SetInput(m.filter.View(), true)
	}
}

func (m *Model) apply(a bus.Action) {
	m.settings = m.ctl.Apply(a)
	m.push()
}

func (m *Model) awaiting() bool {
	return m.snap.Run != nil && m.snap.Run.State == bus.AwaitingConfirm
}

func (m *Model) setFocus(i int) {
	m.panes[m.focus].SetFocused(false)
	m.focus = (i%numPanes + numPanes) % numPanes
	m.panes[m.focus].SetFocused(true)
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.filtering {
		var cmd tea.Cmd
		switch msg.String() {
		case "enter":
			m.filterText = m.filter.Value()
			m.cmp.SetFilter(m.filterText)
			m.stopFilter()
		case "esc":
			m.filterText = ""
			m.filter.SetValue("")
			m.cmp.SetFilter("")
			m.stopFilter()
		default:
			m.filter, cmd = m.filter.Update(msg)
			m.cmp.SetInput(m.filter.View(), true)
		}
		return cmd
	}
	km := &m.keys
	switch {
	case key.Matches(msg, km.Quit):
		return tea.Quit
	case key.Matches(msg, km.Help):
		m.showHelp = !m.showHelp
	case key.Matches(msg, km.Esc):
		switch {
		case m.showHelp:
			m.showHelp = false
		case m.filterText != "":
			m.filterText = ""
			m.filter.SetValue("")
			m.cmp.SetFilter("")
		}
	case key.Matches(msg, km.Dup):
		m.apply(bus.ToggleDup)
	case key.Matches(msg, km.Late):
		m.apply(bus.ToggleLate)
	case key.Matches(msg, km.OOO):
		m.apply(bus.ToggleOOO)
	case key.Matches(msg, km.Mode):
		m.apply(bus.NextMode)
	case key.Matches(msg, km.Dedup):
		m.apply(bus.ToggleDedup)
	case key.Matches(msg, km.WatermarkDown):
		m.apply(bus.WatermarkDown)
	case key.Matches(msg, km.WatermarkUp):
		m.apply(bus.WatermarkUp)
	case key.Matches(msg, km.RateUp):
		m.apply(bus.RateUp)
	case key.Matches(msg, km.RateDown):
		m.apply(bus.RateDown)
	case key.Matches(msg, km.Pause):
		m.apply(bus.TogglePause)
	case key.Matches(msg, km.Reset):
		m.apply(bus.Reset)
	case key.Matches(msg, km.Confirm):
		if m.awaiting() {
			m.apply(bus.ConfirmStop)
		}
	case key.Matches(msg, km.NextPane):
		m.setFocus(m.focus + 1)
	case key.Matches(msg, km.PrevPane):
		m.setFocus(m.focus - 1)
	case key.Matches(msg, km.Filter):
		m.showHelp = false
		m.filtering = true
		m.filter.SetValue(m.filterText)
		m.filter.CursorEnd()
		m.setFocus(paneComparator)
		cmd := m.filter.Focus()
		m.cmp.SetInput(m.filter.View(), true)
		return cmd
	default:
		m.panes[m.focus].HandleKey(msg, km)
	}
	return nil
}

func (m *Model) stopFilter() {
	m.filtering = false
	m.filter.Blur()
	m.cmp.SetInput("", false)
}

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
	m.topH = (rows*2 + 2) / 5
	m.botH = rows - m.topH
	lt, lb := w/2, w*5/8
	m.inj.SetSize(lt, m.topH)
	m.eng.SetSize(w-lt, m.topH)
	m.cmp.SetSize(lb, m.botH)
	m.rates.SetSize(w-lb, m.botH)
	m.logs.SetSize(w, m.logH)
	m.help.SetWidth(w)
	cw, _ := contentSize(lb, m.botH)
	if fw := max(cw-ansi.StringWidth(m.filter.Prompt)-1, 1); fw != m.filter.Width() {
		m.filter.SetWidth(fw)
		if m.filtering {
			m.cmp.SetInput(m.filter.View(), true)
		}
	}
	if m.showHelp {
		m.helpBox = m.fullHelp(w, rows)
	} else {
		m.helpBox = nil
		for _, p := range m.panes {
			p.lines()
		}
	}
	if m.logH > 0 {
		m.logs.lines()
	}
	m.headerLine = fit(m.header(w), w)
	m.footerLine = fit(m.footer(w), w)
}

// fullHelp renders the keymap's full help in a box, its columns wrapped
// onto as many rows as the width needs.
func (m *Model) fullHelp(w, h int) []string {
	cw, _ := contentSize(w, h)
	hm := m.help
	hm.SetWidth(0)
	var blocks []string
	var cur [][]key.Binding
	for _, g := range m.keys.FullHelp() {
		try := append(slices.Clone(cur), g)
		if len(cur) > 0 && ansi.StringWidth(firstLineMax(hm.FullHelpView(try))) > cw {
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
	return box(m.st, "Keys · ? or esc closes", body, w, h, true)
}

// firstLineMax returns the widest line of s.
func firstLineMax(s string) string {
	widest, ww := "", -1
	for _, l := range strings.Split(s, "\n") {
		if lw := ansi.StringWidth(l); lw > ww {
			widest, ww = l, lw
		}
	}
	return widest
}

// header is the top line: title, run, state, time, broker, clock. It is
// drawn again only when what it shows changes (its clock, once a second).
func (m *Model) header(w int) string {
	in := headerText{width: w, title: m.title, run: m.settings.Run, paused: m.settings.Paused}
	r := m.snap.Run
	if r == nil {
		in.waiting = true
	} else {
		in.run = max(in.run, r.Run)
		in.state, in.style = r.State.String(), styleValue
		switch {
		case m.settings.Paused && (r.State == bus.Running || r.State == bus.Paused || r.State == bus.Starting):
			in.state, in.style = "paused", styleWarn
		case r.State == bus.Paused:
			in.style = styleWarn
		case r.State == bus.Running:
			in.style = styleGood
		case r.State == bus.AwaitingConfirm || r.State == bus.Stopping:
			in.style = styleBad
		}
		in.elapsed, in.left = "—", "—"
		if r.Duration == 0 {
			in.left = "∞"
		}
		e, known := r.Elapsed, r.Elapsed > 0
		if !known && !m.now.IsZero() && !r.Started.IsZero() {
			e, known = max(m.now.Sub(r.Started), 0), true
		}
		if known {
			in.elapsed = fmtClock(e)
			if r.Duration > 0 {
				in.left = fmtClock(max(r.Duration-e, 0))
			}
		}
		in.broker, in.clock, in.embedded = r.Broker, r.Clock, r.Embedded
	}
	if in != m.headerIn || m.st != m.headerSt {
		m.headerIn, m.headerSt, m.headerOut = in, m.st, in.draw(m.st)
	}
	return m.headerOut
}

// headerText is what the header shows.
type headerText struct {
	width           int
	title           string
	run             int
	waiting, paused bool // waiting: no run status yet
	state           string
	style           uint8 // the state's: styleValue…
	elapsed, left   string
	broker, clock   string // as received: sanitized when drawn
	embedded        bool
}

const (
	styleValue uint8 = iota
	styleGood
	styleWarn
	styleBad
)

func (in headerText) draw(st *styles) string {
	sep := st.sepText
	title := st.header.Render(in.title)
	if in.waiting {
		items := []string{title, kv(st, "run", strconv.Itoa(in.run)), st.faint.Render("waiting for run…")}
		if in.paused {
			items = append(items, st.warn.Render("paused"))
		}
		return strings.Join(items, sep)
	}
	stStyle := [...]lipgloss.Style{styleValue: st.value, styleGood: st.good, styleWarn: st.warn, styleBad: st.bad}[in.style]
	broker, clock := sanitize(in.broker), sanitize(in.clock)
	long := []string{title,
		kv(st, "broker", broker),
		kv(st, "run", strconv.Itoa(in.run)) + " " + stStyle.Render(in.state),
		kv(st, "elapsed", in.elapsed),
		kv(st, "left", in.left),
		kv(st, "clock", clock),
	}
	if in.embedded {
		long[1] += st.faint.Render(" (embedded)")
	}
	line := strings.Join(long, sep)
	if ansi.StringWidth(line) <= in.width {
		return line
	}
	// Narrow: terser, and the broker last so a long address cannot push
	// the run's state off the line.
	short := []string{title,
		kv(st, "run", strconv.Itoa(in.run)) + " " + stStyle.Render(in.state),
		st.value.Render(in.elapsed) + " " + st.label.Render("(") + st.value.Render(in.left) + st.label.Render(" left)"),
		st.value.Render(clock),
		kv(st, "broker", broker),
	}
	return strings.Join(short, "  ")
}

// problemShown is how long the footer shows a new warning or error: the
// log pane only fits on tall terminals, so the footer is where a problem is
// seen at 80×24.
const problemShown = 10 * time.Second

// footer is the short help, or the filter's keys while it is edited, or a
// recent problem.
func (m *Model) footer(w int) string {
	switch {
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
		}, m.keys.ShortHelp()...))
	}
	wide := m.help
	wide.SetWidth(0) // measure untruncated
	if full := wide.ShortHelpView(m.keys.ShortHelp()); ansi.StringWidth(full) <= w {
		return full
	}
	// Narrow: every key still listed, their meaning one "?" away.
	return m.help.ShortHelpView(m.keys.ShortHelp()[:2]) + m.st.faint.Render(" • keys ") +
		m.st.value.Render("d l o t u [ ] + - space r / tab")
}

// View draws the screen: exactly the terminal's height in lines, none wider
// than the terminal. It only joins what Update rendered.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
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
		lines := pack(strings.Fields(msg), " ", w)
		for i := range lines {
			lines[i] = clip(lines[i], w)
		}
		for len(lines) < h {
			lines = append(lines, "")
		}
		return strings.Join(lines[:h], "\n")
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.headerLine)
	if m.bannerText != "" {
		lines = append(lines, m.st.banner.Render(fit(" "+m.bannerText, w)))
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
