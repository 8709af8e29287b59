package tui

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/streamtop/streamtop/compare"
)

func TestSanitize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"dev-7f3a", "dev-7f3a"},
		{"", ""},
		{"dev\x1b[2J\x07", "dev�[2J�"},
		{"\x1b]0;pwned\x07title", "�]0;pwned�title"},
		{"\x1bP+q\x1b\\", "�P+q�\\"},
		{"csi\u009b31m c1", "csi�31m c1"},
		{"del\x7f nul\x00", "del� nul�"},
		{"tab\there\nnew\rline", "tab here new line"},
		{"bad \xff\xfe utf8", "bad �� utf8"},
		{"rtl \u202eevil\u202c", "rtl �evil�"},
		{"ünïcødé 温度 ≥ 50", "ünïcødé 温度 ≥ 50"},
	} {
		if got := sanitize(c.in); got != c.want {
			t.Errorf("sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("x", 3*compare.MaxPrintable)
	if got := sanitize(long); len(got) > compare.MaxPrintable {
		t.Errorf("sanitize kept %d bytes", len(got))
	}
	cut := strings.Repeat("é", compare.MaxPrintable) // a rune cut at compare.MaxPrintable
	if got := sanitize(cut); !utf8.ValidString(got) {
		t.Error("sanitize returned invalid UTF-8")
	}
}

// checkOnlySGR fails if s holds a control character other than newline, or
// an escape sequence other than SGR (ESC [ params m): the only sequences
// the screen itself writes.
func checkOnlySGR(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			j := i + 1
			if j >= len(s) || s[j] != '[' {
				t.Fatalf("non-CSI escape at %d: %q", i, s[i:min(i+12, len(s))])
			}
			j++
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				t.Fatalf("non-SGR sequence at %d: %q", i, s[i:min(j+1, len(s))])
			}
			i = j
		case c == '\n':
		case c < 0x20 || c == 0x7f:
			t.Fatalf("control byte %#x at %d", c, i)
		}
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			t.Fatalf("C1 control %U in content", r)
		}
	}
}

// TestHostileStrings puts escape sequences in every string a snapshot
// carries and checks none reaches the screen.
func TestHostileStrings(t *testing.T) {
	evil := "\x1b[2J\x07\x1b]0;pwned\x07\u009b2J"
	snap := testSnapshot()
	run := *snap.Run
	run.Broker, run.Clock, run.Err = "127.0.0.1:1"+evil, "virtual"+evil, evil
	snap.Run = &run
	inj := *snap.Injector
	inj.Replay = "events.jsonl" + evil
	snap.Injector = &inj
	eng := *snap.Engine
	eng.Err = evil
	eng.Recent = append([]bus.LateEvent(nil), eng.Recent...)
	eng.Recent[0].Device = "dev" + evil
	eng.Recent[0].Category = "cat" + evil
	snap.Engine = &eng
	cs := *snap.Compare
	cs.Downstream = "flink" + evil
	cs.Report.Exceptions = append(cs.Report.Exceptions[:0:0], cs.Report.Exceptions...)
	cs.Report.Exceptions[0].Device = "dev-" + evil
	cs.Report.Exceptions[1].Category = "cat-" + evil
	snap.Compare = &cs
	rs := *snap.Rates
	rs.Source, rs.Err = "http://x/"+evil, evil
	rs.Alerts = append([]bus.RateAlert(nil), rs.Alerts...)
	rs.Alerts[2].Message = "alert" + evil
	snap.Rates = &rs
	snap.Logs = append(snap.Logs, bus.LogEntry{Level: bus.Error, Role: "kafka" + evil, Text: "text" + evil})

	for _, sz := range sizes {
		m := newTestModel(t, testControls(t), snap, sz.w, sz.h)
		got := m.View().Content
		checkGeometry(t, got, sz.w, sz.h)
		checkOnlySGR(t, got)
		if strings.Contains(got, "\x1b[2J") || strings.Contains(got, "\x07") || strings.Contains(got, "\x1b]") {
			t.Fatalf("%dx%d: escape sequence reached the screen", sz.w, sz.h)
		}
		// The filter input echoes what was typed: sanitized too.
		press(m, "/", "\x1b[2J")
		checkOnlySGR(t, m.View().Content)
		press(m, "enter")
		checkOnlySGR(t, m.View().Content)
		m.Update(frameMsg{t: frameTime})
		checkOnlySGR(t, m.View().Content)
	}
}

