package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/streamtop/streamtop/tui"
)

// screenFlags are the screen's looks: its palette and the zone of its
// wall-clock times (the config file can set them too).
type screenFlags struct {
	theme string
	utc   bool
	mouse bool
	keys  string // "ACTION=KEY[,KEY…] …"
}

func defaultScreenFlags() screenFlags { return screenFlags{theme: "auto"} }

func (s *screenFlags) bind(b *binder) {
	b.in(grpOutput).str(&s.theme, "theme", "", "screen colours `NAME`: one of "+strings.Join(tui.Themes, ", ")+
		" (auto: from the terminal's background, none under NO_COLOR; 16: the terminal's own 16 colours)")
	b.boolean(&s.mouse, "mouse", "", "a click focuses a pane or selects a row, the wheel scrolls (the terminal's own text selection then needs shift)")
	b.str(&s.keys, "keys", "", "change the screen's keys: \"ACTION=KEY[,KEY…] …\", e.g. \"reset=R freeze=F\"; the actions: "+strings.Join(tui.KeyActions(), ", "))
	b.boolean(&s.utc, "utc", "", "the log's wall-clock times in UTC, not the local zone (window ends and event times are UTC always)")
}

// Validate refuses a theme the screen does not have, and a key map it
// cannot take.
func (s screenFlags) Validate() error {
	if !tui.ValidTheme(s.theme) {
		return fmt.Errorf("--theme %q: want one of %s", s.theme, strings.Join(tui.Themes, ", "))
	}
	if _, err := s.keyMap(); err != nil {
		return fmt.Errorf("--%w", err)
	}
	return nil
}

// keyMap is --keys as the screen takes it.
func (s screenFlags) keyMap() (map[string][]string, error) {
	keys, err := tui.ParseKeys(s.keys)
	if err != nil {
		return nil, err
	}
	return keys, tui.CheckKeys(keys)
}

// location is the zone the log's times are shown in.
func (s screenFlags) location() *time.Location {
	if s.utc {
		return time.UTC
	}
	return time.Local
}
