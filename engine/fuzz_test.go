package engine

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"unicode/utf8"
)

// Results: whatever a results topic holds, decoding never panics, and a
// result that decodes re-encodes to the same result.
func FuzzDecodeResult(f *testing.F) {
	f.Add([]byte(`{"window_end":1767225205000,"device":"d","category":"cat-1","m1_sum":46,"m2_sum":496.18,"count":1,"engine":"flink"}`))
	f.Add([]byte(`{"window_end":5000,"device":"d","category":"c","m1_sum":-9223372036854775808,"m2_sum":0,"count":0,"engine":"x","incomplete":true}`))
	f.Add([]byte(`{"window_end":"5000","device":"\xff","category":"c","m1_sum":1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResult(b)
		if err != nil {
			return
		}
		if !utf8.ValidString(r.Key.Device) || !utf8.ValidString(r.Key.Category) || !utf8.ValidString(r.Engine) {
			t.Fatalf("decoded invalid UTF-8: %+v", r)
		}
		again, err := DecodeResult(r.AppendJSON(nil))
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", r.AppendJSON(nil), err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip: %+v became %+v", r, again)
		}
	})
}

// Variation and alert records: what the pipeline writes, a reader decodes
// to the same numbers; an alert is raised exactly when |variation| reaches
// the threshold, and its message is valid UTF-8.
func FuzzRateRecords(f *testing.F) {
	f.Add(40000.0, 40050.0, 50.0)
	f.Add(40100.0, 40000.0, 50.0)
	f.Add(1.0, 1e12, 0.0)
	f.Fuzz(func(t *testing.T, a, b, threshold float64) {
		p, err := NewRateProcessor(RateConfig{Threshold: threshold})
		if err != nil {
			return
		}
		ta, erra := checkTick(Tick{Rate: a})
		tb, errb := checkTick(Tick{Rate: b})
		if erra != nil || errb != nil {
			return
		}
		if _, ok := p.Process(ta); ok {
			t.Fatal("the first tick only primes")
		}
		out, ok := p.Process(tb)
		if !ok {
			t.Fatal("the second tick gave nothing")
		}
		// The variation is rounded to 1e-9 (58.22, not 58.2199999…).
		if out.Variation != math.Round((tb.Rate-ta.Rate)*1e9)/1e9 || out.Alert != (math.Abs(out.Variation) >= threshold) {
			t.Fatalf("%v → %v at %v: %+v", a, b, threshold, out)
		}
		var v Variation
		if err := json.Unmarshal(out.AppendVariationJSON(nil), &v); err != nil ||
			v != (Variation{Rate: out.Rate, Previous: out.Previous, Variation: out.Variation}) {
			t.Fatalf("variation record %s: %+v, %v", out.AppendVariationJSON(nil), v, err)
		}
		var al Alert
		if err := json.Unmarshal(out.AppendAlertJSON(nil), &al); err != nil || al.Current != out.Rate ||
			al.Previous != out.Previous || al.Variation != out.Variation || al.Message != out.Message() {
			t.Fatalf("alert record %s: %+v, %v", out.AppendAlertJSON(nil), al, err)
		}
	})
}
