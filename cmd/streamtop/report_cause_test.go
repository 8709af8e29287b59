package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// Every exception row of every report format carries its cause, and every
// report that prints Δ says it is truth − downstream.
func TestReportsCarryCauses(t *testing.T) {
	row := compare.Row{Key: engine.Key{Device: "d1", Category: "cat-1", WindowEnd: 5000},
		Truth: engine.Agg{M1: 7, Count: 2}, Down: engine.Agg{M1: 3, Count: 1}, HasTruth: true, HasDown: true,
		Settled: true, Cause: "late dropped (1)"}
	st := &bus.CompareStatus{Downstream: "engine", Final: true,
		Report: compare.Report{Exceptions: []compare.Row{row}, Final: true}}
	r := report{verdicts: []*bus.CompareStatus{st}}
	render := func(format string) string {
		var b bytes.Buffer
		if err := writeReport(&b, format, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	text := render("text")
	if !strings.Contains(text, "Δ = truth − downstream") || !strings.Contains(text, "  cause\n") ||
		!strings.Contains(text, "  late dropped (1)\n") {
		t.Errorf("text report:\n%s", text)
	}

	var js struct {
		Exceptions []struct {
			DeltaM1 int64  `json:"delta_m1"`
			Cause   string `json:"cause"`
		} `json:"exceptions"`
	}
	if err := json.Unmarshal([]byte(render("json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Exceptions) != 1 || js.Exceptions[0].Cause != "late dropped (1)" || js.Exceptions[0].DeltaM1 != 4 {
		t.Errorf("json exceptions: %+v", js.Exceptions)
	}

	recs, err := csv.NewReader(strings.NewReader(render("csv"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv: %v %q", err, recs)
	}
	col := map[string]string{}
	for i, h := range recs[0] {
		col[h] = recs[1][i]
	}
	if col["cause"] != "late dropped (1)" || col["delta_m1_truth_minus_downstream"] != "4" {
		t.Errorf("csv: %q", recs)
	}
}
