package tui

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/compare"
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

// The detail view lists the events the cause names: each late original and
// counted copy with its id, m1, device time and send time; at 80 columns
// the id takes a line of its own, and y copies them with the row.
func TestDetailNamesTheEvents(t *testing.T) {
	snap := uuidSnapshot().Snapshot()
	cs := *snap.Compare
	cs.Report.Exceptions = append(cs.Report.Exceptions[:0:0], cs.Report.Exceptions...)
	r := &cs.Report.Exceptions[4] // 01:05, late dropped (1) + duplicates counted (1)
	end := r.WindowEnd
	const lateID, copyID = "6f1c2a9e-5d3b-4c8a-9e7f-0a1b2c3d4e5f", "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"
	r.Late = []compare.Candidate{{ID: lateID + "\x1b[31m", M1: 41, Time: end - 3200, Send: end + 418_300}}
	r.Dups = []compare.Candidate{{ID: copyID, M1: 7, Time: end - 900, Send: end - 400}}
	snap.Compare = &cs
	for _, sz := range []struct{ w, h int }{{200, 60}, {80, 24}} {
		m := newTestModel(t, testControls(t), snap, sz.w, sz.h)
		press(m, "enter") // newest first: the 01:05 row
		got := plain(t, m)
		checkGeometry(t, got, sz.w, sz.h)
		for _, want := range []string{"events the cause names", lateID, copyID,
			"00:01:01.800", "00:08:03.300", "00:01:04.100", "00:01:04.600"} {
			if !strings.Contains(got, want) {
				t.Errorf("%dx%d: the detail lacks %q:\n%s", sz.w, sz.h, want, got)
			}
		}
		if strings.Contains(m.View().Content, "\x1b[31m") {
			t.Errorf("%dx%d: an id's escape reached the screen", sz.w, sz.h)
		}
		if wide := sz.w >= 120; wide != strings.Contains(got, "+6m58.3s") {
			t.Errorf("%dx%d: 'sent − end' shown %v, want %v:\n%s", sz.w, sz.h, !wide, wide, got)
		}
		if alone := lineWith(got, lateID) != lineWith(got, "00:08:03.300"); alone != (sz.w < 120) {
			t.Errorf("%dx%d: the id on a line of its own: %v, want %v", sz.w, sz.h, alone, !alone)
		}
	}
	m := newTestModel(t, testControls(t), snap, 120, 40)
	cmd := press(m, "y")
	if cmd == nil {
		t.Fatal("y: no command")
	}
	if _, rows := m.cmp.exportTable(); len(rows) == 0 || !strings.Contains(rows[0][12], "late "+lateID) ||
		!strings.Contains(rows[0][12], " m1 41 device 2026-01-01T00:01:01.800Z sent 2026-01-01T00:08:03.300Z; copy "+copyID) {
		t.Errorf("the export's events column: %q", rows[0])
	}
	if got := reflect.ValueOf(cmd()).String(); !strings.Contains(got, "late: "+lateID) || !strings.Contains(got, "copy: "+copyID+" m1 7") {
		t.Errorf("y copied %q, without the events", got)
	}
}

// A row whose cause names no single event says so; one whose events were
// too many to keep one by one says that.
func TestDetailNoEvents(t *testing.T) {
	for _, c := range []struct {
		keys []string
		want string
	}{
		{[]string{"j", "j", "j"}, "the cause names no single event"},  // 00:35, missing
		{[]string{"j", "j", "j", "j"}, "too many to keep one by one"}, // 00:20, late dropped (1), no events kept
	} {
		m := newTestModel(t, testControls(t), uuidSnapshot().Snapshot(), 120, 40)
		press(m, c.keys...)
		press(m, "enter")
		if got := plain(t, m); !strings.Contains(got, c.want) {
			t.Errorf("want %q:\n%s", c.want, got)
		}
	}
}
