// Package ratecheck judges another rate pipeline (the Storm peer, SPEC §9)
// against streamtop's own: it reads both pipelines' rate, variation and
// alert topics and matches their records in order of input ticks
// (compare.CompareRates).
package ratecheck

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Config names the two pipelines' topics.
type Config struct {
	Ours   [3]string // rate, variation (gap), alert topics of our pipeline
	Theirs [3]string // the other pipeline's
	// Final: the verdict is final once both sides have been silent this
	// long after their last record (and at least one record was read).
	Final time.Duration
}

// Validate checks cfg.
func (c Config) Validate() error {
	for i := range 3 {
		if c.Ours[i] == "" || c.Theirs[i] == "" || c.Ours[i] == c.Theirs[i] {
			return fmt.Errorf("rate check: %w: six distinct topics are needed", bus.ErrConfig)
		}
	}
	if c.Final <= 0 {
		return fmt.Errorf("rate check: %w: final %v must be positive", bus.ErrConfig, c.Final)
	}
	return nil
}

// Deps is what a check works with.
type Deps struct {
	Kafka kafka.Config
	Now   func() time.Time // [time.Now]
}

// Check reads both pipelines' topics from their start until ctx ends.
type Check struct {
	cfg          Config
	deps         Deps
	mu           sync.Mutex
	ours, theirs compare.RateSide
	last         time.Time // when a record was last read
	done         chan struct{}
	doneOnce     sync.Once
}

// New validates cfg.
func New(cfg Config, deps Deps) (*Check, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Check{cfg: cfg, deps: deps, done: make(chan struct{})}, nil
}

// Run reads until ctx ends.
func (c *Check) Run(ctx context.Context) error {
	cl, err := c.deps.Kafka.NewClient()
	if err != nil {
		return fmt.Errorf("rate check: %w", err)
	}
	defer cl.Close()
	topics := append(c.cfg.Ours[:], c.cfg.Theirs[:]...)
	l := kafka.Loop{Client: cl, Assign: topics, Wait: 200 * time.Millisecond}
	err = l.Run(ctx, func(fs kgo.Fetches) { c.take(fs) })
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("rate check: %w", err)
	}
	return nil
}

// take files a fetch's records by topic and sees whether the verdict is final.
func (c *Check) take(fs kgo.Fetches) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.deps.Now()
	fs.EachRecord(func(r *kgo.Record) {
		c.last = now
		for i, side := range []*compare.RateSide{&c.ours, &c.theirs} {
			names := c.cfg.Ours
			if i == 1 {
				names = c.cfg.Theirs
			}
			switch r.Topic {
			case names[0]:
				side.AddRate(r.Value)
			case names[1]:
				side.AddVariation(r.Value)
			case names[2]:
				side.AddAlert(r.Value)
			}
		}
	})
	if !c.last.IsZero() && now.Sub(c.last) >= c.cfg.Final {
		c.doneOnce.Do(func() { close(c.done) })
	}
}

// Done is closed once the verdict is final.
func (c *Check) Done() <-chan struct{} { return c.done }

// Report is the verdict so far.
func (c *Check) Report() compare.RateReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return compare.CompareRates(c.ours, c.theirs)
}
