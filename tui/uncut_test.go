package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// An alert is never cut: its time, variation and rates on one line (two
// when narrow); its message, when it says more than those, beside them or
// wrapped under them; our own pipeline's message, which says nothing more,
// is not repeated.
func TestAlertsWhole(t *testing.T) {
	snap := testSnapshot()
	rs := *snap.Rates
	own := engine.RateOutput{Rate: 40900.76, Previous: 40957.95, Variation: -57.19}
	foreign := "BTC/CNY fell sharply at the exchange of record: see the desk's note 4711 for the context"
	for _, c := range []struct {
		alert bus.RateAlert
		want  []string
	}{
		{bus.RateAlert{TS: ms(9 * time.Second), Previous: 40957.95, Current: 40900.76, Variation: -57.19, Message: own.Message()},
			[]string{"00:00:09 -57.19 40957.95→40900.76"}},
		{bus.RateAlert{TS: ms(10 * time.Second), Previous: 40900.76, Current: 40990, Variation: 89.24, Message: foreign},
			[]string{"00:00:10 +89.24 40900.76→40990.00", foreign}},
	} {
		rs.Alerts = []bus.RateAlert{c.alert}
		snap.Rates = &rs
		m := newTestModel(t, testControls(t), snap, 120, 40)
		pane := ansi.Strip(m.rates.View())
		var text []string
		for _, l := range strings.Split(pane, "\n") {
			text = append(text, strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "│┃")))
		}
		joined := strings.Join(text, " ")
		for _, want := range c.want {
			if !strings.Contains(joined, want) {
				t.Errorf("the alert lacks %q:\n%s", want, pane)
			}
		}
		if strings.Contains(pane, "CNY: ") {
			t.Errorf("our own message repeats the figures beside it:\n%s", pane)
		}
		checkGeometry(t, plain(t, m), 120, 40)
	}
}

// The engine's late events show whole device ids: at 120 columns on one
// line each, at 80 each under its event.
func TestLateEventsDeviceWhole(t *testing.T) {
	const dev = "51b0eff7-0c0f-403a-beca-77db1decc360"
	snap := testSnapshot()
	es := *snap.Engine
	es.Recent = []bus.LateEvent{{ID: "x", Device: dev, Category: "cat-2", M1: 82, WindowEnd: ms(40 * time.Second), Watermark: ms(47 * time.Second)}}
	snap.Engine = &es
	for _, w := range []int{120, 80} {
		m := newTestModel(t, testControls(t), snap, w, 40)
		pane := ansi.Strip(m.eng.View())
		if !strings.Contains(pane, dev) {
			t.Errorf("%d columns: the device id is cut:\n%s", w, pane)
		}
		checkGeometry(t, plain(t, m), w, 40)
	}
}

// Rows of several lines (a wrapped alert, a late event whose device id
// has its own line) scroll to the very end: G shows the last one.
func TestTallRowsScrollToTheEnd(t *testing.T) {
	snap := testSnapshot()
	rs := *snap.Rates
	rs.Alerts = nil
	es := *snap.Engine
	es.Recent = nil
	for i := range 12 {
		n := fmt.Sprintf("%02d", i)
		rs.Alerts = append(rs.Alerts, bus.RateAlert{TS: ms(time.Duration(i) * time.Second), Previous: 40000, Current: 40060, Variation: 60,
			Message: "ALERT-" + n + " from another pipeline, with words enough to wrap onto a second line"})
		es.Recent = append(es.Recent, bus.LateEvent{Device: "device-" + n + "-51b0eff7-0c0f-403a-beca-77db1decc360", Category: "cat-1", M1: 5,
			WindowEnd: ms(time.Duration(i) * 5 * time.Second)})
	}
	snap.Rates, snap.Engine = &rs, &es
	for _, c := range []struct {
		focus int
		view  func(m *Model) string
		last  string // the oldest: newest first
	}{
		{paneRates, func(m *Model) string { return m.rates.View() }, "ALERT-00"},
		{paneEngine, func(m *Model) string { return m.eng.View() }, "device-00-"},
	} {
		m := newTestModel(t, testControls(t), snap, 80, 60)
		m.setFocus(c.focus)
		press(m, "G")
		if got := ansi.Strip(c.view(m)); !strings.Contains(got, c.last) {
			t.Errorf("pane %d: G does not reach %q:\n%s", c.focus, c.last, got)
		}
		for range 30 {
			press(m, "down")
		}
		if got := ansi.Strip(c.view(m)); !strings.Contains(got, c.last) {
			t.Errorf("pane %d: down does not reach %q:\n%s", c.focus, c.last, got)
		}
	}
}
