package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/bus"
)

// A judge whose input was deleted under it has no verdict: the text and
// JSON reports say why.
func TestReportSaysTheInputWasLost(t *testing.T) {
	st := &bus.CompareStatus{Downstream: "engine", Err: "input lost: results/0: OFFSET_OUT_OF_RANGE; no verdict"}
	var text bytes.Buffer
	if err := writeReport(&text, "text", report{verdicts: []*bus.CompareStatus{st}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "NO VERDICT: input lost") {
		t.Errorf("text report:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := writeReport(&js, "json", report{verdicts: []*bus.CompareStatus{st}}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Final bool   `json:"final"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(js.Bytes(), &out); err != nil || out.Final || !strings.Contains(out.Error, "input lost") {
		t.Errorf("json report %s: %+v %v", js.String(), out, err)
	}
}

// A provisional text report splits its settled score as the screen does:
// the run's own windows, and the windows before the run.
func TestProvisionalReportSplitsTheWindowsBeforeTheRun(t *testing.T) {
	st := &bus.CompareStatus{Downstream: "engine", Report: compare.Report{
		Settled: compare.Score{Exceptions: 65, Keys: 101}, BeforeRun: compare.Score{Exceptions: 53, Keys: 53}, Pending: 340}}
	var text bytes.Buffer
	if err := writeReport(&text, "text", report{verdicts: []*bus.CompareStatus{st}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "the run's own windows: 12 exceptions out of 48 · before the run (late events only): 53 of 53 differ") {
		t.Errorf("text report:\n%s", text.String())
	}
	st.Final = true
	text.Reset()
	if err := writeReport(&text, "text", report{verdicts: []*bus.CompareStatus{st}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "run's own windows") {
		t.Errorf("a final report splits its score:\n%s", text.String())
	}
}
