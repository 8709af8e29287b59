package judge

import (
	"context"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// Config sets up the comparator role.
type Config struct {
	Downstream string // how the downstream is labelled
	Engine     string // the peer judged (SPEC §9); "" for our engine
	Options    compare.Options
	// Session, in one process with the injector: this session's run tags,
	// following the controls' run. "" (distributed): the truth's run.
	Session string
	// Tag is the run judged when it is known up front (a distributed
	// comparator reads it from Cassandra): results of other runs are skipped
	// from the first record on.
	Tag  string
	Tick time.Duration // how often scores are settled and published [100ms]
	// IdleFinal ends the judging of a downstream that writes no progress
	// records (another engine): once the truth is final and no result has
	// come for this long. 0: only progress records end it.
	IdleFinal time.Duration
	// Settings is what explaining exceptions may assume of the downstream
	// (SPEC §4, causes) [nil: compare.DefaultDownstream, a topic any engine
	// may write: every mode is tried]. Options.Window and Options.DedupTTL
	// are its window and dedup-ttl.
	Settings *compare.Downstream
	// FollowControls: the downstream is the engine the controls steer, so
	// its mode and dedup are the controls' (and known).
	FollowControls bool
	// Peer, for a reference engine (SPEC §9), which writes no progress
	// records: its side of window end E settles once it has emitted a
	// window ending after E + Lateness, or has been silent for Idle since
	// its last result.
	Peer *PeerSettle
}

// PeerSettle is what settles a peer's results (SPEC §9).
type PeerSettle struct {
	Lateness, Idle time.Duration
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Tick < 0 {
		return fmt.Errorf("judge: %w: tick %v is negative", bus.ErrConfig, c.Tick)
	}
	if c.IdleFinal < 0 {
		return fmt.Errorf("judge: %w: idle-final %v is negative", bus.ErrConfig, c.IdleFinal)
	}
	if c.Peer != nil && (c.Peer.Lateness < 0 || c.Peer.Idle <= 0) {
		return fmt.Errorf("judge: %w: a peer's lateness must not be negative, its idle positive", bus.ErrConfig)
	}
	if _, err := compare.New(c.Options); err != nil {
		return fmt.Errorf("judge: %w: %v", bus.ErrConfig, err)
	}
	return nil
}

// Deps are what the comparator works with.
type Deps struct {
	Bus      *bus.Bus
	Controls *bus.Controls // nil: a headless comparator (no controls)
	Truth    TruthSource
	Down     DownSource
	// Sent, if set, delivers the injector's sends in one process (the
	// evidence for causes); a distributed judge reads them with its
	// downstream (KafkaConfig.ReadEvents).
	Sent SentSource
	Now  func() time.Time // [time.Now]
}

// TruthSource delivers the injector's truth, in order, until ctx ends.
type TruthSource interface {
	Run(ctx context.Context, out chan<- *bus.TruthBatch) error
}

// DownSource delivers a downstream's results and progress until ctx ends.
type DownSource interface {
	// Start returns how many partitions the events topic has (progress is
	// per events partition) and how many independent progress streams the
	// source has (one per results partition; 1 for a table).
	Start(ctx context.Context) (eventParts, streams int32, err error)
	Run(ctx context.Context, out chan<- DownBatch) error
}

// DownBatch is what a downstream source read.
type DownBatch struct {
	Results   []TaggedResult
	Progress  []ProgressMark
	Malformed int64
	Problem   string // the last malformed record's reason
	// Foreign counts records whose streamtop headers did not verify: they
	// are neither judged nor allowed to steer the judge (SPEC §6).
	Foreign int64
	// Lost, if set, says the input was deleted under the source (retention
	// or a deleted topic): the judge gives no verdict.
	Lost string
	// Sent are events read from the events topic, in order per partition:
	// the evidence for causes (KafkaConfig.ReadEvents).
	Sent []TaggedSent
	// EventsReadAt, when set, says every event written to the events topic
	// before it has been read (KafkaConfig.ReadEvents).
	EventsReadAt time.Time
}

// TaggedResult is a result and the run tag it came with: "" for external
// data (no streamtop header), else a tag the source verified.
type TaggedResult struct {
	Tag    string
	Result engine.Result
	At     int64 // the record's timestamp, ms (0 unknown)
}

// ProgressMark says: in progress stream Stream, the engine has closed every
// window ending at or before Closed[p], for each events partition p. Tag is
// verified by the source.
type ProgressMark struct {
	Tag    string
	Stream int32
	Closed map[int32]int64
}

// New checks cfg and deps and prepares the first run's comparators.
func New(cfg Config, deps Deps) (*Judge, error) {
	if deps.Bus == nil || deps.Truth == nil || deps.Down == nil {
		return nil, fmt.Errorf("judge: %w: bus, truth and downstream are required", bus.ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Tick == 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	j := &Judge{cfg: cfg, deps: deps, left: map[string]bool{}}
	run := 0
	if deps.Controls != nil {
		run = deps.Controls.Load().Run
	}
	j.reset(run, cfg.Tag)
	return j, nil
}
