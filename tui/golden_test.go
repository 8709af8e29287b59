package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
