package judge

import (
	"slices"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// latencies measures how long after an event was sent the result that
// includes it was written: for each result, its record's timestamp less the
// send time of the newest event of its key sent before it. Only under the
// real clock do both sides share a clock; a gap outside [0, maxLatency] (a
// virtual clock's send times, a replay) is not a latency and is skipped.
type latencies struct {
	window int64                // ms
	last   map[engine.Key]int64 // send time of each key's newest event
	ring   [1024]int64          // the latest samples, ms
	n      int                  // samples taken
}

// maxLatency bounds what is taken for a latency.
const maxLatency = 10 * 60 * 1000

func newLatencies(window time.Duration) *latencies {
	return &latencies{window: max(window.Milliseconds(), 1), last: map[engine.Key]int64{}}
}

// sent books an event sent at send (ms).
func (l *latencies) sent(ev *engine.Event, send int64) {
	k := engine.Key{Device: ev.Device, Category: ev.Category, WindowEnd: engine.WindowEnd(ev.Time, l.window)}
	if send > l.last[k] {
		l.last[k] = send
	}
}

// result books a result for k written at at (ms).
func (l *latencies) result(k engine.Key, at int64) {
	s, ok := l.last[k]
	if !ok || at < s || at-s > maxLatency {
		return
	}
	l.ring[l.n%len(l.ring)] = at - s
	l.n++
}

// forget drops the keys of windows ending before end (settled, evicted).
func (l *latencies) forget(end int64) {
	for k := range l.last {
		if k.WindowEnd < end {
			delete(l.last, k)
		}
	}
}

// quantiles are the median and 99th percentile of the latest samples.
func (l *latencies) quantiles() (p50, p99 time.Duration, n int) {
	n = min(l.n, len(l.ring))
	if n == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(l.ring[:n])
	slices.Sort(s)
	at := func(q float64) time.Duration { return time.Duration(s[int(q*float64(n-1))]) * time.Millisecond }
	return at(0.5), at(0.99), l.n
}
