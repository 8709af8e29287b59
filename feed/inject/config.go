package inject

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"
)

// Config sets up the injector role.
type Config struct {
	Topic     string              // events topic [sampletopic]
	Generator sim.GeneratorConfig // devices, events, seed …; Start is the wall clock under RealClock
	Replay    string              // replay this file instead of generating
	Clock     bus.Clock
	Speed     float64       // virtual clock pacing: 0 unthrottled, 1 real time
	Window    time.Duration // truth windows [5s]
	Pipe      bool          // write events in the original text form
	Session   string        // run header prefix; "" writes no run header
	// RunKey authenticates the run header of events (EventHeader) and of
	// markers (MarkerHeader: bound to the marker's kind, value and
	// partition), so no one else can steer, end or stall the run (SPEC §6).
	// nil writes plain tags.
	RunKey    kafka.RunKey
	EndMarker bool // mark the end of a bounded input on every partition
	// Duration bounds a virtual-clock run in virtual time: the input ends
	// once the injector's clock passes its start plus Duration. 0 = no bound.
	// (A real-clock run is bounded by the caller calling Stop.)
	Duration time.Duration
	// ClockMarkers writes the injector's clock to every partition after
	// each batch (generated input only: send times never go back), so a
	// reader can merge partitions in timestamp order as it goes.
	ClockMarkers bool
	// PartitionCheck is how often the topic's partition count is read
	// again, so markers reach partitions added during a run [2s].
	PartitionCheck time.Duration
	// Read, if set, counts the records of Topic a reader has read; the
	// injector then waits while more than MaxBacklog of the records it
	// produced are unread, so a broker with size-bounded retention (the
	// embedded one) never drops a record before it is read.
	Read       func() int64
	MaxBacklog int64
	// PublishSent also publishes each batch's events as a *bus.SentBatch,
	// for a writer of the original's raw_events.
	PublishSent bool
	// PublishStart publishes a *bus.RunStart before each run's first
	// record: where peers restarted for the run read from.
	PublishStart bool
	// Record, if set, gets every event of the first run as it is handed to
	// the Kafka client, and is closed when that run ends, is reset or the
	// injector stops (see Recorder).
	Record *Recorder
}

// DefaultPartitionCheck is how often an injector looks for partitions
// added to its topic.
const DefaultPartitionCheck = 2 * time.Second

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Topic == "":
		return errors.New("injector: topic must not be empty")
	case c.Window < time.Millisecond:
		return fmt.Errorf("injector: window %v must be at least 1ms", c.Window)
	case c.Speed < 0:
		return fmt.Errorf("injector: speed %v must not be negative", c.Speed)
	case c.Duration < 0:
		return fmt.Errorf("injector: duration %v must not be negative", c.Duration)
	case c.PartitionCheck < 0:
		return fmt.Errorf("injector: partition check %v must not be negative", c.PartitionCheck)
	case c.MaxBacklog < 0:
		return fmt.Errorf("injector: max backlog %d must not be negative", c.MaxBacklog)
	}
	if c.Replay != "" {
		if _, err := os.Stat(c.Replay); err != nil {
			return fmt.Errorf("injector: replay: %w", err)
		}
	} else if _, err := sim.NewGenerator(c.Generator, sim.DefaultKnobs()); err != nil {
		return fmt.Errorf("injector: %w", err)
	}
	return nil
}

// New checks cfg and deps. The client must be able to produce to cfg.Topic.
func New(cfg Config, deps Deps) (*Injector, error) {
	if deps.Client == nil || deps.Bus == nil || deps.Controls == nil {
		return nil, errors.New("injector: client, bus and controls are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.PartitionCheck == 0 {
		cfg.PartitionCheck = DefaultPartitionCheck
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Injector{cfg: cfg, deps: deps, stop: make(chan struct{}, 1), finished: make(chan struct{})}, nil
}

func knobsOf(s bus.Settings) sim.Knobs {
	return sim.Knobs{Dup: s.Dup.Effective(), Late: s.Late.Effective(), OOO: s.OOO.Effective(), Rate: s.Rate}
}