// TestNoColor: with NO_COLOR set the screen uses no colour at all (bold
// and faint remain).
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	for _, sz := range sizes {
		m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
		for _, keys := range [][]string{nil, {"?"}, {"?", "/", "c"}} {
			press(m, keys...)
			got := m.View().Content
			checkGeometry(t, got, sz.w, sz.h)
			checkOnlySGR(t, got)
			for _, p := range sgrParams(got) {
				switch {
				case p >= 30 && p <= 49, p >= 90 && p <= 107:
					t.Fatalf("%dx%d: colour SGR parameter %d with NO_COLOR", sz.w, sz.h, p)
				}
			}
		}
	}
	// Without NO_COLOR there are colours (the check above can fail).
	t.Setenv("NO_COLOR", "")
	m := newTestModel(t, testControls(t), testSnapshot(), 80, 24)
	colour := false
	for _, p := range sgrParams(m.View().Content) {
		if p == 38 {
			colour = true
		}
	}
	if !colour {
		t.Error("no colour without NO_COLOR")
	}
}

// sgrParams returns the first parameter of every SGR sub-sequence (the
// parameter after 38/48 colour introducers is skipped with its values).
func sgrParams(s string) []int {
	var out []int
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.IndexByte(s, 'm')
		if j < 0 {
			return out
		}
		params := strings.FieldsFunc(s[:j], func(r rune) bool { return r == ';' || r == ':' })
		for k := 0; k < len(params); k++ {
			n := 0
			for _, c := range params[k] {
				n = n*10 + int(c-'0')
			}
			out = append(out, n)
			if n == 38 || n == 48 || n == 58 {
				if k+1 < len(params) && params[k+1] == "5" {
					k += 2
				} else if k+1 < len(params) && params[k+1] == "2" {
					k += 4
				}
			}
		}
		s = s[j+1:]
	}
}

// hostile is what a record from Kafka can carry to the screen: an OSC 52
// clipboard write, a screen clear, a carriage return, invalid UTF-8.
const hostile = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\r\xff\xfe\xc0\x9b"

// poison puts hostile around every settable string reachable from v
// (through pointers, structs, slices and arrays) and counts them.
func poison(v reflect.Value) int {
	n := 0
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(hostile + v.String() + hostile)
			n++
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			n += poison(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			n += poison(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			n += poison(v.Index(i))
		}
	}
	return n
}

// sgr is a styling sequence, the only kind the screen writes.
var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// TestEveryStringSanitized renders a snapshot whose every string field
// holds escape sequences, control characters and invalid bytes, in every
// state of the screen, and checks nothing but styling reaches the terminal:
// raw, only SGR sequences; through the ASCII colour profile with those
// removed, no ESC at all.
func TestEveryStringSanitized(t *testing.T) {
	snap := testSnapshot()
	snap.Logs = append(snap.Logs, bus.LogEntry{Time: frameTime, Level: bus.Error, Role: "kafka", Text: "fetch failed"})
	if n := poison(reflect.ValueOf(&snap)); n < 40 {
		t.Fatalf("only %d strings poisoned", n)
	}
	awaiting := snap
	run := *snap.Run
	run.State = bus.AwaitingConfirm
	awaiting.Run = &run
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 50}} {
		for _, s := range []bus.Snapshot{snap, awaiting} {
			m := newTestModel(t, testControls(t), s, sz.w, sz.h)
			check := func(state string) {
				t.Helper()
				got := m.View().Content
				checkGeometry(t, got, sz.w, sz.h)
				checkOnlySGR(t, got)
				if !utf8.ValidString(got) {
					t.Fatalf("%dx%d %s: invalid UTF-8 on the screen", sz.w, sz.h, state)
				}
				var buf bytes.Buffer
				w := colorprofile.NewWriter(&buf, nil)
				w.Profile = colorprofile.Ascii
				if _, err := w.WriteString(got); err != nil {
					t.Fatal(err)
				}
				if i := strings.IndexByte(sgr.ReplaceAllString(buf.String(), ""), 0x1b); i >= 0 {
					t.Fatalf("%dx%d %s: ESC beyond styling under the ASCII profile", sz.w, sz.h, state)
				}
			}
			check("panes")
			for _, k := range []string{"tab", "tab", "down", "pgdown"} {
				press(m, k)
				check("after " + k)
			}
			press(m, "?")
			check("help")
			press(m, "esc", "/")
			m.Update(tea.PasteMsg{Content: hostile})
			check("filter pasted")
			press(m, "enter")
			check("filter applied")
		}
	}
}
