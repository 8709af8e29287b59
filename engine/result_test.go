package engine_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

func TestResultJSONRoundTrip(t *testing.T) {
	results := []engine.Result{
		{Key: engine.Key{Device: "dev1", Category: "cat-1", WindowEnd: t0 + 5000}, Agg: engine.Agg{M1: 123, M2: 456.75, Count: 3}, Engine: "streamtop"},
		{Key: engine.Key{Device: `we"ird\dev` + "\n\x01", Category: "cat-4", WindowEnd: -5000}, Agg: engine.Agg{M1: 0, M2: 0, Count: 0}, Engine: "flink \"1.x\""},
		{Key: engine.Key{Device: "d", Category: "cat-2", WindowEnd: 0}, Agg: engine.Agg{M1: -7, M2: 1e21, Count: 9}, Engine: "spark", Incomplete: true},
	}
	for _, r := range results {
		b := r.AppendJSON(nil)
		if !json.Valid(b) {
			t.Errorf("AppendJSON(%+v) is not valid JSON: %s", r, b)
			continue
		}
		got, err := engine.DecodeResult(b)
		if err != nil {
			t.Errorf("DecodeResult(%s) error: %v", b, err)
			continue
		}
		if got != r {
			t.Errorf("round trip %s: got %+v, want %+v", b, got, r)
		}
	}
	r := results[0]
	const want = `{"window_end":1767225605000,"device":"dev1","category":"cat-1","m1_sum":123,"m2_sum":456.75,"count":3,"engine":"streamtop"}`
	if got := string(r.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON = %s\nwant        %s", got, want)
	}
	r.Incomplete = true
	if got := string(r.AppendJSON(nil)); got != want[:len(want)-1]+`,"incomplete":true}` {
		t.Errorf("AppendJSON incomplete = %s", got)
	}
}

