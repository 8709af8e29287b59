package tui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamtop/streamtop/feed/bus"
)

func TestAsciiLocale(t *testing.T) {
	for _, c := range []struct {
		env   map[string]string
		ascii bool
	}{
		{map[string]string{}, false},
		{map[string]string{"LANG": "C"}, true},
		{map[string]string{"LANG": "POSIX"}, true},
		{map[string]string{"LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LANG": "C.utf8"}, false},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "C"}, true},
		{map[string]string{"LANG": "C", "LC_CTYPE": "de_DE.UTF-8"}, false},
	} {
		if got := asciiLocale(func(k string) string { return c.env[k] }); got != c.ascii {
			t.Errorf("%v: ascii %v, want %v", c.env, got, c.ascii)
		}
	}
}

// On LANG=C the screen is drawn in ASCII, its columns where they were:
// the same lines, the same widths, not one byte above 0x7f.
func TestAsciiScreen(t *testing.T) {
	for _, sz := range sizes {
		snap := uuidSnapshot().Snapshot()
		m := newModelWith(t, Options{Source: func() bus.Snapshot { return snap }, ASCII: true}, sz.w, sz.h)
		got := plain(t, m)
		checkGeometry(t, got, sz.w, sz.h)
		for i, c := range []byte(got) {
			if c >= utf8.RuneSelf {
				t.Fatalf("%dx%d: byte %#x at %d:\n%s", sz.w, sz.h, c, i, got)
			}
		}
		utf := plain(t, newTestModel(t, testControls(t), snap, sz.w, sz.h))
		gl, ul := strings.Split(got, "\n"), strings.Split(utf, "\n")
		for i := range ul {
			if utf8.RuneCountInString(ul[i]) != len(gl[i]) {
				t.Errorf("%dx%d line %d: %d cells in UTF-8, %d in ASCII:\n%s\n%s", sz.w, sz.h, i, utf8.RuneCountInString(ul[i]), len(gl[i]), ul[i], gl[i])
			}
		}
		if !strings.Contains(got, "+- Comparator") && !strings.Contains(got, "+-") {
			t.Errorf("%dx%d: no ASCII borders:\n%s", sz.w, sz.h, got)
		}
	}
}
