package bus

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Bus is the in-process event bus every role publishes to. It has two kinds
// of subscriber:
//
//   - a Sub (Subscribe) receives every message in order and applies
//     back-pressure: the pipeline's consumers never lose anything;
//   - a Latest (Watch) keeps only the newest status of each kind plus a
//     bounded log, so a slow screen never slows the pipeline; what it
//     coalesces or drops is counted.
//
// Messages must not be modified after they are published.
type Bus struct {
	mu      sync.Mutex
	subs    []*Sub
	watches []*Latest
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{} }

// Sub is a lossless, ordered subscription.
type Sub struct {
	c      chan any
	accept func(any) bool
	done   chan struct{}
	once   sync.Once
}

// C is the subscription's channel.
func (s *Sub) C() <-chan any { return s.c }

// Subscribe returns a lossless subscription to the messages accept takes
// (all if accept is nil), buffered by buf. Publishers block while it is full,
// so its reader must keep reading until it calls Unsubscribe.
func (b *Bus) Subscribe(buf int, accept func(any) bool) *Sub {
	s := &Sub{c: make(chan any, max(buf, 1)), accept: accept, done: make(chan struct{})}
	b.mu.Lock()
	b.subs = append(slices.Clone(b.subs), s)
	b.mu.Unlock()
	return s
}

// Unsubscribe stops deliveries to s; a publisher blocked on it is released.
func (b *Bus) Unsubscribe(s *Sub) {
	s.once.Do(func() { close(s.done) })
	b.mu.Lock()
	// Copy on write: a Publish in flight keeps iterating the old slice.
	b.subs = slices.DeleteFunc(slices.Clone(b.subs), func(t *Sub) bool { return t == s })
	b.mu.Unlock()
}

// Watch returns a coalescing subscription for a screen.
func (b *Bus) Watch() *Latest {
	l := &Latest{}
	b.mu.Lock()
	b.watches = append(slices.Clone(b.watches), l)
	b.mu.Unlock()
	return l
}

// Publish delivers msg to every subscriber: in order to each Sub (blocking
// while one is full), and as the newest value to each Latest (never blocking).
func (b *Bus) Publish(msg any) {
	b.mu.Lock()
	subs := b.subs
	watches := b.watches
	b.mu.Unlock()
	for _, l := range watches {
		l.put(msg)
	}
	for _, s := range subs {
		if s.accept != nil && !s.accept(msg) {
			continue
		}
		select {
		case s.c <- msg:
		case <-s.done:
		}
	}
}

// MaxLogs is how many log entries a Latest keeps.
const MaxLogs = 200

// Latest holds the newest status of each kind for a screen.
type Latest struct {
	mu        sync.Mutex
	snap      Snapshot
	unread    uint8 // bit per status kind: replaced since the last Snapshot
	coalesced atomic.Int64
}

// Snapshot is what a screen draws from: the newest status of each role.
// Any pointer may be nil until its role has published.
type Snapshot struct {
	Injector *InjectorStatus
	Engine   *EngineStatus
	Compare  *CompareStatus
	Rates    *RateStatus
	Run      *RunStatus
	Peers    map[string]*PeerStatus // by name; the map is replaced, never changed
	// PeerCompares are the peers' verdicts (CompareStatus.Engine ≠ ""), by
	// peer name; Compare is our engine's. Replaced, never changed.
	PeerCompares map[string]*CompareStatus
	Logs         []LogEntry // oldest first, at most MaxLogs
	LogsLost     int64      // log entries dropped for space
	Coalesced    int64      // statuses replaced before the screen read them
	Seq          uint64     // increases with every message received
}

func (l *Latest) put(msg any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var bit uint8
	switch m := msg.(type) {
	case *InjectorStatus:
		bit, l.snap.Injector = 1, m
	case *EngineStatus:
		bit, l.snap.Engine = 2, m
	case *CompareStatus:
		if m.Engine != "" {
			bit, l.snap.PeerCompares = 64, withEntry(l.snap.PeerCompares, m.Engine, m)
			break
		}
		bit, l.snap.Compare = 4, m
	case *RateStatus:
		bit, l.snap.Rates = 8, m
	case *RunStatus:
		bit, l.snap.Run = 16, m
	case *PeerStatus:
		bit, l.snap.Peers = 32, withEntry(l.snap.Peers, m.Name, m)
	case LogEntry:
		if len(l.snap.Logs) >= MaxLogs {
			n := copy(l.snap.Logs, l.snap.Logs[1:])
			l.snap.Logs = l.snap.Logs[:n]
			l.snap.LogsLost++
		}
		l.snap.Logs = append(l.snap.Logs, m)
	default:
		return
	}
	l.snap.Seq++
	if l.unread&bit != 0 {
		l.coalesced.Add(1)
	}
	l.unread |= bit
}

// Snapshot returns a copy of the newest statuses, as the screen reads them:
// what is replaced after this read without being read counts as coalesced.
// Statuses are shared read-only; the log slice is copied.
func (l *Latest) Snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unread = 0
	return l.copyLocked()
}

// Peek is Snapshot for readers other than the screen: it leaves the
// coalescing count alone.
func (l *Latest) Peek() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.copyLocked()
}

func (l *Latest) copyLocked() Snapshot {
	s := l.snap
	s.Logs = append([]LogEntry(nil), l.snap.Logs...)
	s.Coalesced = l.coalesced.Load()
	return s
}

// withEntry is a copy of m with k set to v: a snapshot's maps are shared
// with the screen, so they are replaced, never changed.
func withEntry[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}
