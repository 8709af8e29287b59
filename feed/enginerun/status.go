package enginerun

import (
	"math"
	"strings"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// recentLate is how many late events a status lists.
const recentLate = 50

// statusBook keeps the counters an EngineStatus shows, and the rates.
type statusBook struct {
	st          bus.EngineStatus
	recent      []bus.LateEvent
	recentNext  int // the oldest in recent once it is full
	rateMark    time.Time
	rateEvents  int64
	rateResults int64
	// What was last said in the log, so a repeated problem is said once.
	lastMalformed string
	lastSinkErr   string
	unreachable   bool // the broker could not be reached at the last look
	// carried are the event counts of engines this run discarded at a
	// rebalance: the run's counts go on across it, as Consumed does.
	carried engine.Stats
}

// carry adds a discarded engine's event counts to the run's.
func (b *statusBook) carry(s engine.Stats) {
	c := &b.carried
	c.Accepted += s.Accepted
	c.Duplicates += s.Duplicates
	c.Late += s.Late
	c.Future += s.Future
	c.Shed += s.Shed
	c.Emitted += s.Emitted
}

// late records a late event (the engine's side output), over the oldest
// when recentLate are kept: recent is a ring from recentNext.
func (b *statusBook) late(ev *engine.Event, window, arrival, wm int64) {
	// The id is cloned: the decoder packs ids in shared blocks.
	le := bus.LateEvent{ID: strings.Clone(ev.ID), Device: ev.Device, Category: ev.Category, M1: ev.M1,
		Time: ev.Time, WindowEnd: engine.WindowEnd(ev.Time, window), Arrival: arrival, Watermark: wm}
	if len(b.recent) < recentLate {
		b.recent = append(b.recent, le)
		return
	}
	b.recent[b.recentNext] = le
	b.recentNext = (b.recentNext + 1) % recentLate
}

// newRun starts the counters of run n afresh.
func (b *statusBook) newRun(n int) {
	b.st = bus.EngineStatus{Run: n}
	b.recent, b.recentNext = nil, 0
	b.carried = engine.Stats{}
}

// snapshot returns the status at now.
func (b *statusBook) snapshot(now time.Time, run int, tag string, eng *engine.Engine, finished bool, ps partitions) *bus.EngineStatus {
	if b.rateMark.IsZero() {
		b.rateMark = now
	}
	if d := now.Sub(b.rateMark); d >= time.Second {
		b.st.EventRate = float64(b.rateEvents) / d.Seconds()
		b.st.ResultRate = float64(b.rateResults) / d.Seconds()
		b.rateMark, b.rateEvents, b.rateResults = now, 0, 0
	}
	st := b.st
	st.Run, st.Tag = run, tag
	st.Config, st.Stats = eng.Config(), eng.Stats()
	c := &b.carried
	st.Stats.Accepted += c.Accepted
	st.Stats.Duplicates += c.Duplicates
	st.Stats.Late += c.Late
	st.Stats.Future += c.Future
	st.Stats.Shed += c.Shed
	st.Stats.Emitted += c.Emitted
	st.ClosedBefore = eng.ClosedBefore()
	if st.ClosedBefore == math.MaxInt64 {
		st.ClosedBefore = bus.Final
	}
	st.Finished = finished
	if len(b.recent) > 0 { // oldest first
		st.Recent = append(append(make([]bus.LateEvent, 0, len(b.recent)), b.recent[b.recentNext:]...), b.recent[:b.recentNext]...)
	}
	st.PartitionLag = make([]int64, len(ps))
	for i, p := range ps {
		lag := p.lag()
		if lag >= 0 {
			st.Lag += lag
		}
		st.PartitionLag[i] = lag
	}
	return &st
}
