package bus

import (
	"errors"
	"math"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// StatusPeriod is how often the injector and the engine publish their
// status: a produced event shows in the panes' counters within this plus
// a frame (the latency target is 100 ms at p99).
const StatusPeriod = 25 * time.Millisecond

// Final is a horizon past every window: the closed_before of a progress
// record that ends the stream, a truth that is final for every key.
const Final = math.MaxInt64

// Statuses are snapshots each role publishes on the bus a few times a
// second; a screen draws the newest one. They are immutable once published.

// RunState is where a run is in its lifecycle (SPEC §7).
type RunState uint8

const (
	Starting RunState = iota
	Running
	Paused
	Draining // input ended; engine and comparator finishing
	Finished // everything judged
	AwaitingConfirm
	Stopping
)

var runStateNames = [...]string{"starting", "running", "paused", "draining", "finished", "awaiting confirmation", "stopping"}

func (s RunState) String() string {
	if int(s) < len(runStateNames) {
		return runStateNames[s]
	}
	return "unknown"
}

// RunStatus describes the whole run: where the broker is and how long it lasts.
type RunStatus struct {
	Run      int
	State    RunState
	Broker   string        // bootstrap address users can join (kcat -b …)
	Embedded bool          // the broker is streamtop's own
	Started  time.Time     // wall clock at the start of this run
	Elapsed  time.Duration // run time so far (virtual time under the virtual clock); frozen at the end
	Duration time.Duration // 0 = until quit
	Clock    string        // "real" or "virtual"
	// Disconnected is when the broker stopped answering a watcher (zero
	// while it answers): its figures are then the last it saw.
	Disconnected time.Time
	Err          string // last fatal problem, if any
}

// InjectorStatus is the injector's counters and knobs.
type InjectorStatus struct {
	Run      int
	Devices  int
	Replay   string // file being replayed, "" when generating
	Settings Settings
	Start    int64 // injector clock origin, ms (a replay: its first send time)
	Clock    int64 // injector clock: send time of the last event, ms
	Horizon  int64 // truth is final for window ends ≤ Horizon
	Done     bool  // input exhausted and end markers sent

	Sent       int64 // records produced (originals + duplicates)
	Originals  int64
	Duplicates int64
	Late       int64
	OutOfOrder int64
	Failed     int64 // records the broker did not take (retried by the client)
	Malformed  int64 // replay lines skipped

	Rate       float64   // measured events/s over the last second
	RateSeries []float64 // recent events/s samples, oldest first

	TruthKeys     int // keys in the device-time truth
	SendTruthKeys int // keys in the send-time truth
	TruthDiffer   int // keys whose two truths differ (late and out-of-order at work)

	// Unverified counts, for a watcher, the end and clock markers whose run
	// header it could not verify (it lacks the run's key): not acted on.
	Unverified int64
}

// LateEvent is one event the engine dropped as late (its side output).
type LateEvent struct {
	ID        string
	Device    string
	Category  string
	M1        int64
	Time      int64 // device time
	WindowEnd int64
	Arrival   int64
	Watermark int64 // watermark when it arrived
}

// EngineStatus is the in-process engine's state.
type EngineStatus struct {
	Run          int
	Tag          string // run tag of the records aggregated ("" untagged)
	Config       engine.Config
	Stats        engine.Stats
	ClosedBefore int64 // windows with end ≤ this are final
	Consumed     int64 // events read (markers and other runs' records not counted)
	Malformed    int64 // records that did not parse (counted, skipped)
	Foreign      int64 // records of another run, skipped
	Produced     int64 // results written to the aggregates topic
	EventRate    float64
	ResultRate   float64
	Lag          int64       // records not yet read, over the partitions read
	PartitionLag []int64     // per partition, by partition number; -1 unknown
	Recent       []LateEvent // the last late events, oldest first
	Finished     bool        // flushed at the end of input
	Err          string
	// Seen from outside (a watcher): only the results, their progress and
	// the group's lag are known; Config is not the engine's.
	Observed bool
	// LagUnknown says, for a watcher, why the lag is not known (the engine
	// reads without a consumer group); Unverified counts the progress
	// records whose run header it could not verify: not acted on.
	LagUnknown string
	Unverified int64
}

// CompareStatus is one comparator's verdict.
type CompareStatus struct {
	Run        int
	Tag        string // run tag judged
	Downstream string // what is judged, e.g. "streamtop (topic aggregates)"
	// Engine is the peer judged (SPEC §9: flink, kstreams, …); "" for our
	// engine. A screen keeps one status per engine.
	Engine     string
	ResultRate float64 // downstream records read per second, lately
	// LatencyP50 and LatencyP99: from an event's send to the result that
	// includes it (its record's timestamp), over the latest samples; real
	// clock only (LatencySamples 0 otherwise).
	LatencyP50, LatencyP99 time.Duration
	LatencySamples         int
	Report                 compare.Report
	SendTime               compare.Score // the same downstream against the send-time truth
	Horizon                int64         // settle horizon (window ends ≤ this are settled)
	Results                int64         // downstream records read
	Malformed              int64
	Foreign                int64  // records whose streamtop headers do not count: never judged
	Err                    string // why there is no verdict (the input was lost), if so
	Final                  bool
}

// RateAlert is one alert of the rate pipeline.
type RateAlert struct {
	TS        int64 // ms; the tick's time or when it was read
	Previous  float64
	Current   float64
	Variation float64
	Message   string
}

// RateStatus is the rate pipeline as seen from its output topics.
type RateStatus struct {
	Source     string
	Threshold  float64
	Ticks      int64 // input ticks read
	Malformed  int64 // input ticks that did not parse
	Last       float64
	Rates      []float64   // recent rates, oldest first
	Variations []float64   // recent signed variations, oldest first
	Alerts     []RateAlert // the last alerts, oldest first
	AlertCount int64
	Err        string
}

// Level grades a log entry.
type Level uint8

const (
	Info Level = iota
	Warn
	Error
)

func (l Level) String() string {
	switch l {
	case Warn:
		return "warn"
	case Error:
		return "error"
	}
	return "info"
}

// LogEntry is one line for the log: a problem a role met and kept going.
type LogEntry struct {
	Time  time.Time
	Level Level
	Role  string
	Text  string
}

// TruthValue is the current value of one key of a truth. Carrying totals,
// not deltas, keeps a comparator's m2 sums bit-identical to the injector's.
type TruthValue struct {
	Key engine.Key
	Agg engine.Agg
}

// TruthBatch carries the injector's truth to comparators, losslessly and in
// order: the keys that changed, with their totals. It is published before
// the events it counts are produced.
type TruthBatch struct {
	Run      int
	Tag      string // the run's tag (its id in a truth table)
	ByDevice []TruthValue
	BySend   []TruthValue
	Horizon  int64 // device-time truth is final for window ends ≤ Horizon
	Clock    int64 // send-time truth is final for window ends ≤ Clock
	Done     bool  // the input has ended: every later batch belongs to another run
}

// ErrConfig wraps the configuration errors of the roles.
var ErrConfig = errors.New("bad configuration")
