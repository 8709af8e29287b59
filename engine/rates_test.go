package engine_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// runTicks feeds raw ticks to a processor and collects what it emits; the
// number of malformed ticks is returned too.
func runTicks(t *testing.T, cfg engine.RateConfig, raw []string) (outs []engine.RateOutput, malformed int) {
	t.Helper()
	p, err := engine.NewRateProcessor(cfg)
	if err != nil {
		t.Fatalf("NewRateProcessor(%+v): %v", cfg, err)
	}
	for _, r := range raw {
		tick, err := engine.DecodeTick([]byte(r))
		if err != nil {
			if !errors.Is(err, engine.ErrMalformed) {
				t.Fatalf("DecodeTick(%q) error %v does not wrap ErrMalformed", r, err)
			}
			malformed++
			continue
		}
		if out, ok := p.Process(tick); ok {
			outs = append(outs, out)
		}
	}
	return outs, malformed
}

// TestRatesSpecExample is SPEC §5's worked example.
func TestRatesSpecExample(t *testing.T) {
	raw := []string{"40000", "40030", "40100", "40100", "40050", "x", "40000", "40120.5"}
	outs, malformed := runTicks(t, engine.DefaultRateConfig(), raw)
	if malformed != 1 {
		t.Fatalf("malformed = %d, want 1", malformed)
	}
	var rates, prevs, vars, absVars, gaps []float64
	alerts := 0
	for _, o := range outs {
		rates = append(rates, o.Rate)
		prevs = append(prevs, o.Previous)
		vars = append(vars, o.Variation)
		absVars = append(absVars, math.Abs(o.Variation))
		gaps = append(gaps, o.Gap())
		if o.Alert {
			alerts++
		}
	}
	check := func(name string, got, want []float64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("rates", rates, []float64{40030, 40100, 40100, 40050, 40000, 40120.5})
	// "x" is skipped and the previous rate (40050) stays.
	check("previous", prevs, []float64{40000, 40030, 40100, 40100, 40050, 40000})
	check("signed variations", vars, []float64{30, 70, 0, -50, -50, 120.5})
	check("|variations|", absVars, []float64{30, 70, 0, 50, 50, 120.5})
	check("original gap form", gaps, []float64{0, 70, 0, 50, 50, 120.5})
	if alerts != 4 {
		t.Errorf("alerts = %d, want 4", alerts)
	}
	wantAlert := []bool{false, true, false, true, true, true}
	for i, o := range outs {
		if o.Alert != wantAlert[i] {
			t.Errorf("output %d (%v→%v): Alert = %v, want %v", i, o.Previous, o.Rate, o.Alert, wantAlert[i])
		}
	}

	// Strict: > instead of ≥, so the two exact-50 variations do not alert.
	strict, _ := runTicks(t, engine.RateConfig{Threshold: 50, Strict: true}, raw)
	var strictAlerts []float64
	for _, o := range strict {
		if o.Alert {
			strictAlerts = append(strictAlerts, o.Variation)
		}
	}
	if !slices.Equal(strictAlerts, []float64{70, 120.5}) {
		t.Errorf("strict alerts on variations %v, want [70 120.5]", strictAlerts)
	}
}

func TestRateProcessorPrimingAndThreshold(t *testing.T) {
	p, err := engine.NewRateProcessor(engine.RateConfig{Threshold: 10})
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := p.Process(engine.Tick{Rate: 100, TS: 1}); ok || out != (engine.RateOutput{}) {
		t.Fatalf("first tick should only prime: %+v %v", out, ok)
	}
	steps := []struct {
		rate  float64
		ts    int64
		alert bool
	}{
		{109.5, 2, false}, // 9.5
		{99.5, 3, true},   // -10, |v| = threshold
		{110, 4, true},    // 10.5
		{110, 5, false},   // 0
	}
	prev := 100.0
	for _, s := range steps {
		out, ok := p.Process(engine.Tick{Rate: s.rate, TS: s.ts})
		if !ok {
			t.Fatalf("tick %v not processed", s.rate)
		}
		want := engine.RateOutput{Rate: s.rate, Previous: prev, Variation: s.rate - prev, Alert: s.alert, TS: s.ts}
		if out != want {
			t.Errorf("Process(%v) = %+v, want %+v", s.rate, out, want)
		}
		prev = s.rate
	}
	// Threshold 0 (allowed): every tick alerts with ≥, only changes with >.
	p0, err := engine.NewRateProcessor(engine.RateConfig{Threshold: 0})
	if err != nil {
		t.Fatal(err)
	}
	p0.Process(engine.Tick{Rate: 5})
	if out, _ := p0.Process(engine.Tick{Rate: 5}); !out.Alert {
		t.Errorf("threshold 0, ≥: a zero variation should alert")
	}
	p0s, _ := engine.NewRateProcessor(engine.RateConfig{Threshold: 0, Strict: true})
	p0s.Process(engine.Tick{Rate: 5})
	if out, _ := p0s.Process(engine.Tick{Rate: 5}); out.Alert {
		t.Errorf("threshold 0, >: a zero variation should not alert")
	}
}

func TestNewRateProcessorRejectsBadThreshold(t *testing.T) {
	for _, th := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := engine.NewRateProcessor(engine.RateConfig{Threshold: th}); err == nil {
			t.Errorf("threshold %v accepted", th)
		}
	}
	if engine.DefaultRateConfig() != (engine.RateConfig{Threshold: 50, Strict: false}) {
		t.Errorf("DefaultRateConfig = %+v", engine.DefaultRateConfig())
	}
}

func TestDecodeTickForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want engine.Tick
	}{
		{"plain integer", "40000", engine.Tick{Rate: 40000}},
		{"plain float with spaces", "  40120.5\n", engine.Tick{Rate: 40120.5}},
		{"plain exponent", "4.5e4", engine.Tick{Rate: 45000}},
		{"rate object with ts", `{"rate":40307.73,"ts":1767225600000}`, engine.Tick{Rate: 40307.73, TS: 1767225600000}},
		{"rate object without ts", `{"rate":40000}`, engine.Tick{Rate: 40000}},
		{"rate object extra fields", `{"src":"sim","rate":1.5,"ts":7}`, engine.Tick{Rate: 1.5, TS: 7}},
		{"alpha vantage", `{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"40307.73"}}`, engine.Tick{Rate: 40307.73}},
		{"alpha vantage full", `{"Realtime Currency Exchange Rate":{"1. From_Currency Code":"BTC","3. To_Currency Code":"CNY","5. Exchange Rate":"40307.73000000","6. Last Refreshed":"2017-06-01 10:00:00"}}`, engine.Tick{Rate: 40307.73}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := engine.DecodeTick([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeTick(%q) error: %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("DecodeTick(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeTickMalformed(t *testing.T) {
	for _, in := range []string{
		"", "   ", "x", `"x"`, `"40000"`, "40000x", "NaN", "Inf", "-Inf", "0", "-5",
		`{}`, `{"rate":"40000"}`, `{"rate":null}`, `{"rate":0}`, `{"rate":-1}`, `{"rate":40000,"ts":1.5}`,
		`{"rate":40000`, `[40000]`,
		`{"Realtime Currency Exchange Rate":{}}`,
		`{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"abc"}}`,
		`{"Realtime Currency Exchange Rate":{"5. Exchange Rate":40307.73}}`,
		`{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"NaN"}}`,
		`{"Error Message":"Invalid API call"}`,
	} {
		got, err := engine.DecodeTick([]byte(in))
		if err == nil {
			t.Errorf("DecodeTick(%q) = %+v, want an error", in, got)
			continue
		}
		if !errors.Is(err, engine.ErrMalformed) {
			t.Errorf("DecodeTick(%q) error %v does not wrap ErrMalformed", in, err)
		}
	}
}

func TestRateOutputJSON(t *testing.T) {
	outs := []engine.RateOutput{
		{Rate: 40100, Previous: 40030, Variation: 70, Alert: true},
		{Rate: 40000, Previous: 40050, Variation: -50, Alert: true},
		{Rate: 1e21, Previous: 0.5, Variation: 1e21 - 0.5},
	}
	for _, o := range outs {
		vb := o.AppendVariationJSON(nil)
		if !json.Valid(vb) {
			t.Errorf("AppendVariationJSON invalid: %s", vb)
		}
		var v engine.Variation
		if err := json.Unmarshal(vb, &v); err != nil {
			t.Errorf("unmarshal %s: %v", vb, err)
		}
		if v != (engine.Variation{Rate: o.Rate, Previous: o.Previous, Variation: o.Variation}) {
			t.Errorf("variation %s read back as %+v", vb, v)
		}

		ab := o.AppendAlertJSON([]byte("ignored-prefix"))
		ab = ab[len("ignored-prefix"):]
		if !json.Valid(ab) {
			t.Errorf("AppendAlertJSON invalid: %s", ab)
		}
		var a engine.Alert
		if err := json.Unmarshal(ab, &a); err != nil {
			t.Errorf("unmarshal %s: %v", ab, err)
		}
		if a.Previous != o.Previous || a.Current != o.Rate || a.Variation != o.Variation || a.Message != o.Message() {
			t.Errorf("alert %s read back as %+v", ab, a)
		}
	}
	const wantVar = `{"rate":40100,"previous":40030,"variation":70}`
	if got := string(outs[0].AppendVariationJSON(nil)); got != wantVar {
		t.Errorf("AppendVariationJSON = %s, want %s", got, wantVar)
	}
	if m := outs[0].Message(); !strings.Contains(m, "rose") || !strings.Contains(m, "70") || !strings.Contains(m, "40030") || !strings.Contains(m, "40100") {
		t.Errorf("Message rising = %q", m)
	}
	if m := outs[1].Message(); !strings.Contains(m, "fell") || !strings.Contains(m, "50") || strings.Contains(m, "-50") {
		t.Errorf("Message falling = %q", m)
	}
}

func TestHugeTicksAreMalformed(t *testing.T) {
	for _, in := range []string{"1e308", `{"rate":1e13}`, `{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"1e300"}}`} {
		if _, err := engine.DecodeTick([]byte(in)); !errors.Is(err, engine.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", in, err)
		}
	}
	if _, err := engine.DecodeTick([]byte("1e12")); err != nil {
		t.Errorf("1e12 is the largest rate accepted: %v", err)
	}
}