func TestDecodeResultForms(t *testing.T) {
	base := engine.Result{Key: engine.Key{Device: "dev1", Category: "cat-1", WindowEnd: t0 + 5000}, Agg: engine.Agg{M1: 10, M2: 2.5, Count: 2}, Engine: "kstreams"}
	tests := []struct {
		name string
		in   string
		want engine.Result
	}{
		{"ms number", `{"window_end":1767225605000,"device":"dev1","category":"cat-1","m1_sum":10,"m2_sum":2.5,"count":2,"engine":"kstreams"}`, base},
		{"label string", `{"window_end":"2026-01-01 00:00:05","device":"dev1","category":"cat-1","m1_sum":10,"m2_sum":2.5,"count":2,"engine":"kstreams"}`, base},
		{"ms numeric string", `{"window_end":"1767225605000","device":"dev1","category":"cat-1","m1_sum":10,"m2_sum":2.5,"count":2,"engine":"kstreams"}`, base},
		{"pre-1970 label", `{"window_end":"1969-12-31 23:59:55","device":"dev1","category":"cat-1","m1_sum":10,"m2_sum":2.5,"count":2,"engine":"kstreams"}`,
			engine.Result{Key: engine.Key{Device: "dev1", Category: "cat-1", WindowEnd: -5000}, Agg: base.Agg, Engine: "kstreams"}},
		{"extra fields, whitespace", " {\"x\":1,\"window_end\":1767225605000,\"device\":\"dev1\",\"category\":\"cat-1\",\"m1_sum\":10,\"m2_sum\":2.5,\"count\":2,\"engine\":\"kstreams\"}\n", base},
		{"m2 and count optional", `{"window_end":1767225605000,"device":"dev1","category":"cat-1","m1_sum":10}`,
			engine.Result{Key: base.Key, Agg: engine.Agg{M1: 10}}},
		{"incomplete flag", `{"window_end":1767225605000,"device":"dev1","category":"cat-1","m1_sum":10,"m2_sum":2.5,"count":2,"engine":"kstreams","incomplete":true}`,
			engine.Result{Key: base.Key, Agg: base.Agg, Engine: "kstreams", Incomplete: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := engine.DecodeResult([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeResult error: %v", err)
			}
			if got != tc.want {
				t.Fatalf("DecodeResult = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeResultMalformed(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ``},
		{"not json", `dev1|cat-1|5000`},
		{"array", `[]`},
		{"truncated", `{"window_end":5000,"device":"d"`},
		{"missing window_end", `{"device":"d","category":"cat-1","m1_sum":1}`},
		{"missing device", `{"window_end":5000,"category":"cat-1","m1_sum":1}`},
		{"missing category", `{"window_end":5000,"device":"d","m1_sum":1}`},
		{"missing m1_sum", `{"window_end":5000,"device":"d","category":"cat-1","m2_sum":1.5}`},
		{"null window_end", `{"window_end":null,"device":"d","category":"cat-1","m1_sum":1}`},
		{"null device", `{"window_end":5000,"device":null,"category":"cat-1","m1_sum":1}`},
		{"null m1_sum", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":null}`},
		{"window_end fractional", `{"window_end":5000.5,"device":"d","category":"cat-1","m1_sum":1}`},
		{"window_end bad label", `{"window_end":"2026-01-01T00:00:05Z","device":"d","category":"cat-1","m1_sum":1}`},
		{"window_end words", `{"window_end":"soon","device":"d","category":"cat-1","m1_sum":1}`},
		{"window_end bool", `{"window_end":true,"device":"d","category":"cat-1","m1_sum":1}`},
		{"m1_sum fractional", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":1.5}`},
		{"m1_sum string", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":"1"}`},
		{"m2_sum string", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":1,"m2_sum":"1.5"}`},
		{"m2_sum NaN", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":1,"m2_sum":NaN}`},
		{"m2_sum overflow", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":1,"m2_sum":1e400}`},
		{"count fractional", `{"window_end":5000,"device":"d","category":"cat-1","m1_sum":1,"count":1.5}`},
		{"device number", `{"window_end":5000,"device":5,"category":"cat-1","m1_sum":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := engine.DecodeResult([]byte(tc.in))
			if err == nil {
				t.Fatalf("DecodeResult(%s) = %+v, want an error", tc.in, got)
			}
			if !errors.Is(err, engine.ErrMalformed) {
				t.Fatalf("DecodeResult(%s) error %v does not wrap ErrMalformed", tc.in, err)
			}
		})
	}
}

func TestKeyCompareAndString(t *testing.T) {
	keys := []engine.Key{
		{Device: "b", Category: "cat-1", WindowEnd: 10000},
		{Device: "a", Category: "cat-2", WindowEnd: 10000},
		{Device: "a", Category: "cat-1", WindowEnd: 10000},
		{Device: "z", Category: "cat-4", WindowEnd: 5000},
		{Device: "a", Category: "cat-1", WindowEnd: -5000},
	}
	slices.SortFunc(keys, engine.Key.Compare)
	want := []engine.Key{
		{Device: "a", Category: "cat-1", WindowEnd: -5000},
		{Device: "z", Category: "cat-4", WindowEnd: 5000},
		{Device: "a", Category: "cat-1", WindowEnd: 10000},
		{Device: "a", Category: "cat-2", WindowEnd: 10000},
		{Device: "b", Category: "cat-1", WindowEnd: 10000},
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("sorted keys = %v, want %v", keys, want)
	}
	if c := want[0].Compare(want[0]); c != 0 {
		t.Errorf("Compare(self) = %d", c)
	}
	if got := (engine.Key{Device: "dev1", Category: "cat-3", WindowEnd: t0 + 5000}).String(); got != "dev1|cat-3|1767225605000" {
		t.Errorf("Key.String = %q", got)
	}
}

func TestAggAddMerge(t *testing.T) {
	var a engine.Agg
	a.Add(3, 1.5)
	a.Add(4, 0.25)
	if a != (engine.Agg{M1: 7, M2: 1.75, Count: 2}) {
		t.Fatalf("after Add: %+v", a)
	}
	a.Merge(engine.Agg{M1: 10, M2: 0.5, Count: 3})
	if a != (engine.Agg{M1: 17, M2: 2.25, Count: 5}) {
		t.Fatalf("after Merge: %+v", a)
	}
}

func TestResultWindowEndOutOfRangeIsMalformed(t *testing.T) {
	for _, in := range []string{
		`{"window_end":-9223372036854775808,"device":"d","category":"c","m1_sum":1}`,
		`{"window_end":9223372036854775807,"device":"d","category":"c","m1_sum":1}`,
	} {
		if _, err := engine.DecodeResult([]byte(in)); !errors.Is(err, engine.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", in, err)
		}
	}
}
