package engine

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Mode is how the engine assigns events to windows.
type Mode uint8

const (
	// EventTime windows on device time and fires on a watermark.
	EventTime Mode = iota
	// ProcessingTime windows on arrival time and fires when now passes a window's end.
	ProcessingTime
	// MicroBatch imitates Spark Streaming: batches of one window of arrival
	// time, aligned to the epoch, with dedup only within a batch.
	MicroBatch
)

var modeNames = [...]string{"event", "processing", "microbatch"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", m)
}

// Next cycles event → processing → microbatch → event.
func (m Mode) Next() Mode { return (m + 1) % Mode(len(modeNames)) }

// ErrBadMode is returned by ParseMode for an unknown name.
var ErrBadMode = errors.New("unknown engine mode (want event, processing or microbatch)")

// ParseMode parses "event", "processing" or "microbatch".
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("%q: %w", s, ErrBadMode)
}

// Config sets up an Engine. DefaultConfig gives SPEC §3's defaults.
type Config struct {
	Mode      Mode
	Window    time.Duration // tumbling window size [5s]
	Watermark time.Duration // W: watermark lag behind a partition's max device time [1s]
	Idle      time.Duration // a caught-up partition silent this long is idle [6s]
	Lateness  time.Duration // a fired window stays open this long past its end [0]
	Dedup     bool          // drop ids accepted before [true]
	DedupTTL  time.Duration // processing time: how long ids are remembered [10m]
	Name      string        // the engine field of results ["streamtop"]
	// MaxSkew bounds how far ahead of its arrival an event's device time
	// may be and still move its partition's watermark [1m; 0 disables]:
	// one faulty device clock must not close every window for years
	// (SPEC §3, skew bound). Such a "future" event is still aggregated.
	MaxSkew time.Duration
	// MaxKeys caps the keys (window, device, category) the open windows
	// hold [1<<20; 0: no cap]. A key of a new device costs about 250 bytes
	// (its strings, number, sum and index entry; its id in the dedup set
	// on top), so the default bounds that state near 250 MB, where a
	// million new devices took 2 GB. Past it, an event of a new key is shed
	// (not aggregated, counted in Stats.Shed) and its window's results are
	// emitted marked incomplete; events of keys already open still count.
	MaxKeys int
}

// DefaultMaxKeys is MaxKeys' default: about a million open keys.
const DefaultMaxKeys = 1 << 20

// DefaultConfig returns SPEC §3's defaults.
func DefaultConfig() Config {
	return Config{
		Mode:      EventTime,
		Window:    5 * time.Second,
		Watermark: time.Second,
		Idle:      6 * time.Second,
		Lateness:  0,
		Dedup:     true,
		DedupTTL:  10 * time.Minute,
		Name:      "streamtop",
		MaxSkew:   time.Minute,
		MaxKeys:   DefaultMaxKeys,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Mode > MicroBatch:
		return fmt.Errorf("engine: %w", ErrBadMode)
	case c.Window < time.Millisecond || c.Window%time.Millisecond != 0:
		return fmt.Errorf("engine: window %v must be a positive whole number of milliseconds", c.Window)
	case c.Watermark < 0:
		return fmt.Errorf("engine: watermark lag %v must not be negative", c.Watermark)
	case c.Idle < time.Millisecond:
		return fmt.Errorf("engine: idle timeout %v must be at least 1ms", c.Idle)
	case c.Lateness < 0:
		return fmt.Errorf("engine: lateness %v must not be negative", c.Lateness)
	case c.DedupTTL < time.Millisecond:
		return fmt.Errorf("engine: dedup ttl %v must be at least 1ms", c.DedupTTL)
	case c.MaxSkew < 0 || (c.MaxSkew > 0 && c.MaxSkew < time.Millisecond):
		return fmt.Errorf("engine: max skew %v must be 0 (no bound) or at least 1ms", c.MaxSkew)
	case c.MaxKeys < 0:
		return fmt.Errorf("engine: max keys %d must not be negative (0: no cap)", c.MaxKeys)
	case c.Name == "":
		return errors.New("engine: name must not be empty")
	}
	return nil
}

// Outcome says what Ingest did with an event.
type Outcome uint8

const (
	Accepted  Outcome = iota // counted in a window
	Duplicate                // its id was accepted before; dropped
	Late                     // its window had closed; dropped (side output)
	Shed                     // its key was new past MaxKeys; dropped, its window reported incomplete
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Duplicate:
		return "duplicate"
	case Late:
		return "late"
	case Shed:
		return "shed"
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// None is the watermark (and time) before anything is known.
const None = math.MinInt64

// Stats are the engine's counters and clocks.
type Stats struct {
	Mode        Mode
	Accepted    int64
	Duplicates  int64
	Late        int64
	Future      int64 // events more than MaxSkew ahead of their arrival (aggregated; the watermark ignores them)
	Shed        int64 // events of new keys dropped past MaxKeys
	Emitted     int64
	OpenWindows int
	OpenKeys    int
	DedupIDs    int   // ids remembered for dedup
	Watermark   int64 // None until known
	Now         int64 // None until the first arrival
	Partitions  int
	Idle        int // partitions currently idle
}
