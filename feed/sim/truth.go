package sim

import (
	"fmt"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// Truth is the injector's own version of the result (SPEC §2): windowed
// sums over every distinct event id, counted at its first send, by device
// time (the reference) and by send time.
type Truth struct {
	win    int64
	device map[engine.Key]engine.Agg
	send   map[engine.Key]engine.Agg
	seen   map[string]struct{} // ids counted; nil when the source marks repeats itself
	// Counted over the whole run, evicted keys included.
	devKeys, sendKeys, differ int
}

// NewTruth returns an empty truth for windows of size w. With trackIDs the
// truth recognises repeats by id (a replayed file); without, it trusts
// Sent.Kind (the generator knows its repeats).
func NewTruth(w time.Duration, trackIDs bool) (*Truth, error) {
	if w < time.Millisecond {
		return nil, fmt.Errorf("truth: window %v must be at least 1ms", w)
	}
	t := &Truth{win: w.Milliseconds(), device: make(map[engine.Key]engine.Agg), send: make(map[engine.Key]engine.Agg)}
	if trackIDs {
		t.seen = make(map[string]struct{})
	}
	return t, nil
}

// Add counts s if it is the first send of its id, and returns the two keys
// it counted at.
func (t *Truth) Add(s Sent) (byDevice, bySend engine.Key, counted bool) {
	if t.seen != nil {
		if _, dup := t.seen[s.Event.ID]; dup {
			return byDevice, bySend, false
		}
		t.seen[s.Event.ID] = struct{}{}
	} else if s.Kind != Original {
		return byDevice, bySend, false
	}
	ev := s.Event
	byDevice = engine.Key{Device: ev.Device, Category: ev.Category, WindowEnd: engine.WindowEnd(ev.Time, t.win)}
	bySend = engine.Key{Device: ev.Device, Category: ev.Category, WindowEnd: engine.WindowEnd(s.Send, t.win)}
	before := t.differs(byDevice)
	if bySend != byDevice {
		before += t.differs(bySend)
	}
	a, ok := t.device[byDevice]
	if !ok {
		t.devKeys++
	}
	a.Add(ev.M1, ev.M2)
	t.device[byDevice] = a
	a, ok = t.send[bySend]
	if !ok {
		t.sendKeys++
	}
	a.Add(ev.M1, ev.M2)
	t.send[bySend] = a
	after := t.differs(byDevice)
	if bySend != byDevice {
		after += t.differs(bySend)
	}
	t.differ += after - before
	return byDevice, bySend, true
}

func (t *Truth) differs(k engine.Key) int {
	if t.device[k] != t.send[k] {
		return 1
	}
	return 0
}

// ByDevice is the device-time truth. The map is the Truth's own: read only.
func (t *Truth) ByDevice() map[engine.Key]engine.Agg { return t.device }

// BySend is the send-time truth. The map is the Truth's own: read only.
func (t *Truth) BySend() map[engine.Key]engine.Agg { return t.send }

// Differ is how many keys the two truths disagree on (evicted ones as they
// were when evicted).
func (t *Truth) Differ() int { return t.differ }

// DeviceKeys and SendKeys count the keys of each truth, evicted ones too.
func (t *Truth) DeviceKeys() int { return t.devKeys }

// SendKeys: see DeviceKeys.
func (t *Truth) SendKeys() int { return t.sendKeys }

// Evict forgets keys whose window ends at or before `before` (an unbounded
// run keeps only recent windows in memory; the comparator has its own
// copy). Call it behind the horizon: those keys get no more events, and
// stay counted.
func (t *Truth) Evict(before int64) {
	for _, m := range []map[engine.Key]engine.Agg{t.device, t.send} {
		for k := range m {
			if k.WindowEnd <= before {
				delete(t.device, k)
				delete(t.send, k)
			}
		}
	}
}
