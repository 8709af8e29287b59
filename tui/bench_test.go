package tui

import (
	"image/color"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"

	"github.com/streamtop/streamtop/compare"
)

// fullSnapshot fills every pane beyond what fits: 300 exceptions, 100 late
// events, 60 alerts, long series and a full log.
func fullSnapshot() bus.Snapshot {
	snap := testSnapshot()
	inj := *snap.Injector
	eng := *snap.Engine
	cs := *snap.Compare
	rs := *snap.Rates
	inj.RateSeries = nil
	for i := range 120 {
		inj.RateSeries = append(inj.RateSeries, 40+3*math.Sin(float64(i)/7))
	}
	eng.Recent = nil
	for i := range 100 {
		eng.Recent = append(eng.Recent, bus.LateEvent{ID: "dev-7f3a-" + strconv.Itoa(i), Device: "dev-7f3a",
			Category: "cat-" + strconv.Itoa(1+i%4), M1: int64(i % 100), WindowEnd: ms(time.Duration(-i) * 5 * time.Second),
			Watermark: ms(60 * time.Second)})
	}
	var rows []compare.Row
	for i := range 300 {
		rows = append(rows, row(time.Duration(5*i)*time.Second, "dev-19c4", "cat-"+strconv.Itoa(1+i%4),
			int64(200+i), int64(150+i), true, i%7 != 0, i < 250))
	}
	cs.Report.Exceptions = rows
	rs.Rates, rs.Variations, rs.Alerts = nil, nil, nil
	prev := 40000.0
	for i := range 120 {
		r := 40000 + 150*math.Sin(float64(i)/5)
		rs.Rates = append(rs.Rates, r)
		rs.Variations = append(rs.Variations, r-prev)
		if i%2 == 0 {
			rs.Alerts = append(rs.Alerts, bus.RateAlert{TS: ms(time.Duration(i) * time.Second), Previous: prev,
				Current: r, Variation: r - prev, Message: "variation ≥ 50"})
		}
		prev = r
	}
	rs.AlertCount = int64(len(rs.Alerts))
	for i := range bus.MaxLogs {
		snap.Logs = append(snap.Logs, bus.LogEntry{Time: wallStart.Add(time.Duration(i) * time.Second),
			Level: bus.Level(i % 3), Role: "engine", Text: "log line " + strconv.Itoa(i)})
	}
	snap.Injector, snap.Engine, snap.Compare, snap.Rates = &inj, &eng, &cs, &rs
	return snap
}

// clone gives every status a new pointer, as a new publication would.
func clone(s bus.Snapshot) bus.Snapshot {
	inj, eng, cs, rs, run := *s.Injector, *s.Engine, *s.Compare, *s.Rates, *s.Run
	s.Injector, s.Engine, s.Compare, s.Rates, s.Run = &inj, &eng, &cs, &rs, &run
	s.Seq++
	return s
}

func TestFullSnapshot(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}} {
		m := newTestModel(t, testControls(t), fullSnapshot(), sz.w, sz.h)
		checkGeometry(t, m.View().Content, sz.w, sz.h)
		checkGeometry(t, plain(t, m), sz.w, sz.h)
	}
}

func TestBackground(t *testing.T) {
	t.Setenv("NO_COLOR", "") // a colour terminal: NO_COLOR has no background to follow
	m := newTestModel(t, testControls(t), testSnapshot(), 80, 24)
	dark := m.View().Content
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	light := m.View().Content
	checkGeometry(t, light, 80, 24)
	if light == dark {
		t.Error("a light background did not change the styles")
	}
	if plain(t, m) != func() string { m.Update(tea.BackgroundColorMsg{Color: color.Black}); return plain(t, m) }() {
		t.Error("the background changed the text")
	}
}

// BenchmarkView measures View at 120×40 with every pane full and warm
// caches: what a frame costs when nothing changed.
func BenchmarkView(b *testing.B) {
	m := newTestModel(b, testControls(b), fullSnapshot(), 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFrame measures a frame where every status is new: Update (which
// re-renders every pane) then View, at 120×40.
func BenchmarkFrame(b *testing.B) {
	snaps := [2]bus.Snapshot{clone(fullSnapshot()), clone(fullSnapshot())}
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
