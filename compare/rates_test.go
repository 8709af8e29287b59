package compare

import (
	"strconv"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// SPEC §5's example run through our processor gives one side; the other
// side is written in other forms of the same values, then changed.
func TestCompareRatesPlaceByPlace(t *testing.T) {
	proc, err := engine.NewRateProcessor(engine.RateConfig{Threshold: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs RateSide
	for _, v := range []float64{40000, 40030, 40100, 40100, 40050, 40000, 40120.5} {
		out, ok := proc.Process(engine.Tick{Rate: v})
		if !ok {
			continue
		}
		ours.AddRate([]byte(trimFloat(out.Rate)))
		ours.AddVariation(out.AppendVariationJSON(nil))
		if out.Alert {
			ours.AddAlert(out.AppendAlertJSON(nil))
		}
		theirs.AddRate([]byte(`{"rate":` + trimFloat(out.Rate) + `}`)) // another form, the same value
		theirs.AddVariation(out.AppendVariationJSON(nil))
		if out.Alert {
			theirs.AddAlert(out.AppendAlertJSON(nil))
		}
	}
	r := CompareRates(ours, theirs)
	if r.Differences != 0 || r.Records != 6+6+4 {
		t.Fatalf("equal sides: %v %+v", r, r.Diffs)
	}
	theirs.Rates[2] += 1
	theirs.Alerts = theirs.Alerts[:3]
	theirs.AddRate([]byte("not a number"))
	r = CompareRates(ours, theirs)
	if r.Differences != 2 || len(r.Diffs) != 2 || theirs.Malformed != 1 {
		t.Fatalf("two differences: %v %+v", r, r.Diffs)
	}
	if d := r.Diffs[0]; d.Topic != "rate" || d.Index != 2 || d.Ours != "40100" || d.Theirs != "40101" {
		t.Errorf("rate diff %+v", d)
	}
	if d := r.Diffs[1]; d.Topic != "alert" || d.Index != 3 || d.Theirs != "" || d.Ours == "" {
		t.Errorf("alert diff %+v", d)
	}
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
