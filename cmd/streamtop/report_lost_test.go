package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

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
