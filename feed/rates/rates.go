package rates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
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
	// SourceDone, if set, is closed when the tick source feeding the input
	// topic has stopped (its last tick flushed): a stopped pipeline first
	// handles every tick written before that, so a bounded run keeps its
	// last tick. nil: stop at once.
	SourceDone <-chan struct{}
}

// drainFor bounds how long a stopped pipeline waits for its source and
// reads what is left.
const drainFor = 10 * time.Second

// RunPipeline reads ticks from the input topic and writes rates,
// variations and alerts to the three output topics until ctx ends, then
// drains (see SourceDone) and flushes what it wrote. The client must
// consume the input topic.
func RunPipeline(ctx context.Context, cfg PipelineConfig, cl *kgo.Client, eventBus *bus.Bus) error {
	p, err := engine.NewRateProcessor(cfg.Rate)
	if err != nil {
		return err
	}
	pl := &pipeline{cfg: cfg, cl: cl, bus: eventBus, proc: p, next: map[int32]int64{}}
	loopCtx, stop := context.WithCancel(context.Background())
	defer stop()
	go pl.stopAfterDrain(ctx, stop)
	err = kafka.Loop{Client: cl, Wait: 100 * time.Millisecond}.Run(loopCtx, func(fs kgo.Fetches) {
		fs.EachRecord(pl.record)
		pl.checkDrained(stop)
	})
	fctx, cancel := context.WithTimeout(context.Background(), drainFor)
	defer cancel()
	if ferr := cl.Flush(fctx); err == nil {
		err = ferr
	}
	return err
}

// pipeline is RunPipeline's state, owned by its loop.
type pipeline struct {
	cfg     PipelineConfig
	cl      *kgo.Client
	bus     *bus.Bus
	proc    *engine.RateProcessor
	lastErr string
	next    map[int32]int64 // per input partition, the next offset to handle
	mu      sync.Mutex
	target  map[int32]int64 // once stopped: the end offsets to reach
}

// stopAfterDrain waits for ctx, then for the source, then sets the end
// offsets the loop must reach before it stops (or stops it after drainFor).
func (pl *pipeline) stopAfterDrain(ctx context.Context, stop context.CancelFunc) {
	<-ctx.Done()
	deadline := time.After(drainFor)
	if pl.cfg.SourceDone == nil {
		stop()
		return
	}
	select {
	case <-pl.cfg.SourceDone:
	case <-deadline:
		stop()
		return
	}
	lctx, cancel := context.WithTimeout(context.Background(), drainFor)
	ends, err := kafka.EndOffsets(lctx, kadm.NewClient(pl.cl), pl.cfg.Topics.RateInput)
	cancel()
	if err != nil {
		stop()
		return
	}
	pl.mu.Lock()
	pl.target = ends
	pl.mu.Unlock()
	<-deadline
	stop()
}

// checkDrained stops the loop once every input partition reached its target.
func (pl *pipeline) checkDrained(stop context.CancelFunc) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.target == nil {
		return
	}
	for p, end := range pl.target {
		if pl.next[p] < end {
			return
		}
	}
	stop()
}

// record handles one input tick.
func (pl *pipeline) record(rec *kgo.Record) {
	pl.mu.Lock()
	pl.next[rec.Partition] = rec.Offset + 1
	pl.mu.Unlock()
	t, err := engine.DecodeTick(rec.Value)
	if err != nil {
		if msg := err.Error(); msg != pl.lastErr {
			pl.lastErr = msg
			pl.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: "rates",
				Text: fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err)})
		}
		return
	}
	if t.TS == 0 {
		t.TS = rec.Timestamp.UnixMilli()
	}
	out, ok := pl.proc.Process(t)
	if !ok {
		return
	}
	ts := time.UnixMilli(t.TS)
	cfg := pl.cfg
	pl.produce(&kgo.Record{Topic: cfg.Topics.RateOutput, Timestamp: ts, Value: strconv.AppendFloat(nil, out.Rate, 'f', -1, 64)})
	gap := out.AppendVariationJSON(nil)
	if cfg.OriginalGap {
		gap = strconv.AppendFloat(nil, out.Gap(), 'f', -1, 64)
	}
	pl.produce(&kgo.Record{Topic: cfg.Topics.RateGap, Timestamp: ts, Value: gap})
	if out.Alert {
		pl.produce(&kgo.Record{Topic: cfg.Topics.RateAlert, Timestamp: ts, Value: out.AppendAlertJSON(nil)})
	}
}

// produce writes an output record; the context outlives the pipeline's, so
// the final flush delivers it.
func (pl *pipeline) produce(rec *kgo.Record) {
	pl.cl.Produce(context.Background(), rec, func(_ *kgo.Record, err error) {
		if err != nil {
			pl.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Error, Role: "rates", Text: "produce (lost): " + err.Error()})
		}
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
