package tui

import (
	"strings"
	"testing"

	"github.com/streamtop/streamtop/feed/bus"
)

// A changed key map takes effect, and the footer and the help show it.
func TestKeyMap(t *testing.T) {
	keys, err := ParseKeys("reset=R freeze=F,ctrl+f")
	if err != nil {
		t.Fatal(err)
	}
	snap := testSnapshot()
	m := newModelWith(t, Options{Source: func() bus.Snapshot { return snap }, Keys: keys}, 120, 40)
	if got := plain(t, m); !strings.Contains(got, "R reset") || strings.Contains(got, "r reset") {
		t.Errorf("the footer does not show R for reset:\n%s", got)
	}
	press(m, "r")
	if strings.Contains(plain(t, m), "reset the run?") {
		t.Error("r still asks to reset")
	}
	press(m, "R")
	if !strings.Contains(plain(t, m), "reset the run?") {
		t.Error("R does not ask to reset")
	}
	press(m, "n", "F")
	if !strings.Contains(plain(t, m), "FROZEN") {
		t.Error("F does not freeze")
	}
	press(m, "?")
	if got := plain(t, m); !strings.Contains(got, "F/ctrl+f") {
		t.Errorf("the help does not show the new freeze keys:\n%s", got)
	}
}

func TestKeyMapErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"reset=d", `"d" is bound to both dup and reset`},
		{"explode=x", `no action "explode"`},
		{"reset", "want ACTION=KEY"},
		{"reset=R,", "reset: an empty key"},
	} {
		keys, err := ParseKeys(c.spec)
		if err == nil {
			err = CheckKeys(keys)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.spec, err, c.want)
		}
	}
}
