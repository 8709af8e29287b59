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

// On a terminal narrower than the exception table, the text report leaves
// out the count and m2 columns (and says so) rather than wrap.
func TestTextReportFitsTheTerminal(t *testing.T) {
	row := compare.Row{Key: engine.Key{Device: "51b0eff7-0c0f-403a-beca-77db1decc360", Category: "cat-1", WindowEnd: 1796619725000},
		Truth: engine.Agg{M1: 7, M2: 123.456789, Count: 2}, Down: engine.Agg{M1: 3, M2: 45.6789, Count: 1}, HasTruth: true, HasDown: true,
		Settled: true, Cause: "late dropped (1)"}
	st := &bus.CompareStatus{Downstream: "engine", Final: true, Report: compare.Report{Exceptions: []compare.Row{row}, Final: true}}
	r := report{verdicts: []*bus.CompareStatus{st}}
	table := func(width int) []string {
		var b bytes.Buffer
		if err := writeTextIn(&b, r, width); err != nil {
			t.Fatal(err)
		}
		_, tbl, _ := strings.Cut(b.String(), "downstream)\n")
		tbl, _, _ = strings.Cut(tbl, "\n\n")
		return strings.Split(tbl, "\n")
	}
	wide := table(0)
	if !strings.Contains(wide[0], "n down") || strings.HasPrefix(wide[0], "(") {
		t.Fatalf("any width: %q", wide)
	}
	narrow := table(120)
	if !strings.HasPrefix(narrow[0], "(n down, n truth") || !strings.Contains(narrow[0], "left out to fit 120 columns") {
		t.Errorf("no note of the columns left out: %q", narrow[0])
	}
	for _, l := range narrow[1:] {
		if n := len([]rune(l)); n > 120 {
			t.Errorf("a %d-column line at width 120: %q", n, l)
		}
	}
	if !strings.Contains(narrow[2], "late dropped (1)") {
		t.Errorf("the cause went with the columns: %q", narrow)
	}
	// Narrower than the table's essential columns: two lines per exception.
	stacked := table(80)
	if !strings.HasPrefix(stacked[0], "(two lines an exception, to fit 80 columns") || len(stacked) != 3 ||
		!strings.Contains(stacked[1], "m1 truth 7  down 3  Δm1 4  late dropped (1)") || strings.TrimSpace(stacked[2]) != row.Device {
		t.Errorf("stacked: %q", stacked)
	}
	for _, l := range stacked {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("a %d-column line at width 80: %q", n, l)
		}
	}
}
