package tui

import (
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
