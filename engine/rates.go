package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Tick is one exchange-rate observation (SPEC §5).
type Tick struct {
	Rate float64
	TS   int64 // ms since the epoch; 0 when the tick carried none
}

// DecodeTick parses a tick in any accepted form: a plain number,
// {"rate":x,"ts":ms}, or Alpha Vantage's
// {"Realtime Currency Exchange Rate":{"5. Exchange Rate":"40307.73"}}.
// Errors wrap ErrMalformed.
func DecodeTick(b []byte) (Tick, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Tick{}, fmt.Errorf("%w tick: empty", ErrMalformed)
	}
	if b[0] != '{' {
		r, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return Tick{}, fmt.Errorf("%w tick: %q is not a number", ErrMalformed, clip(string(b)))
		}
		return checkTick(Tick{Rate: r})
	}
	var j struct {
		Rate *float64 `json:"rate"`
		TS   int64    `json:"ts"`
		AV   *struct {
			Rate *string `json:"5. Exchange Rate"`
		} `json:"Realtime Currency Exchange Rate"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return Tick{}, fmt.Errorf("%w tick: %v", ErrMalformed, err)
	}
	switch {
	case j.Rate != nil:
		return checkTick(Tick{Rate: *j.Rate, TS: j.TS})
	case j.AV != nil && j.AV.Rate != nil:
		r, err := strconv.ParseFloat(*j.AV.Rate, 64)
		if err != nil {
			return Tick{}, fmt.Errorf("%w tick: exchange rate %q is not a number", ErrMalformed, clip(*j.AV.Rate))
		}
		return checkTick(Tick{Rate: r})
	}
	return Tick{}, fmt.Errorf("%w tick: no rate field", ErrMalformed)
}

// MaxRate bounds a tick: anything larger is not an exchange rate, and
// keeps variations and their JSON finite.
const MaxRate = 1e12

func checkTick(t Tick) (Tick, error) {
	if math.IsNaN(t.Rate) || t.Rate <= 0 || t.Rate > MaxRate {
		return Tick{}, fmt.Errorf("%w tick: rate %v is not a positive number up to %g", ErrMalformed, t.Rate, MaxRate)
	}
	return t, nil
}

// RateConfig sets up a RateProcessor.
type RateConfig struct {
	Threshold float64 // alert when |variation| reaches this [50 CNY]
	Strict    bool    // alert on |variation| > Threshold instead of ≥ [false]
}

// DefaultRateConfig returns SPEC §5's defaults.
func DefaultRateConfig() RateConfig { return RateConfig{Threshold: 50} }

// RateOutput is what one tick after the first produces.
type RateOutput struct {
	Rate      float64
	Previous  float64
	Variation float64 // Rate − Previous, signed
	Alert     bool
	TS        int64
}

// Gap is the original demo's gap-topic value: |variation| when it reached
// the threshold, else 0.
func (o RateOutput) Gap() float64 {
	if o.Alert {
		return math.Abs(o.Variation)
	}
	return 0
}

// Message is the alert's human text.
func (o RateOutput) Message() string {
	dir := "rose"
	if o.Variation < 0 {
		dir = "fell"
	}
	return fmt.Sprintf("BTC/CNY %s %s CNY: %s → %s", dir,
		strconv.FormatFloat(math.Abs(o.Variation), 'f', -1, 64),
		strconv.FormatFloat(o.Previous, 'f', -1, 64),
		strconv.FormatFloat(o.Rate, 'f', -1, 64))
}

// AppendVariationJSON appends {"rate":…,"previous":…,"variation":…}.
func (o RateOutput) AppendVariationJSON(dst []byte) []byte {
	dst = append(dst, `{"rate":`...)
	dst = strconv.AppendFloat(dst, o.Rate, 'g', -1, 64)
	dst = append(dst, `,"previous":`...)
	dst = strconv.AppendFloat(dst, o.Previous, 'g', -1, 64)
	dst = append(dst, `,"variation":`...)
	dst = strconv.AppendFloat(dst, o.Variation, 'g', -1, 64)
	return append(dst, '}')
}

// AppendAlertJSON appends {"previous":…,"current":…,"variation":…,"message":…}.
func (o RateOutput) AppendAlertJSON(dst []byte) []byte {
	dst = append(dst, `{"previous":`...)
	dst = strconv.AppendFloat(dst, o.Previous, 'g', -1, 64)
	dst = append(dst, `,"current":`...)
	dst = strconv.AppendFloat(dst, o.Rate, 'g', -1, 64)
	dst = append(dst, `,"variation":`...)
	dst = strconv.AppendFloat(dst, o.Variation, 'g', -1, 64)
	dst = append(dst, `,"message":`...)
	dst = AppendJSONString(dst, o.Message())
	return append(dst, '}')
}

// Variation is the decoded form of a variation-topic record.
type Variation struct {
	Rate      float64 `json:"rate"`
	Previous  float64 `json:"previous"`
	Variation float64 `json:"variation"`
}

// Alert is the decoded form of an alert-topic record.
type Alert struct {
	Previous  float64 `json:"previous"`
	Current   float64 `json:"current"`
	Variation float64 `json:"variation"`
	Message   string  `json:"message"`
}

// RateProcessor turns ticks into rates, variations and alerts. The first
// tick only primes it.
type RateProcessor struct {
	cfg    RateConfig
	prev   float64
	primed bool
}

// NewRateProcessor validates cfg.
func NewRateProcessor(cfg RateConfig) (*RateProcessor, error) {
	if math.IsNaN(cfg.Threshold) || math.IsInf(cfg.Threshold, 0) || cfg.Threshold < 0 {
		return nil, errors.New("rates: threshold must be a finite number ≥ 0")
	}
	return &RateProcessor{cfg: cfg}, nil
}

// Process folds one tick; ok is false for the priming tick.
func (p *RateProcessor) Process(t Tick) (out RateOutput, ok bool) {
	if !p.primed {
		p.prev, p.primed = t.Rate, true
		return RateOutput{}, false
	}
	// Rounded to 1e-9 so that 40058.22 − 40000 is 58.22, not 58.2199999…
	v := math.Round((t.Rate-p.prev)*1e9) / 1e9
	a := math.Abs(v)
	out = RateOutput{Rate: t.Rate, Previous: p.prev, Variation: v, TS: t.TS,
		Alert: a > p.cfg.Threshold || (!p.cfg.Strict && a == p.cfg.Threshold)}
	p.prev = t.Rate
	return out, true
}
