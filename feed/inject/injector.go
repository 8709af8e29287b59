package inject

import (
	"sync"
	"sync/atomic"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/sim"
)

// Injector is the injector role: simulated devices (or a replayed file)
// producing events to Kafka, keeping their truth and publishing it on the
// bus for comparators.
type Injector struct {
	cfg  Config
	deps Deps

	stopRun  atomic.Int64 // run+1 whose input must end; 0 none
	finished chan struct{}
	finOnce  sync.Once
	stop     chan struct{} // wakes runOnce after Stop
	failed   atomic.Int64
	lastErr  atomic.Pointer[string]
	produced atomic.Int64 // records handed to the client, markers included
	// recordClosed: the recorder was closed after the first run (touched
	// by Run's goroutine only).
	recordClosed bool
}

// Stop ends run's input as if it were exhausted: what was generated is
// flushed, end markers are written and the truth is declared final. Run then
// waits for a reset or its context. Stopping a run that is over does nothing.
func (in *Injector) Stop(run int) {
	in.stopRun.Store(int64(run) + 1)
	select {
	case in.stop <- struct{}{}:
	default:
	}
}

// Finished is closed when the first run's input has ended: every event
// flushed, the end markers written, the final truth published.
func (in *Injector) Finished() <-chan struct{} { return in.finished }

func (in *Injector) stopped(run int) bool { return in.stopRun.Load() == int64(run)+1 }

// Produced counts the records handed to the Kafka client, markers
// included: safe to call from any goroutine.
func (in *Injector) Produced() int64 { return in.produced.Load() }

func (in *Injector) log(l bus.Level, text string) {
	in.deps.Bus.Publish(bus.LogEntry{Time: in.deps.Now(), Level: l, Role: "injector", Text: text})
}

// source is what the injector sends: a generator or a replay.
type source interface {
	peek() (int64, bool)
	next() (sim.Sent, bool)
}

type genSource struct{ g *sim.Generator }

func (s genSource) peek() (int64, bool)    { return s.g.Peek() }
func (s genSource) next() (sim.Sent, bool) { return s.g.Next() }

type replaySource struct {
	r      *sim.Replay
	buf    sim.Sent
	hasBuf bool
}

func (s *replaySource) peek() (int64, bool) {
	if !s.hasBuf {
		s.buf, s.hasBuf = s.r.Next()
	}
	return s.buf.Send, s.hasBuf
}

func (s *replaySource) next() (sim.Sent, bool) {
	if _, ok := s.peek(); !ok {
		return sim.Sent{}, false
	}
	s.hasBuf = false
	return s.buf, true
}
