package tui

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/feed/bus"
)

// enter opens the selected row in full (the whole device id, every value,
// the cause), esc goes back to the table.
func TestRowDetail(t *testing.T) {
	m := newTestModel(t, testControls(t), uuidSnapshot().Snapshot(), 80, 24)
	press(m, "j", "j") // newest first: the third row is 00:00:40, cat-3
	press(m, "enter")
	got := plain(t, m)
	for _, want := range []string{"Row details", uuidDev[:35] + "2", "cat-3", "2026-01-01 00:00:35 – 2026-01-01 00:00:40 UTC",
		"truth 198", "duplicates counted (1)", "settled", "row 3 of 5"} {
		if !strings.Contains(got, want) {
			t.Errorf("detail lacks %q:\n%s", want, got)
		}
	}
	checkGeometry(t, m.View().Content, 80, 24)
	press(m, "esc")
	if got := plain(t, m); strings.Contains(got, "Row details") || !strings.Contains(got, "Comparator") {
		t.Errorf("esc did not go back to the table:\n%s", got)
	}
}

// y copies the selected row and Y its device id, with OSC 52 (a Bubble
// Tea command: it works over SSH when the terminal allows it).
func TestCopy(t *testing.T) {
	m := newTestModel(t, testControls(t), uuidSnapshot().Snapshot(), 120, 40)
	for _, c := range []struct {
		key, want string
	}{{"Y", uuidDev[:35] + "4"}, {"y", "device: " + uuidDev[:35] + "4"}} {
		cmd := press(m, c.key)
		if cmd == nil {
			t.Fatalf("%s: no command", c.key)
		}
		// The command's message is Bubble Tea's clipboard request: a string.
		if got := reflect.ValueOf(cmd()); got.Kind() != reflect.String || !strings.Contains(got.String(), c.want) {
			t.Errorf("%s copied %v, want it to hold %q", c.key, got, c.want)
		}
		if !strings.Contains(plain(t, m), "copied") {
			t.Errorf("%s: the footer does not say what was copied", c.key)
		}
	}
}

// e writes the table in view (filtered, in the order shown) to a CSV and a
// JSON file, and the footer says where.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	snap := uuidSnapshot().Snapshot()
	m := newModelWith(t, Options{Source: func() bus.Snapshot { return snap }, ExportDir: dir}, 120, 40)
	press(m, "/", "!", "m", "i", "s", "s", "enter") // four rows of five
	cmd := press(m, "e")
	if cmd == nil {
		t.Fatal("e returned no command")
	}
	m.Update(cmd())
	foot := plain(t, m)
	files, _ := filepath.Glob(filepath.Join(dir, "streamtop-exceptions-streamtop-*.csv"))
	if len(files) != 1 || !strings.Contains(foot, "exported 4 rows to "+files[0]) {
		t.Fatalf("files %v; footer:\n%s", files, foot)
	}
	f, _ := os.Open(files[0])
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 5 || recs[0][0] != "window_end" || recs[1][1] != uuidDev[:35]+"4" || recs[1][11] != "late dropped (1) + duplicates counted (1) (or 2 alternatives)" {
		t.Fatalf("csv %v, %v", recs, err)
	}
	js, _ := os.ReadFile(strings.TrimSuffix(files[0], ".csv") + ".json")
	var objs []map[string]string
	if err := json.Unmarshal(js, &objs); err != nil || len(objs) != 4 || objs[0]["device"] != uuidDev[:35]+"4" {
		t.Fatalf("json %s, %v", js, err)
	}
}
