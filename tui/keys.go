package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key of the screen, with the help text shown in the footer
// (short help) and by "?" (full help).
type KeyMap struct {
	Dup           key.Binding
	Late          key.Binding
	OOO           key.Binding
	Mode          key.Binding
	Dedup         key.Binding
	WatermarkDown key.Binding
	WatermarkUp   key.Binding
	RateUp        key.Binding
	RateDown      key.Binding
	Pause         key.Binding
	Reset         key.Binding
	Confirm       key.Binding
	NextPane      key.Binding
	PrevPane      key.Binding
	Filter        key.Binding
	Engine        key.Binding // the engine the exception table follows
	PeerLog       key.Binding // a peer's log in place of the table
	// Legend is the "=" of the other engines' columns (display only).
	Legend   key.Binding
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	// Sort and SortReverse order the exception table (comparator focused).
	Sort        key.Binding
	SortReverse key.Binding
	Freeze      key.Binding // the display holds still while the run goes on
	Open        key.Binding // the selected row's details
	Copy        key.Binding // the selected row, to the clipboard (OSC 52)
	CopyID      key.Binding // its device id
	Export      key.Binding // the table in view, to CSV and JSON files
	Help        key.Binding
	Quit        key.Binding
	Esc         key.Binding

	// Footer entries: terser help, some standing for several keys
	// (display only, never matched); peerShort are added while peers run.
	short, peerShort []key.Binding
}

// DefaultKeyMap returns the keys of SPEC §8.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Dup:           b([]string{"d"}, "d", "duplicates on/off"),
		Late:          b([]string{"l"}, "l", "late events on/off"),
		OOO:           b([]string{"o"}, "o", "out-of-order on/off"),
		Mode:          b([]string{"t"}, "t", "time mode"),
		Dedup:         b([]string{"u"}, "u", "dedup on/off"),
		WatermarkDown: b([]string{"["}, "[", "watermark lag −"),
		WatermarkUp:   b([]string{"]"}, "]", "watermark lag +"),
		RateUp:        b([]string{"+", "="}, "+", "rate up"),
		RateDown:      b([]string{"-"}, "-", "rate down"),
		Pause:         b([]string{"space"}, "space", "pause/resume"),
		Reset:         b([]string{"r"}, "r", "reset the run (asks first)"),
		Confirm:       b([]string{"enter"}, "enter", "confirm run end"),
		NextPane:      b([]string{"tab"}, "tab", "next pane"),
		PrevPane:      b([]string{"shift+tab"}, "shift+tab", "previous pane"),
		Filter:        b([]string{"/"}, "/", "filter the list"),
		Engine:        b([]string{"n"}, "n", "exceptions of the next engine"),
		PeerLog:       b([]string{"L"}, "L", "a peer's log (comparator focused)"),
		// Never matched (RateUp has "=" too): help renders enabled bindings only.
		Legend:      b([]string{"="}, "=", "in an engine's column: not an exception for that engine"),
		Up:          b([]string{"up", "k"}, "↑/k", "scroll up"),
		Down:        b([]string{"down", "j"}, "↓/j", "scroll down"),
		PageUp:      b([]string{"pgup"}, "pgup", "page up"),
		PageDown:    b([]string{"pgdown"}, "pgdown", "page down"),
		Top:         b([]string{"g", "home"}, "g/home", "first row"),
		Bottom:      b([]string{"G", "end"}, "G/end", "last row"),
		Sort:        b([]string{"s"}, "s", "sort by the next column"),
		SortReverse: b([]string{"S"}, "S", "reverse the sort"),
		Freeze:      b([]string{"f"}, "f", "freeze/resume the display"),
		Open:        b([]string{"enter"}, "enter", "the selected row's details"),
		Copy:        b([]string{"y"}, "y", "copy the selected row"),
		CopyID:      b([]string{"Y"}, "Y", "copy its device id"),
		Export:      b([]string{"e"}, "e", "export the table in view (CSV, JSON)"),
		Help:        b([]string{"?"}, "?", "toggle help"),
		Quit:        b([]string{"q", "ctrl+c"}, "q", "quit"),
		Esc:         b([]string{"esc"}, "esc", "clear filter/close"),

		short: []key.Binding{
			b([]string{"?"}, "?", "help"),
			b([]string{"q"}, "q", "quit"),
			b([]string{"d", "l", "o"}, "d/l/o", "faults"),
			b([]string{"t"}, "t", "mode"),
			b([]string{"u"}, "u", "dedup"),
			b([]string{"[", "]"}, "[/]", "W"),
			b([]string{"+", "-"}, "+/-", "rate"),
			b([]string{"space"}, "space", "pause"),
			b([]string{"r"}, "r", "reset"),
			b([]string{"tab"}, "tab", "pane"),
			b([]string{"/"}, "/", "filter"),
		},
		peerShort: []key.Binding{
			b([]string{"n"}, "n", "engine"),
			b([]string{"L"}, "L", "peer log"),
		},
	}
}

// ShortHelp is the footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return k.short
}

// shortHelp is the footer, with the peers' keys while peers run.
func (k KeyMap) shortHelp(peers bool) []key.Binding {
	if peers {
		return append(append([]key.Binding(nil), k.short...), k.peerShort...)
	}
	return k.short
}

// viewOnly is the short help of a read-only screen: no control key.
func (k KeyMap) viewOnly(peers bool) []key.Binding {
	b := []key.Binding{k.Help, k.Quit, k.NextPane, k.Filter}
	if peers {
		b = append(b, k.Engine, k.PeerLog)
	}
	return b
}

// readOnlyHelp is the "?" screen of a read-only screen: the keys that
// only look.
func (k KeyMap) readOnlyHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Filter, k.Esc, k.Help, k.Quit, k.Freeze},
		{k.NextPane, k.PrevPane, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Engine, k.PeerLog, k.Legend, k.Sort, k.SortReverse},
		{k.Open, k.Copy, k.CopyID, k.Export},
	}
}

// FullHelp is the "?" screen: every key, in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Dup, k.Late, k.OOO, k.Mode, k.Dedup},
		{k.WatermarkDown, k.WatermarkUp, k.RateUp, k.RateDown, k.Pause},
		{k.Reset, k.Confirm, k.Filter, k.Esc, k.Help, k.Quit, k.Freeze},
		{k.NextPane, k.PrevPane, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Engine, k.PeerLog, k.Legend, k.Sort, k.SortReverse},
		{k.Open, k.Copy, k.CopyID, k.Export},
	}
}
