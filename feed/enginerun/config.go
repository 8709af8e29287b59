package enginerun

import (
	"fmt"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
)

// Config sets up the engine role. DefaultConfig gives the defaults.
type Config struct {
	Events  string        // topic read [sampletopic]
	Results string        // topic written [aggregates]
	Engine  engine.Config // initial settings; live changes come from the controls
	Clock   bus.Clock
	// Merge reads the partitions merged in timestamp order (then key, then
	// partition), as batch engines do: a bounded virtual-clock run is then
	// deterministic whatever the fetch timing, and a backlog read partition
	// by partition does not turn late events into accepted ones. It relies
	// on the injector's clock and end markers (in a group, partitions
	// without markers do not hold it back once read to their end).
	Merge bool
	// FromEnd starts at the topic's end offsets (the data already there
	// belongs to earlier runs); otherwise at its start. A group with
	// committed offsets resumes from them.
	FromEnd bool
	// Session, in one process with the injector: accept only this session's
	// run tags, and change runs only through the controls. "" (a
	// distributed engine): follow the authenticated run tag of the records.
	Session string
	// RunKey authenticates run tags and markers (kafka.RunKey); nil takes
	// every plain tag at its word.
	RunKey kafka.RunKey
	// Group makes the engine a consumer-group member: instances share the
	// partitions, commit where an open window's earliest event is (with the
	// closed horizon as commit metadata) and a partition moved to another
	// instance is re-read from there. "" reads every partition.
	Group string
	// Sink also receives results and progress (a Cassandra table).
	Sink ResultSink
	// NoKafkaResults writes results and progress only to the Sink.
	NoKafkaResults bool
	Tick           time.Duration // how often time advances and status is published [bus.StatusPeriod]
	// SessionTimeout of the group membership: how fast a dead instance's
	// partitions move [6s].
	SessionTimeout time.Duration
	// TuneGC lets the process collect less often while its heap is small
	// next to the machine's memory (gc.go): for a process that is the
	// engine role alone, as the collector's setting is the whole process's.
	TuneGC bool
}

// DefaultConfig returns the defaults: SPEC §6's topics, SPEC §3's engine.
func DefaultConfig() Config {
	return Config{Events: kafka.TopicEvents, Results: kafka.TopicResults, Engine: engine.DefaultConfig(),
		Tick: bus.StatusPeriod, SessionTimeout: 6 * time.Second}
}

// withDefaults fills the durations left at zero.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Tick <= 0 {
		c.Tick = d.Tick
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = d.SessionTimeout
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Events == "" || c.Results == "":
		return fmt.Errorf("engine runner: %w: events and results topics are required", bus.ErrConfig)
	case c.Events == c.Results:
		return fmt.Errorf("engine runner: %w: events and results topics must differ (%s)", bus.ErrConfig, c.Events)
	case c.NoKafkaResults && c.Sink == nil:
		return fmt.Errorf("engine runner: %w: results go nowhere (no Kafka results and no sink)", bus.ErrConfig)
	}
	return c.Engine.Validate()
}
