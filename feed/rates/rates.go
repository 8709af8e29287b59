package rates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/streamtop/streamtop/feed/bus"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// RateSimConfig sets up the simulated BTC→CNY source (SPEC §5).
type RateSimConfig struct {
	Topic    string        // [BitCoinExchangeTopic]
	Seed     int64         // [34]
	Start    float64       // random walk origin [40000]
	Step     float64       // the walk moves uniformly within ±Step per tick [60]
	Uniform  bool          // the demo's later mode: uniform integers in [25000, 35000]
	Interval time.Duration // [500ms]
}

// DefaultRateSimConfig returns the demo's values.
func DefaultRateSimConfig() RateSimConfig {
	return RateSimConfig{Topic: kafka.TopicRateInput, Seed: 34, Start: 40000, Step: 60, Interval: 500 * time.Millisecond}
}

// RateSim is a seeded source of exchange-rate ticks.
type RateSim struct {
	cfg  RateSimConfig
	rng  *rand.Rand
	rate float64
}

// NewRateSim validates cfg.
func NewRateSim(cfg RateSimConfig) (*RateSim, error) {
	switch {
	case cfg.Topic == "":
		return nil, errors.New("rate source: topic is required")
	case cfg.Interval <= 0:
		return nil, fmt.Errorf("rate source: interval %v must be positive", cfg.Interval)
	case !(cfg.Start > 0) || math.IsInf(cfg.Start, 0):
		return nil, fmt.Errorf("rate source: start rate %v must be positive", cfg.Start)
	case cfg.Step < 0 || math.IsNaN(cfg.Step):
		return nil, fmt.Errorf("rate source: step %v must not be negative", cfg.Step)
	}
	return &RateSim{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed)), rate: cfg.Start}, nil
}

// Next draws the next rate.
func (s *RateSim) Next() float64 {
	if s.cfg.Uniform {
		return float64(25000 + s.rng.IntN(10001))
	}
	s.rate += (s.rng.Float64()*2 - 1) * s.cfg.Step
	s.rate = math.Max(1, math.Round(s.rate*100)/100)
	return s.rate
}

// PipelineConfig sets up the rate pipeline (the original's Storm topology).
type PipelineConfig struct {
	Topics      kafka.Topics
	Rate        engine.RateConfig
	OriginalGap bool // the gap topic carries |variation| when it alerts, else 0
}

// RunPipeline reads ticks from the input topic and writes rates,
// variations and alerts to the three output topics until ctx ends. The
// client must consume the input topic.
func RunPipeline(ctx context.Context, cfg PipelineConfig, cl *kgo.Client, eventBus *bus.Bus) error {
	p, err := engine.NewRateProcessor(cfg.Rate)
	if err != nil {
		return err
	}
	var lastErr string
	promise := func(_ *kgo.Record, err error) {
		if err != nil && !errors.Is(err, context.Canceled) {
			eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Error, Role: "rates", Text: "produce: " + err.Error()})
		}
	}
	return kafka.Loop{Client: cl}.Run(ctx, func(fs kgo.Fetches) {
		fs.EachRecord(func(rec *kgo.Record) {
			t, err := engine.DecodeTick(rec.Value)
			if err != nil {
				if msg := err.Error(); msg != lastErr {
					lastErr = msg
					eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: "rates",
						Text: fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err)})
				}
				return
			}
			if t.TS == 0 {
				t.TS = rec.Timestamp.UnixMilli()
			}
			out, ok := p.Process(t)
			if !ok {
				return
			}
			ts := time.UnixMilli(t.TS)
			cl.Produce(ctx, &kgo.Record{Topic: cfg.Topics.RateOutput, Timestamp: ts,
				Value: strconv.AppendFloat(nil, out.Rate, 'f', -1, 64)}, promise)
			gap := out.AppendVariationJSON(nil)
			if cfg.OriginalGap {
				gap = strconv.AppendFloat(nil, out.Gap(), 'f', -1, 64)
			}
			cl.Produce(ctx, &kgo.Record{Topic: cfg.Topics.RateGap, Timestamp: ts, Value: gap}, promise)
			if out.Alert {
				cl.Produce(ctx, &kgo.Record{Topic: cfg.Topics.RateAlert, Timestamp: ts, Value: out.AppendAlertJSON(nil)}, promise)
			}
		})
	})
}

// WatcherConfig sets up the rate watcher.
type WatcherConfig struct {
	Topics    kafka.Topics
	Source    string  // label of the tick source
	Threshold float64 // shown with the alerts
	Points    int     // samples kept for the charts [120]
	Alerts    int     // alerts kept [50]
}

// RunWatcher reads the pipeline's four topics and publishes a
// RateStatus on the bus a few times a second, until ctx ends. The client
// must consume the four topics.
func RunWatcher(ctx context.Context, cfg WatcherConfig, cl *kgo.Client, eventBus *bus.Bus) error {
	if cfg.Points <= 0 {
		cfg.Points = 120
	}
	if cfg.Alerts <= 0 {
		cfg.Alerts = 50
	}
	st := bus.RateStatus{Source: cfg.Source, Threshold: cfg.Threshold}
	push := func(s []float64, v float64) []float64 {
		if len(s) >= cfg.Points {
			s = s[1:]
		}
		return append(s, v)
	}
	last := time.Time{}
	dirty := true
	return kafka.Loop{Client: cl, Wait: 200 * time.Millisecond}.Run(ctx, func(fs kgo.Fetches) {
		fs.EachRecord(func(rec *kgo.Record) {
			dirty = true
			switch rec.Topic {
			case cfg.Topics.RateInput:
				if t, err := engine.DecodeTick(rec.Value); err != nil {
					st.Malformed++
				} else {
					st.Ticks++
					st.Last = t.Rate
				}
			case cfg.Topics.RateOutput:
				if t, err := engine.DecodeTick(rec.Value); err == nil {
					st.Rates = push(st.Rates, t.Rate)
				}
			case cfg.Topics.RateGap:
				var v engine.Variation
				if err := json.Unmarshal(rec.Value, &v); err == nil {
					st.Variations = push(st.Variations, v.Variation)
				} else if g, err := strconv.ParseFloat(string(rec.Value), 64); err == nil {
					st.Variations = push(st.Variations, g) // the original's gap form
				}
			case cfg.Topics.RateAlert:
				var a engine.Alert
				if err := json.Unmarshal(rec.Value, &a); err == nil {
					st.AlertCount++
					if len(st.Alerts) >= cfg.Alerts {
						st.Alerts = st.Alerts[1:]
					}
					st.Alerts = append(st.Alerts, bus.RateAlert{TS: rec.Timestamp.UnixMilli(), Previous: a.Previous,
						Current: a.Current, Variation: a.Variation, Message: a.Message})
				}
			}
		})
		if dirty && time.Since(last) >= 100*time.Millisecond {
			out := st
			out.Rates = append([]float64(nil), st.Rates...)
			out.Variations = append([]float64(nil), st.Variations...)
			out.Alerts = append([]bus.RateAlert(nil), st.Alerts...)
			eventBus.Publish(&out)
			last, dirty = time.Now(), false
		}
	})
}
