package compare

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/streamtop/streamtop/engine"
)

// RateSide is what one rate pipeline wrote (SPEC §5), in order: its rate,
// variation and alert records.
type RateSide struct {
	Rates      []float64
	Variations []engine.Variation
	Alerts     []engine.Alert
	Malformed  int // records that did not decode (skipped)
}

// AddRate, AddVariation and AddAlert decode one record of each topic.
func (s *RateSide) AddRate(b []byte) {
	t, err := engine.DecodeTick(b)
	if err != nil {
		s.Malformed++
		return
	}
	s.Rates = append(s.Rates, t.Rate)
}

// AddVariation takes the variation JSON or the original's gap form (a number).
func (s *RateSide) AddVariation(b []byte) {
	var v engine.Variation
	if err := json.Unmarshal(b, &v); err == nil {
		s.Variations = append(s.Variations, v)
		return
	}
	g, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		s.Malformed++
		return
	}
	s.Variations = append(s.Variations, engine.Variation{Variation: g})
}

// AddAlert takes an alert record.
func (s *RateSide) AddAlert(b []byte) {
	var a engine.Alert
	if err := json.Unmarshal(b, &a); err != nil {
		s.Malformed++
		return
	}
	s.Alerts = append(s.Alerts, a)
}

// RateDiff is one record where two rate pipelines differ.
type RateDiff struct {
	Topic  string `json:"topic"` // rate, variation or alert
	Index  int    `json:"index"` // its place in order of input ticks, from 0
	Ours   string `json:"ours"`  // "" when missing
	Theirs string `json:"theirs"`
}

// RateReport is the verdict on a rate pipeline against ours: records are
// matched in order of their input ticks (SPEC §9).
type RateReport struct {
	Records     int        `json:"records"`     // M: matched places, over the three topics
	Differences int        `json:"differences"` // N
	Diffs       []RateDiff `json:"diffs"`       // the first MaxRateDiffs
	Ours        [3]int     `json:"ours"`        // records of each topic: rate, variation, alert
	Theirs      [3]int     `json:"theirs"`
}

// MaxRateDiffs bounds the differences a report lists.
const MaxRateDiffs = 50

// String is "N differences out of M records".
func (r RateReport) String() string {
	return fmt.Sprintf("%d differences out of %d records", r.Differences, r.Records)
}

// rateTolerance: variations are rounded to 1e-9 by both sides; a float
// printed and read back may differ in its last bit.
const rateTolerance = 1e-9

// CompareRates judges theirs against ours, place by place.
func CompareRates(ours, theirs RateSide) RateReport {
	r := RateReport{Ours: [3]int{len(ours.Rates), len(ours.Variations), len(ours.Alerts)},
		Theirs: [3]int{len(theirs.Rates), len(theirs.Variations), len(theirs.Alerts)}}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	diffs(&r, "rate", ours.Rates, theirs.Rates, func(a, b float64) bool { return a == b }, num)
	diffs(&r, "variation", ours.Variations, theirs.Variations, func(a, b engine.Variation) bool {
		return near(a.Variation, b.Variation) && near(a.Rate, b.Rate) && near(a.Previous, b.Previous)
	}, func(v engine.Variation) string { return num(v.Variation) })
	diffs(&r, "alert", ours.Alerts, theirs.Alerts, func(a, b engine.Alert) bool {
		return near(a.Variation, b.Variation) && a.Current == b.Current && a.Previous == b.Previous && a.Message == b.Message
	}, func(a engine.Alert) string { return Printable(a.Message) })
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) <= rateTolerance }

// diffs matches two sequences place by place into r.
func diffs[T any](r *RateReport, topic string, ours, theirs []T, same func(a, b T) bool, show func(T) string) {
	n := max(len(ours), len(theirs))
	r.Records += n
	for i := range n {
		var d RateDiff
		switch {
		case i >= len(ours):
			d = RateDiff{Topic: topic, Index: i, Theirs: show(theirs[i])}
		case i >= len(theirs):
			d = RateDiff{Topic: topic, Index: i, Ours: show(ours[i])}
		case !same(ours[i], theirs[i]):
			d = RateDiff{Topic: topic, Index: i, Ours: show(ours[i]), Theirs: show(theirs[i])}
		default:
			continue
		}
		r.Differences++
		if len(r.Diffs) < MaxRateDiffs {
			r.Diffs = append(r.Diffs, d)
		}
	}
}
