package tui

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestPeerGolden: with two peers (flink running and judged, kstreams
// failed) the comparator pane heads with a scoreboard, ours first.
func TestPeerGolden(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newTestModel(t, testControls(t), peerSnapshot(), sz.w, sz.h)
			checkGeometry(t, m.View().Content, sz.w, sz.h)
			got := plain(t, m)
			checkGeometry(t, got, sz.w, sz.h)
			path := filepath.Join("testdata", fmt.Sprintf("view_peers_%dx%d.golden", sz.w, sz.h))
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./tui/ -run TestPeerGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("view differs from %s (rerun with -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
			}
			for _, s := range []string{"▸ streamtop running    3/80", "flink     running    2/80",
				"kstreams  failed  failed: exited with statu", "cannot: dedup outside a window",
				"streamtop: 5 rows"} {
				if !strings.Contains(got, s) {
					t.Errorf("view lacks %q", s)
				}
			}
			if sz.w >= 120 && !strings.Contains(got, "= not an exception for that engine") {
				t.Error("no legend for =")
			}
			if i, j := strings.Index(got, "▸ streamtop"), strings.Index(got, "  flink "); i < 0 || j < i {
				t.Errorf("ours is not first on the scoreboard\n%s", got)
			}
		})
	}
}

// TestNoPeersLookAsBefore: empty peer maps draw the goldens of a run
// without peers, byte for byte, and the peers' keys change nothing.
func TestNoPeersLookAsBefore(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		snap := testSnapshot()
		snap.Peers, snap.PeerCompares = map[string]*bus.PeerStatus{}, map[string]*bus.CompareStatus{}
		m := newTestModel(t, testControls(t), snap, sz.w, sz.h)
		want, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("view_%dx%d.golden", sz.w, sz.h)))
		if err != nil {
			t.Fatal(err)
		}
		if got := plain(t, m); got != string(want) {
			t.Fatalf("%dx%d: empty peer maps changed the view\n%s", sz.w, sz.h, got)
		}
		press(m, "n", "L")
		if got := plain(t, m); got != string(want) {
			t.Fatalf("%dx%d: e or L changed a view without peers\n%s", sz.w, sz.h, got)
		}
	}
}

// cmpText is the comparator pane's text.
func cmpText(m *Model) string { return ansi.Strip(m.cmp.View()) }

// lineWith is the first line of s containing sub ("" if none).
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// TestEngineKeyCycles: e makes the table follow ours, then each peer by
// name, then ours again; each row shows the other engines' m1 where their
// verdict lists the key, "=" elsewhere.
func TestEngineKeyCycles(t *testing.T) {
	m := newTestModel(t, testControls(t), peerSnapshot(), 120, 40)
	got := cmpText(m)
	if !strings.Contains(got, "Comparator · streamtop (topic aggregates)") || !strings.Contains(got, "streamtop: 5 rows") {
		t.Fatalf("ours is not followed first:\n%s", got)
	}
	// 00:00:20 dev-19c4: ours 270, flink 301; 00:00:40 dev-7f3a: flink has no exception.
	if l := lineWith(got, "00:00:20"); !strings.Contains(l, " 270 ") || !strings.Contains(l, " 301 ") {
		t.Errorf("flink's m1 missing beside ours: %q", l)
	}
	if l := lineWith(got, "00:00:40"); !strings.Contains(l, " 240 ") || !strings.Contains(l, " = ") {
		t.Errorf("no = where flink lists no exception: %q", l)
	}
	// 00:01:05 dev-7f3a: flink's window is still open, its exception counted
	// but not listed in its own table: still not "=".
	if l := lineWith(got, "00:01:05"); !strings.Contains(l, " 219 ") || !strings.Contains(l, " 250 ") {
		t.Errorf("flink's open-window exception shown as =: %q", l)
	}
	if strings.Contains(lineWith(got, " truth "), "kstreams") {
		t.Error("a column for kstreams, which has no verdict")
	}

	press(m, "n")
	got = cmpText(m)
	if !strings.Contains(got, "Comparator · flink (topic aggregates.flink)") || !strings.Contains(got, "flink: 2 rows") ||
		!strings.Contains(got, "▸ flink") {
		t.Fatalf("e did not follow flink:\n%s", got)
	}
	if !strings.Contains(got, "+1 in windows still open") {
		t.Errorf("flink's open window is not counted:\n%s", got)
	}
	if strings.Contains(got, "00:00:40") {
		t.Errorf("flink's table lists one of our exceptions:\n%s", got)
	}
	if l := lineWith(got, "00:00:20"); !strings.Contains(l, "unexplained") ||
		strings.Index(l, " 301 ") > strings.Index(l, " 270 ") {
		t.Errorf("flink's row: its m1 301 first, then ours 270: %q", l)
	}

	press(m, "n")
	got = cmpText(m)
	if !strings.Contains(got, "▸ kstreams") || !strings.Contains(got, "no verdict from kstreams yet") {
		t.Fatalf("e did not follow kstreams:\n%s", got)
	}
	press(m, "n")
	if got = cmpText(m); !strings.Contains(got, "▸ streamtop") || !strings.Contains(got, "streamtop: 5 rows") {
		t.Fatalf("e did not come back to ours:\n%s", got)
	}
	// e acts whatever pane is focused; the choice survives new frames.
	press(m, "tab", "n")
	m.Update(frameMsg{t: frameTime.Add(time.Second)})
	if got = cmpText(m); !strings.Contains(got, "flink: 2 rows") {
		t.Fatalf("e on another pane, then a frame:\n%s", got)
	}
}

