// Package tui is streamtop's terminal screen (SPEC §8): a header with the
// run's state and remaining time, four panes (injector, engine, comparator,
// rates) and a footer of keys. It never receives one message per event: a
// frame tick at a fixed rate reads one snapshot of the newest statuses.
package tui

import (
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
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
	// ReadOnly: the run belongs to other hosts (watch): control keys are
	// not offered, pressing one says so, and the injector's figures are
	// shown as observed from the topics, not as settings.
	ReadOnly bool
	// Theme is the palette: "auto" or "" (dark or light from the
	// terminal's background; none under NO_COLOR), "dark", "light",
	// "16" (the terminal's own 16 colours) or "none".
	Theme string
	// Location is the zone wall-clock times (the log's) are shown in
	// [time.Local]; event times and window labels are always UTC, as the
	// semantics label windows.
	Location *time.Location
	// Mouse: a click focuses a pane (and selects a table row), the wheel
	// scrolls. Off by default: mouse mode stops the terminal's own text
	// selection.
	Mouse bool
	// ASCII draws the screen in ASCII whatever the locale (a locale that is
	// not UTF-8, LANG=C, does it by itself).
	ASCII bool
	// Keys changes bindings: action name (KeyActions) → keys, e.g.
	// "reset" → ["R"]. An unknown action or a key bound twice is an error.
	Keys map[string][]string
	// ExportDir is where e writes the table in view ["." : the working
	// directory].
	ExportDir string
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
	paneLog
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
	setYear(int)
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
	cells   ansi.Method // the renderer's width rule (see cellRule)
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

	filtering    bool
	confirmReset bool             // r was pressed: the next key confirms (y) or cancels
	helpScroll   int              // the help's first line shown
	readOnly     bool             // Options.ReadOnly
	theme        string           // Options.Theme
	frozen       bool             // f: the display holds its last frame while the run goes on
	notice       string           // what the last key did (an export, a copy), in the footer until the next key
	exportDir    string           // Options.ExportDir
	mouseOn      bool             // Options.Mouse
	ascii        bool             // draw in ASCII (Options.ASCII, or a locale that is not UTF-8)
	refused      string           // the control key last pressed in read-only mode, said in the footer until the next key
	filterTexts  [numPanes]string // each list's filter, as applied
	filterOn     int              // the pane whose filter is edited (or was last)
	showHelp     bool
	problem      *bus.LogEntry // the newest warning or error, shown in the footer for a while

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
	keys, err := withKeys(opts.Keys)
	if err != nil {
		return nil, err
	}
	if opts.Title == "" {
		opts.Title = "streamtop"
	}
	m := &Model{
		ctl:     opts.Controller,
		source:  opts.Source,
		fps:     opts.FPS,
		title:   sanitize(opts.Title),
		keys:    keys,
		help:    help.New(),
		filter:  textinput.New(),
		noColor: os.Getenv("NO_COLOR") != "",
		ascii:   opts.ASCII || localeASCII(),
		isDark:  true,
		cells:   ansi.WcWidth, // the renderer's until the terminal reports mode 2027
		width:   minWidth,     // until the first WindowSizeMsg
		height:  minHeight,
		focus:   paneComparator,
		theme:   opts.Theme,
	}
	m.exportDir, m.mouseOn = opts.ExportDir, opts.Mouse
	if m.exportDir == "" {
		m.exportDir = "."
	}
	m.st = newStyles(m.theme, m.isDark, m.noColor, m.cells)
	m.inj, m.eng, m.cmp, m.rates = newInjectorPane(m.st), newEnginePane(m.st), newComparatorPane(m.st), newRatesPane(m.st)
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	m.logs = newLogPane(m.st, loc)
	m.panes = [numPanes]pane{m.inj, m.eng, m.cmp, m.rates, m.logs}
	m.readOnly, m.inj.observed, m.eng.observed = opts.ReadOnly, opts.ReadOnly, opts.ReadOnly
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

// Update handles frames, keys, size, background and the terminal's width
// rule (its answer to the renderer's mode 2027 query).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case frameMsg:
		cmd = m.frame(msg.t)
	case tea.MouseClickMsg, tea.MouseWheelMsg:
		if m.mouseOn {
			m.mouse(msg.(tea.MouseMsg))
		}
	case exportedMsg:
		m.notice = "exported " + strconv.Itoa(msg.rows) + " rows to " + msg.csv + " and " + msg.json
		if msg.err != nil {
			m.notice = "export failed: " + msg.err.Error()
		}
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 0), max(msg.Height, 0)
	case tea.BackgroundColorMsg:
		if d := msg.IsDark(); d != m.isDark {
			m.isDark = d
			m.st = newStyles(m.theme, d, m.noColor, m.cells)
			m.applyStyles()
		}
	case tea.ModeReportMsg:
		// Bubble Tea's renderer measures per grapheme cluster once the
		// terminal answers its mode 2027 query with any of these, per
		// codepoint before: the screen measures as it does.
		if msg.Mode == ansi.ModeUnicodeCore && m.cells != ansi.GraphemeWidth &&
			(msg.Value == ansi.ModeReset || msg.Value == ansi.ModeSet || msg.Value == ansi.ModePermanentlySet) {
			m.cells = ansi.GraphemeWidth
			m.st = newStyles(m.theme, m.isDark, m.noColor, m.cells)
			m.applyStyles()
		}
	case tea.KeyPressMsg:
		cmd = m.key(msg)
	default:
		if m.filtering { // paste, cursor messages
			m.filter, cmd = m.filter.Update(msg)
			m.filtered().SetInput(m.filter.View(), true)
		}
	}
	m.layout()
	return m, cmd
}

// frame reads one snapshot and the settings in force, and schedules the
// next frame, or quits when the run is stopping.
func (m *Model) frame(t time.Time) tea.Cmd {
	if m.frozen { // the display holds still; the run goes on
		if r := m.source().Run; r != nil && r.State == bus.Stopping {
			return tea.Quit
		}
		return m.tick()
	}
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
	year := clockYear(m.snap, m.now)
	for _, p := range m.panes {
		p.setYear(year)
	}
	m.logs.setYear(wallYear(m.snap, m.now))
	m.inj.SetSnapshot(m.snap.Injector, m.settings)
	m.eng.SetSnapshot(m.snap.Engine, m.settings)
	m.cmp.SetSnapshot(&m.snap)
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
		m.filtered().SetInput(m.filter.View(), true)
	}
}

func (m *Model) apply(a bus.Action) {
	m.settings = m.ctl.Apply(a)
	m.push()
}

func (m *Model) awaiting() bool {
	return m.snap.Run != nil && m.snap.Run.State == bus.AwaitingConfirm
}
