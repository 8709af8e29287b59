package tui

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// Fixed instants: the wall clock of the run and the virtual clock of the
// injector (SPEC §2's default start).
var (
	wallStart = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	frameTime = wallStart.Add(42 * time.Second)
	virtual0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// testZone is the local zone of the tests' screens: fixed, so the golden
// views do not depend on the machine's.
var testZone = time.FixedZone("CET", 3600)

func ms(d time.Duration) int64 { return virtual0 + d.Milliseconds() }

func testSettings() bus.Settings {
	return bus.Settings{
		Run:          1,
		Dup:          bus.Toggle{P: 0.05, On: true},
		Late:         bus.Toggle{P: 0.01, On: true},
		OOO:          bus.Toggle{P: 0, On: false},
		Rate:         20,
		Mode:         engine.EventTime,
		Dedup:        true,
		WatermarkLag: time.Second,
	}
}

func testControls(t testing.TB) *bus.Controls {
	t.Helper()
	c, err := bus.NewControls(testSettings())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withCause gives r its cause.
func withCause(r compare.Row, cause string) compare.Row {
	r.Cause = cause
	return r
}

func row(end time.Duration, dev, cat string, truth, down int64, hasTruth, hasDown, settled bool) compare.Row {
	r := compare.Row{
		Key:      engine.Key{Device: dev, Category: cat, WindowEnd: ms(end)},
		HasTruth: hasTruth, HasDown: hasDown, Settled: settled,
		// Unsettled rows: the engine closed the window, the truth may still
		// change (late events can take 420 s).
		TruthFinal: settled, DownFinal: true,
	}
	if hasTruth {
		r.Truth = engine.Agg{M1: truth, M2: float64(truth) * 4.75, Count: truth / 48}
	}
	if hasDown {
		r.Down = engine.Agg{M1: down, M2: float64(down) * 4.75, Count: down / 48}
	}
	return r
}

// testSnapshot is a deterministic, realistic snapshot 42 s into a run.
func testSnapshot() bus.Snapshot {
	set := testSettings()
	wm := ms(61 * time.Second)
	return bus.Snapshot{
		Run: &bus.RunStatus{
			Run: 1, State: bus.Running, Broker: "127.0.0.1:40123", Embedded: true,
			Started: wallStart, Duration: 2 * time.Minute, Clock: "virtual",
		},
		Injector: &bus.InjectorStatus{
			Run: 1, Devices: 2, Settings: set,
			Clock: ms(62*time.Second + 345*time.Millisecond), Horizon: ms(55 * time.Second),
			Sent: 2480, Originals: 2361, Duplicates: 119, Late: 23, OutOfOrder: 0,
			Rate:       39.8,
			RateSeries: []float64{38, 41, 40, 39.5, 42, 40, 37, 39.8, 41.2, 40.4, 38.9, 39.8},
			TruthKeys:  96, SendTruthKeys: 98, TruthDiffer: 21,
		},
		Engine: &bus.EngineStatus{
			Run: 1, Config: engine.DefaultConfig(),
			Stats: engine.Stats{Mode: engine.EventTime, Accepted: 2340, Duplicates: 117, Late: 21,
				Emitted: 90, OpenWindows: 2, OpenKeys: 8, DedupIDs: 190, Watermark: wm,
				Now: ms(62 * time.Second), Partitions: 4},
			ClosedBefore: wm, Consumed: 2478, Produced: 90,
			EventRate: 40.1, ResultRate: 1.6, Lag: 2, PartitionLag: []int64{0, 1, 1, 0},
			Recent: []bus.LateEvent{
				{ID: "dev-7f3a-1021", Device: "dev-7f3a", Category: "cat-3", M1: 42,
					Time: ms(-170 * time.Second), WindowEnd: ms(-170 * time.Second), Watermark: ms(40 * time.Second)},
				{ID: "dev-19c4-1187", Device: "dev-19c4", Category: "cat-1", M1: 7,
					Time: ms(-95 * time.Second), WindowEnd: ms(-95 * time.Second), Watermark: ms(52 * time.Second)},
				{ID: "dev-7f3a-1302", Device: "dev-7f3a", Category: "cat-2", M1: 88,
					Time: ms(-250 * time.Second), WindowEnd: ms(-250 * time.Second), Watermark: ms(60 * time.Second)},
			},
		},
		Compare: &bus.CompareStatus{
			Run: 1, Downstream: "streamtop (topic aggregates)",
			Report: compare.Report{
				Settled:     compare.Score{Exceptions: 3, Keys: 80},
				Provisional: compare.Score{Exceptions: 5, Keys: 96},
				Pending:     16,
				Exceptions: []compare.Row{
					withCause(row(20*time.Second, "dev-19c4", "cat-2", 312, 270, true, true, true), "late dropped (1)"),
					withCause(row(35*time.Second, "dev-7f3a", "cat-1", 455, 0, true, false, true), "missing"),
					withCause(row(40*time.Second, "dev-7f3a", "cat-3", 198, 240, true, true, true), "duplicates counted (1)"),
					withCause(row(60*time.Second, "dev-19c4", "cat-2", 0, 131, false, true, false), "extra"),
					withCause(row(65*time.Second, "dev-7f3a", "cat-4", 260, 219, true, true, false),
						"late dropped (1) + duplicates counted (1) (or 2 alternatives)"),
				},
			},
			SendTime: compare.Score{Exceptions: 21, Keys: 98},
			Horizon:  ms(55 * time.Second), Results: 90,
		},
		Rates: &bus.RateStatus{
			Source: "simulator (seed 34)", Threshold: 50, Ticks: 120, Malformed: 1, Last: 40120.5,
			Rates: []float64{40000, 40030, 40100, 40100, 40050, 40000, 40120.5, 40090, 40110,
				40140, 40095, 40120.5},
			Variations: []float64{30, 70, 0, -50, -50, 120.5, -30.5, 20, 30, -45, 25.5},
			Alerts: []bus.RateAlert{
				{TS: ms(3 * time.Second), Previous: 40030, Current: 40100, Variation: 70, Message: "variation 70 ≥ 50"},
				{TS: ms(5 * time.Second), Previous: 40100, Current: 40050, Variation: -50, Message: "variation -50 ≥ 50"},
				{TS: ms(8 * time.Second), Previous: 40000, Current: 40120.5, Variation: 120.5, Message: "variation 120.5 ≥ 50"},
			},
			AlertCount: 3,
		},
		Logs: []bus.LogEntry{
			{Time: wallStart.Add(2 * time.Second), Level: bus.Info, Role: "broker", Text: "embedded broker listening on 127.0.0.1:40123"},
			{Time: wallStart.Add(9 * time.Second), Level: bus.Warn, Role: "engine", Text: "1 malformed record skipped on sampletopic/2"},
			{Time: wallStart.Add(31 * time.Second), Level: bus.Info, Role: "rates", Text: "alert: variation 120.5 ≥ 50"},
		},
		Seq: 4242,
	}
}

// newTestModel returns a model sized w×h (no size message when w < 0)
// after one frame of snap.
func newTestModel(t testing.TB, c Controller, snap bus.Snapshot, w, h int) *Model {
	t.Helper()
	return newModelWith(t, Options{Controller: c, Source: func() bus.Snapshot { return snap }}, w, h)
}

// newModelWith is newTestModel with options of the test's own: the test
// controls and zone unless it gives others.
func newModelWith(t testing.TB, opts Options, w, h int) *Model {
	t.Helper()
	if opts.Controller == nil {
		opts.Controller = testControls(t)
	}
	if opts.Location == nil {
		opts.Location = testZone
	}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if w >= 0 {
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	}
	m.Update(frameMsg{t: frameTime})
	return m
}

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// plain renders the model's content through an ASCII colour profile and
// strips what attributes remain: the text a golden file holds.
func plain(t testing.TB, m *Model) string {
	t.Helper()
	var buf bytes.Buffer
	w := colorprofile.NewWriter(&buf, os.Environ())
	w.Profile = colorprofile.Ascii
	if _, err := w.WriteString(m.View().Content); err != nil {
		t.Fatal(err)
	}
	return ansi.Strip(buf.String())
}

// checkGeometry asserts the content has exactly h lines of at most w cells.
func checkGeometry(t testing.TB, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if h == 0 {
		if content != "" {
			t.Fatalf("height 0: content %q", content)
		}
		return
	}
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Fatalf("line %d is %d cells wide, more than %d: %q", i, lw, w, ansi.Strip(l))
		}
	}
}

// testSnap is a snapshot a helper built, to hand on.
type testSnap bus.Snapshot

func (s testSnap) Snapshot() bus.Snapshot { return bus.Snapshot(s) }