// TestFilterMatchesEngineNames: the filter keeps the rows whose key an
// engine named in it lists as an exception.
func TestFilterMatchesEngineNames(t *testing.T) {
	m := newTestModel(t, testControls(t), peerSnapshot(), 120, 40)
	press(m, "/", "F", "l", "i", "n", "k", "enter")
	got := cmpText(m)
	if !strings.Contains(got, "streamtop: 3 rows (filter: Flink)") {
		t.Fatalf("filter by engine name:\n%s", got)
	}
	for _, want := range []string{"00:00:20", "00:00:35", "00:01:05"} {
		if !strings.Contains(got, want) {
			t.Errorf("filtered table lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "00:00:40") {
		t.Errorf("filtered table shows a key flink does not list:\n%s", got)
	}
}

// TestPeerLogToggle: L (comparator focused) shows the followed peer's log
// tail in place of the table, sanitized; L or esc brings the table back.
func TestPeerLogToggle(t *testing.T) {
	snap := peerSnapshot()
	ks := *snap.Peers["kstreams"]
	ks.Log = append(append([]string(nil), ks.Log...), "caused by \x1b]52;c;cHduZWQ=\x07 the clipboard")
	snap.Peers = map[string]*bus.PeerStatus{"flink": snap.Peers["flink"], "kstreams": &ks}
	m := newTestModel(t, testControls(t), snap, 120, 40)
	press(m, "tab") // rates focused: L is the comparator's
	press(m, "L")
	if strings.Contains(cmpText(m), "log of") {
		t.Fatal("L acted on an unfocused comparator")
	}
	press(m, "shift+tab", "L")
	got := cmpText(m)
	// Following ours, L opens the failed peer's log.
	for _, want := range []string{"Comparator · log of kstreams", "exit: exited with status 1",
		"Kafka Streams 4.3.1 · topic aggregates.kstreams", "TimeoutException: Timeout expired",
		"State transition from CREATED", "caused by", "log of kstreams · 4 lines"} {
		if !strings.Contains(got, want) {
			t.Errorf("log view lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "window_end") {
		t.Errorf("the table is still shown:\n%s", got)
	}
	checkOnlySGR(t, m.View().Content)
	press(m, "n") // in the log view: the next peer
	if got = cmpText(m); !strings.Contains(got, "log of flink") || !strings.Contains(got, "MiniCluster started") {
		t.Fatalf("e in the log view:\n%s", got)
	}
	press(m, "L")
	if got = cmpText(m); strings.Contains(got, "log of") || !strings.Contains(got, "flink: 2 rows") {
		t.Fatalf("L did not bring the table back:\n%s", got)
	}
	press(m, "L", "esc")
	if got = cmpText(m); strings.Contains(got, "log of") {
		t.Fatalf("esc did not close the log:\n%s", got)
	}
}

// TestPeerLogScrolls: a long log shows its newest lines; up goes back.
func TestPeerLogScrolls(t *testing.T) {
	snap := peerSnapshot()
	fl := *snap.Peers["flink"]
	fl.Log = nil
	for i := range 2000 {
		fl.Log = append(fl.Log, fmt.Sprintf("line %d", i))
	}
	snap.Peers = map[string]*bus.PeerStatus{"flink": &fl, "kstreams": snap.Peers["kstreams"]}
	m := newTestModel(t, testControls(t), snap, 80, 24)
	press(m, "n", "L")
	got := cmpText(m)
	if !strings.Contains(got, "line 1999") || !strings.Contains(got, "500 lines") {
		t.Fatalf("not the newest lines:\n%s", got)
	}
	press(m, "pgup", "up")
	if got = cmpText(m); strings.Contains(got, "line 1999") {
		t.Fatalf("pgup did not scroll back:\n%s", got)
	}
	checkGeometry(t, m.View().Content, 80, 24)
}

// TestPeerKeysInHelpAndFooter: the footer lists n and L while peers run;
// the full help lists them and says what "=" means.
func TestPeerKeysInHelpAndFooter(t *testing.T) {
	m := newTestModel(t, testControls(t), peerSnapshot(), 200, 50)
	if f := plain(t, m); !strings.Contains(f, "n engine") || !strings.Contains(f, "L peer log") {
		t.Errorf("footer at 200 lacks the peers' keys:\n%s", f)
	}
	m = newTestModel(t, testControls(t), peerSnapshot(), 80, 24)
	if f := plain(t, m); !strings.Contains(f, "space r / tab n L") {
		t.Errorf("footer at 80 lacks the peers' keys:\n%s", f)
	}
	press(m, "?")
	got := plain(t, m)
	for _, want := range []string{"exceptions of the next engine", "a peer's log", "not an exception for that engine"} {
		if !strings.Contains(got, want) {
			t.Errorf("full help lacks %q:\n%s", want, got)
		}
	}
}

// widePeerSnapshot has peers with long names (emoji too), a 10 000-cell
// exit message and log line, and extreme numbers.
func widePeerSnapshot() bus.Snapshot {
	snap := peerSnapshot()
	long := strings.Repeat("flink-"+family, 30)
	fl := *snap.PeerCompares["flink"]
	fl.Engine, fl.ResultRate = long, math.Inf(1)
	fl.Report.Settled.Exceptions, fl.Report.Settled.Keys = math.MaxInt, math.MaxInt
	ps := *snap.Peers["flink"]
	ps.Name, ps.CPU, ps.RSS, ps.PeakRSS, ps.ReadyIn = long, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MinInt64
	ps.Cannot = []string{strings.Repeat("dedup outside a window ", 200)}
	ks := *snap.Peers["kstreams"]
	ks.Exit = strings.Repeat("x", 10000)
	ks.Log = []string{strings.Repeat(rainbow+"y", 10000)}
	fetching := &bus.PeerStatus{Name: "spark", State: bus.PeerFetching, Progress: "jars 40/86 MB " + strings.Repeat(family, 50)}
	snap.Peers = map[string]*bus.PeerStatus{long: &ps, "kstreams-" + strings.Repeat("eos-", 60): &ks, "spark": fetching}
	snap.PeerCompares = map[string]*bus.CompareStatus{long: &fl}
	return snap
}

// TestPeerWidths: at 80 and 200 columns, under either width rule, long
// names and messages keep every line the terminal's width and the borders
// in their columns, in every view of the pane.
func TestPeerWidths(t *testing.T) {
	for _, method := range []ansi.Method{ansi.WcWidth, ansi.GraphemeWidth} {
		for _, sz := range []struct{ w, h int }{{80, 24}, {200, 50}} {
			t.Run(fmt.Sprintf("method%d/%dx%d", method, sz.w, sz.h), func(t *testing.T) {
				m := newTestModel(t, testControls(t), widePeerSnapshot(), sz.w, sz.h)
				if method == ansi.GraphemeWidth {
					m.Update(tea.ModeReportMsg{Mode: ansi.ModeUnicodeCore, Value: ansi.ModeSet})
				}
				checkEmojiLayout(t, m, method, sz.w, sz.h)
				got := plain(t, m)
				for _, want := range []string{"▸ streamtop", "  spark", "fetching jars 40/86 MB", "failed: xxxx"} {
					if !strings.Contains(got, want) {
						t.Errorf("scoreboard lacks %q:\n%s", want, got)
					}
				}
				for _, k := range []string{"n", "n", "L", "n", "down", "L", "n", "?"} {
					press(m, k)
					checkEmojiLayout(t, m, method, sz.w, sz.h)
				}
			})
		}
	}
}

// TestPeerOddInputs: nil statuses in the maps, a verdict without a
// status, a status without a verdict, an error verdict, unknown states and
// peers coming and going never panic and keep the geometry.
func TestPeerOddInputs(t *testing.T) {
	base := peerSnapshot()
	errV := &bus.CompareStatus{Engine: "spark", Err: "input lost"}
	snaps := []bus.Snapshot{
		{Peers: map[string]*bus.PeerStatus{"a": nil}, PeerCompares: map[string]*bus.CompareStatus{"b": nil}},
		{Peers: map[string]*bus.PeerStatus{"": {State: 200}}, PeerCompares: map[string]*bus.CompareStatus{"spark": errV}},
		func() bus.Snapshot { s := base; s.Engine, s.Compare = nil, nil; return s }(),
		base,
		testSnapshot(),
		base,
	}
	m := newTestModel(t, testControls(t), snaps[0], 80, 24)
	for i, s := range snaps {
		src := s
		m.source = func() bus.Snapshot { return src }
		m.Update(frameMsg{t: frameTime})
		for _, k := range []string{"n", "L", "down", "n", "L"} {
			press(m, k)
			checkGeometry(t, m.View().Content, 80, 24)
		}
		if i == 1 && !strings.Contains(plain(t, m), "no verdict: input lost") {
			t.Errorf("an error verdict is not shown:\n%s", plain(t, m))
		}
	}
	if got := plain(t, m); !strings.Contains(got, "▸ ") {
		t.Errorf("no engine followed after peers came back:\n%s", got)
	}
}

// TestPeerStringsSanitized: every string of the peers' statuses and
// verdicts carries escapes; nothing but styling reaches the terminal.
func TestPeerStringsSanitized(t *testing.T) {
	snap := peerSnapshot()
	peers := map[string]*bus.PeerStatus{}
	for n, p := range snap.Peers {
		c := *p
		c.Log, c.Cannot = append([]string(nil), c.Log...), append([]string(nil), c.Cannot...)
		poison(reflect.ValueOf(&c))
		peers[hostile+n] = &c
	}
	verdicts := map[string]*bus.CompareStatus{}
	for n, v := range snap.PeerCompares {
		c := *v
		c.Report.Exceptions = append(c.Report.Exceptions[:0:0], c.Report.Exceptions...)
		poison(reflect.ValueOf(&c))
		verdicts[hostile+n] = &c
	}
	snap.Peers, snap.PeerCompares = peers, verdicts
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		m := newTestModel(t, testControls(t), snap, sz.w, sz.h)
		for _, k := range []string{"", "n", "L", "n", "L", "n"} {
			if k != "" {
				press(m, k)
			}
			got := m.View().Content
			checkGeometry(t, got, sz.w, sz.h)
			checkOnlySGR(t, got)
		}
		if got := plain(t, m); !strings.Contains(got, "cannot:") || !strings.Contains(got, "failed:") {
			t.Errorf("%dx%d: the peers are not shown:\n%s", sz.w, sz.h, got)
		}
	}
}

// BenchmarkFramePeers is BenchmarkFrame with two peers, flink's verdict
// as full as ours (300 exceptions): a frame where every status is new.
func BenchmarkFramePeers(b *testing.B) {
	mk := func() bus.Snapshot {
		s := clone(fullSnapshot())
		p := peerSnapshot()
		fl := *s.Compare
		fl.Engine, fl.Downstream = "flink", "flink (topic aggregates.flink)"
		s.Peers, s.PeerCompares = p.Peers, map[string]*bus.CompareStatus{"flink": &fl}
		return s
	}
	snaps := [2]bus.Snapshot{mk(), mk()}
	i := 0
	m, err := New(Options{Controller: testControls(b), Source: func() bus.Snapshot { i++; return snaps[i%2] }})
	if err != nil {
		b.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	b.ReportAllocs()
	for b.Loop() {
		m.Update(frameMsg{t: frameTime})
		_ = m.View()
	}
}
