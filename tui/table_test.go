package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/charmbracelet/x/ansi"
)

const uuidDev = "51b0eff7-0c0f-403a-beca-77db1decc360"

// uuidSnapshot is testSnapshot with UUID device ids, as the injector makes them.
func uuidSnapshot() (snap testSnap) {
	s := testSnapshot()
	cs := *s.Compare
	cs.Report.Exceptions = append(cs.Report.Exceptions[:0:0], cs.Report.Exceptions...)
	for i := range cs.Report.Exceptions {
		cs.Report.Exceptions[i].Device = uuidDev[:35] + string(rune('0'+i))
	}
	s.Compare = &cs
	return testSnap(s)
}

// Device ids are cut only when the pane has no room for them: at 200
// columns every id shows in full, with the cause beside it.
func TestDeviceIdsWhole(t *testing.T) {
	m := newTestModel(t, testControls(t), uuidSnapshot().Snapshot(), 200, 60)
	pane := ansi.Strip(m.cmp.View())
	for i := range 5 {
		id := uuidDev[:35] + string(rune('0'+i))
		if !strings.Contains(pane, id) {
			t.Errorf("device %s cut at 200 columns:\n%s", id, pane)
		}
	}
	if !strings.Contains(pane, "late dropped (1)") {
		t.Errorf("no cause beside the whole ids:\n%s", pane)
	}
	m = newTestModel(t, testControls(t), uuidSnapshot().Snapshot(), 80, 24)
	if pane := ansi.Strip(m.cmp.View()); !strings.Contains(pane, "51b0") {
		t.Errorf("at 80 columns the device column is gone:\n%s", pane)
	}
}

// The filter applies as it is typed, takes a regular expression, and "!"
// inverts it.
func TestFilterAsYouType(t *testing.T) {
	m := newTestModel(t, testControls(t), testSnapshot(), 120, 40)
	press(m, "/", "m", "i", "s", "s")
	if got := ansi.Strip(m.cmp.View()); !strings.Contains(got, "dev-7f3a cat-1") || strings.Contains(got, "dev-19c4") {
		t.Errorf("not filtered while typing:\n%s", got)
	}
	press(m, "esc", "/", "!", "c", "a", "t", "-", "[", "1", "2", "]", "enter")
	got := ansi.Strip(m.cmp.View())
	if !strings.Contains(got, "2 rows (filter: !cat-[12])") || strings.Contains(got, " cat-1 ") || strings.Contains(got, " cat-2 ") {
		t.Errorf("an inverted regular expression:\n%s", got)
	}
}

// rowOrder is the devices and categories of the table's rows, top down.
func rowOrder(m *Model) []string {
	var out []string
	for _, l := range strings.Split(ansi.Strip(m.cmp.View()), "\n") {
		if f := strings.Fields(strings.Trim(l, "┃ ")); len(f) > 3 && strings.HasPrefix(f[len(f)-1], "") && strings.Contains(l, "dev-") {
			for _, w := range f {
				if strings.HasPrefix(w, "cat-") {
					out = append(out, w)
				}
			}
		}
	}
	return out
}

// Newest exceptions first by default; s sorts by the next column, S
// reverses, and the header and status line say so.
func TestSort(t *testing.T) {
	m := newTestModel(t, testControls(t), testSnapshot(), 120, 40)
	// testSnapshot's rows by window end: cat-2 (00:20), cat-1, cat-3, cat-2, cat-4 (01:05).
	if got := strings.Join(rowOrder(m), " "); got != "cat-4 cat-2 cat-3 cat-1 cat-2" {
		t.Fatalf("default order %q, want newest first", got)
	}
	if v := ansi.Strip(m.cmp.View()); !strings.Contains(v, "window_end UTC↓") {
		t.Errorf("the sorted column is not marked:\n%s", v)
	}
	press(m, "s", "s") // device, then category (A→Z)
	if got := strings.Join(rowOrder(m), " "); got != "cat-1 cat-2 cat-2 cat-3 cat-4" {
		t.Errorf("by category: %q", got)
	}
	press(m, "S")
	v := ansi.Strip(m.cmp.View())
	if got := strings.Join(rowOrder(m), " "); got != "cat-4 cat-3 cat-2 cat-2 cat-1" {
		t.Errorf("by category, reversed: %q", got)
	}
	if !strings.Contains(v, "category↓") || !strings.Contains(v, "by category ↓") {
		t.Errorf("the order is not said:\n%s", v)
	}
	press(m, "s", "s", "s") // truth, down, Δm1 (largest first)
	v = ansi.Strip(m.cmp.View())
	if !strings.Contains(v, "by Δm1 ↓") || strings.Index(v, "+42") > strings.Index(v, "-42") {
		t.Errorf("by Δm1: +42 should come before -42:\n%s", v)
	}
}

// f freezes the display while the run goes on: new snapshots do not show
// until f again, and the header says it is frozen.
func TestFreeze(t *testing.T) {
	snap := testSnapshot()
	cur := snap
	m := newModelWith(t, Options{Source: func() bus.Snapshot { return cur }}, 120, 40)
	press(m, "f")
	later := testSnapshot()
	in := *later.Injector
	in.Sent = 999999
	later.Injector = &in
	cur = later
	m.Update(frameMsg{t: frameTime.Add(time.Second)})
	got := plain(t, m)
	if strings.Contains(got, "999999") || !strings.Contains(got, "FROZEN") {
		t.Fatalf("frozen display moved, or does not say it is frozen:\n%s", got)
	}
	press(m, "f")
	m.Update(frameMsg{t: frameTime.Add(2 * time.Second)})
	if got := plain(t, m); !strings.Contains(got, "999999") || strings.Contains(got, "FROZEN") {
		t.Fatalf("f did not resume:\n%s", got)
	}
}
