package bus

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// Toggle is a probability that can be switched off without forgetting it.
type Toggle struct {
	P  float64
	On bool
}

// Effective is the probability in force.
func (t Toggle) Effective() float64 {
	if t.On {
		return t.P
	}
	return 0
}

// Label renders the toggle as "dup 5% on" or "dup off".
func (t Toggle) Label(name string) string {
	if !t.On {
		return name + " off"
	}
	pct := math.Round(t.P*100*1e4) / 1e4 // 5.800000000000001 → 5.8
	return name + " " + strconv.FormatFloat(pct, 'f', -1, 64) + "% on"
}

// NewToggle is on when p > 0.
func NewToggle(p float64) Toggle { return Toggle{P: p, On: p > 0} }

// Settings are the knobs a person changes while a run goes on. Roles read
// them; the screen shows them.
type Settings struct {
	Run          int // increases on every reset
	Paused       bool
	Dup          Toggle
	Late         Toggle
	OOO          Toggle
	Rate         float64 // events/s per device
	Mode         engine.Mode
	Dedup        bool
	WatermarkLag time.Duration
	Confirmed    bool // a person confirmed the end of the run
}

// Action is one key's effect on the settings.
type Action uint8

const (
	ToggleDup Action = iota
	ToggleLate
	ToggleOOO
	NextMode
	ToggleDedup
	WatermarkDown
	WatermarkUp
	RateUp
	RateDown
	TogglePause
	Reset
	ConfirmStop
)

// Steps for the keys that step a value.
var (
	rateSteps      = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}
	watermarkSteps = []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second}
)

// Controls are the shared, live settings. Apply is cheap and never blocks on
// a role: roles poll Load (or wait on Changed) and catch up.
type Controls struct {
	mu      sync.Mutex
	s       Settings
	changed chan struct{}
}

// NewControls validates the initial settings.
func NewControls(s Settings) (*Controls, error) {
	for _, t := range []struct {
		name string
		t    Toggle
	}{{"dup", s.Dup}, {"late", s.Late}, {"ooo", s.OOO}} {
		if math.IsNaN(t.t.P) || t.t.P < 0 || t.t.P > 1 {
			return nil, fmt.Errorf("%s probability %v must be within [0,1]", t.name, t.t.P)
		}
	}
	if !(s.Rate > 0) || math.IsInf(s.Rate, 0) {
		return nil, fmt.Errorf("rate %v must be a positive number of events/s", s.Rate)
	}
	if s.WatermarkLag < 0 {
		return nil, fmt.Errorf("watermark lag %v must not be negative", s.WatermarkLag)
	}
	if s.Mode > engine.MicroBatch {
		return nil, engine.ErrBadMode
	}
	return &Controls{s: s, changed: make(chan struct{})}, nil
}

// Load returns the current settings.
func (c *Controls) Load() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

// Changed returns a channel closed at the next change.
func (c *Controls) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Apply performs a and returns the settings now in force.
func (c *Controls) Apply(a Action) Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.s
	switch a {
	case ToggleDup:
		s.Dup = flip(s.Dup, 0.05)
	case ToggleLate:
		s.Late = flip(s.Late, 0.01)
	case ToggleOOO:
		s.OOO = flip(s.OOO, 0.05)
	case NextMode:
		s.Mode = s.Mode.Next()
	case ToggleDedup:
		s.Dedup = !s.Dedup
	case WatermarkDown:
		s.WatermarkLag = stepDuration(watermarkSteps, s.WatermarkLag, -1)
	case WatermarkUp:
		s.WatermarkLag = stepDuration(watermarkSteps, s.WatermarkLag, +1)
	case RateUp:
		s.Rate = stepFloat(rateSteps, s.Rate, +1)
	case RateDown:
		s.Rate = stepFloat(rateSteps, s.Rate, -1)
	case TogglePause:
		s.Paused = !s.Paused
	case Reset:
		s.Run++
		s.Paused = false
	case ConfirmStop:
		s.Confirmed = true
	default:
		return c.s
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return c.s
}

// flip switches a toggle; switching on one that never had a probability
// uses def, the demo's usual value.
func flip(t Toggle, def float64) Toggle {
	if !t.On && t.P == 0 {
		t.P = def
	}
	t.On = !t.On
	return t
}

// stepFloat moves to the next step above (dir > 0) or below v.
func stepFloat(steps []float64, v float64, dir int) float64 {
	if dir > 0 {
		for _, s := range steps {
			if s > v {
				return s
			}
		}
		return v
	}
	for _, s := range slices.Backward(steps) {
		if s < v {
			return s
		}
	}
	return v
}

func stepDuration(steps []time.Duration, v time.Duration, dir int) time.Duration {
	f := make([]float64, len(steps))
	for i, s := range steps {
		f[i] = float64(s)
	}
	return time.Duration(stepFloat(f, float64(v), dir))
}
