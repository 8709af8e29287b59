package tui

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// TestProgram runs the model in a real Bubble Tea program (no terminal):
// frames tick, a key sent to the program reaches the controls, and the run
// entering Stopping ends the program.
func TestProgram(t *testing.T) {
	ctl := testControls(t)
	var frames atomic.Int64
	base := testSnapshot()
	src := func() bus.Snapshot {
		s := clone(base)
		// Stop once the key has taken effect and a few frames went by.
		if frames.Add(1) >= 5 && !ctl.Load().Dedup {
			s.Run.State = bus.Stopping
		}
		return s
	}
	m, err := New(Options{Controller: ctl, Source: src, FPS: 50})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(&out),
		tea.WithWindowSize(80, 24), tea.WithColorProfile(colorprofile.Ascii), tea.WithoutSignals())
	go p.Send(tea.KeyPressMsg{Code: 'u', Text: "u"})
	final, err := p.Run()
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	if n := frames.Load(); n < 5 {
		t.Errorf("%d frames before quitting, want 5", n)
	}
	if ctl.Load().Dedup {
		t.Error("the key sent to the program did not reach the controls")
	}
	if fm, ok := final.(*Model); !ok || fm != m {
		t.Fatalf("final model %T", final)
	}
	if !strings.Contains(out.String(), "streamtop") {
		t.Error("nothing drawn")
	}
}
