package tui

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/feed/bus"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestGolden(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h)
			checkGeometry(t, m.View().Content, sz.w, sz.h)
			got := plain(t, m)
			checkGeometry(t, got, sz.w, sz.h)
			checkGolden(t, fmt.Sprintf("view_%dx%d.golden", sz.w, sz.h), got, sz.w, sz.h)
			for _, s := range []string{"streamtop", "broker 127.0.0.1:40123", "run 1", "running",
				"dup 5% on", "late 1% on", "ooo off", "rate 20/s/device", "mode event", "dedup on", "W 1s",
				"3 exceptions out of 80", "provisional 5/96", "pending 16", "5 rows"} {
				if !strings.Contains(got, s) {
					t.Errorf("view lacks %q", s)
				}
			}
		})
	}
}

// checkGolden compares a w×h view with testdata/name, which -update rewrites.
func checkGolden(t *testing.T, name, got string, w, h int) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui/ -run %s -update)", err, t.Name())
	}
	checkGeometry(t, string(want), w, h)
	if got != string(want) {
		t.Errorf("view differs from %s (rerun with -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// TestGoldenThemes keeps each theme's colours: the 120×40 view with its
// escape codes (true colour; the 16-colour theme through the ANSI
// profile), and the plain view at 200×60.
func TestGoldenThemes(t *testing.T) {
	t.Setenv("NO_COLOR", "") // auto's golden is the colour one
	for _, theme := range Themes {
		t.Run(theme, func(t *testing.T) {
			snap := testSnapshot()
			m := newModelWith(t, Options{Source: func() bus.Snapshot { return snap }, Theme: theme}, 120, 40)
			var buf bytes.Buffer
			w := colorprofile.NewWriter(&buf, nil)
			w.Profile = colorprofile.TrueColor
			if theme == "16" {
				w.Profile = colorprofile.ANSI
			}
			if _, err := w.WriteString(m.View().Content); err != nil {
				t.Fatal(err)
			}
			checkGeometry(t, ansi.Strip(buf.String()), 120, 40)
			checkGolden(t, "view_theme_"+theme+"_120x40.golden", buf.String(), 120, 40)
		})
	}
	m := newTestModel(t, testControls(t), testSnapshot(), 200, 60)
	checkGolden(t, "view_200x60.golden", plain(t, m), 200, 60)
}
