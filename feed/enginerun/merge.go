package enginerun

import (
	"math"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// record is one record of the events topic, as the merged read and the
// decoder need it (the loop copies it out of the Kafka client's record).
type record struct {
	part   int32
	offset int64
	ts     int64 // the record's timestamp, ms
	key    []byte
	value  []byte
	src    *kgo.Record // the client's record: recycled once done with (nil in tests)
}

// recycle gives the client's record (and its share of the client's pooled
// slices) back: key and value must not be used after it.
func (r *record) recycle() {
	if r.src != nil {
		r.src.Recycle()
		r.src = nil
	}
}

// queuedEvent is a record of the merged read waiting for its turn: decoded
// when read (its bytes are still in cache then, and the client's record
// goes back at once), handed to the engine when released.
type queuedEvent struct {
	part   int32
	offset int64
	ts     int64  // the record's timestamp, ms
	key    string // the record's key: nearly always the event's device, shared
	ev     engine.Event
	err    error // the value did not decode: counted when released
}

// queueEvent decodes rec for the merged read.
func queueEvent(dec *engine.Decoder, rec *record) queuedEvent {
	ev, err := dec.Decode(rec.value)
	key := ev.Device // the injector keys events by device: no copy
	if string(rec.key) != key {
		key = string(rec.key)
	}
	return queuedEvent{part: rec.part, offset: rec.offset, ts: rec.ts, key: key, ev: ev, err: err}
}

// before is the merged read's order: timestamp, then key, then partition,
// as batch engines read partitions (SPEC §3).
func before(a, b *queuedEvent) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if a.key != b.key {
		return a.key < b.key
	}
	return a.part < b.part
}

// merger releases the queued records of the owned partitions in merged
// order, as far as every partition's bound allows: a partition with
// nothing queued may still deliver an earlier record unless its clock
// marker (bound) says otherwise.
type merger struct {
	// noMarkers: a group member gave up waiting for clock markers (another
	// producer writes the topic): partitions that never had one hold the
	// merge back only while they have unread records.
	noMarkers   bool
	anyMarked   bool      // a clock marker was read since the run started
	queuedSince time.Time // when a record was first queued
}

// queued notes that a record was queued at now.
func (m *merger) queued(now time.Time) {
	if m.queuedSince.IsZero() {
		m.queuedSince = now
	}
}

// giveUp reports whether to stop waiting for clock markers that do not
// come (NoMarkersAfter since the first record was queued, none seen), and
// if so stops waiting.
func (m *merger) giveUp(now time.Time) bool {
	if m.anyMarked || m.noMarkers || m.queuedSince.IsZero() || now.Sub(m.queuedSince) < NoMarkersAfter {
		return false
	}
	m.noMarkers = true
	return true
}

// newRun forgets the previous run's markers.
func (m *merger) newRun() { *m = merger{} }

// next returns the partition whose head record goes next, or nil when the
// merge must wait (or nothing is queued).
func (m *merger) next(ps partitions) *partition {
	p, _ := m.nextRun(ps)
	return p
}

// nextRun is next, with the run limit of the partition it returns: how far
// that partition's records may go without asking again.
func (m *merger) nextRun(ps partitions) (*partition, runLimit) {
	var best, second *partition // by their heads, in merged order
	for _, p := range ps {
		switch {
		case !p.owned || p.queue.len() == 0:
		case best == nil || before(p.queue.front(), best.queue.front()):
			best, second = p, best
		case second == nil || before(p.queue.front(), second.queue.front()):
			second = p
		}
	}
	if best == nil {
		return nil, runLimit{}
	}
	l := runLimit{hold: math.MaxInt64, othersTs: math.MaxInt64}
	if second != nil {
		l.head = second.queue.front()
		l.othersTs = l.head.ts
	}
	ts := best.queue.front().ts
	for _, p := range ps {
		if p.owned && p.queue.len() == 0 && m.mayHoldEarlier(p) {
			if p.bound <= ts {
				return nil, runLimit{} // p may still deliver an earlier (or tied) record
			}
			l.hold = min(l.hold, p.bound)
		}
	}
	return best, l
}

// mayHoldEarlier reports whether an empty partition may still deliver a
// record older than what the merge would release. A marked partition may,
// below its bound. In one process the injector marks every partition there
// at the start, so the merge waits for them (the run is deterministic). A
// partition never marked — added during the run, or in a group whose
// producer writes no markers — holds the merge back only while it has
// unread records (SPEC §6).
func (m *merger) mayHoldEarlier(p *partition) bool {
	if p.marked || (p.atStart && !m.noMarkers) {
		return true
	}
	return !p.caughtUp()
}

// pop removes p's head record and sets every owned partition's caught-up
// flag for it, deterministically: a partition is caught up when nothing at
// or before this record's time is left in its queue.
func pop(ps partitions, p *partition, setCaughtUp func(int32, bool)) queuedEvent {
	head := p.queue.pop()
	caughtUpAt(ps, head.ts, setCaughtUp)
	return head
}

// caughtUpAt sets every owned partition's caught-up flag for a record of
// time ts just popped.
func caughtUpAt(ps partitions, ts int64, setCaughtUp func(int32, bool)) {
	for _, q := range ps {
		if q.owned {
			setCaughtUp(q.id, q.queue.len() == 0 || q.queue.front().ts > ts)
		}
	}
}

// runLimit is how far the records of the partition next chose may go
// without asking next again: while its head goes before every other
// partition's (head, the first of them) and before the bound of every empty
// partition that may hold earlier records (hold). The other queues do not
// change while they go. othersTs is the earliest time at the other heads.
// (The second partition in merged order has the first other head: its
// time is the earliest, as the order is by time first.)
type runLimit struct {
	head     *queuedEvent
	hold     int64
	othersTs int64
}

// allows reports whether next would choose e, the new head of the run's
// partition (the conditions next checks, with the other queues as they were).
func (l *runLimit) allows(e *queuedEvent) bool {
	return (l.head == nil || before(e, l.head)) && e.ts < l.hold
}

// recordQueue holds a partition's records read but not released yet, in
// read order. Its space is reused: popping by reslicing the front away made
// nearly every append reallocate (and copy) the whole queue.
type recordQueue struct {
	recs []queuedEvent
	head int // recs[head:] are queued
}

// maxKeptQueue is the capacity (records) an emptied queue keeps.
const maxKeptQueue = 1 << 17

func (q *recordQueue) len() int { return len(q.recs) - q.head }

// front is the oldest record queued; the queue must not be empty.
func (q *recordQueue) front() *queuedEvent { return &q.recs[q.head] }

// push queues r, sliding the queued records to the front first when the
// popped half of the space can take the next ones.
func (q *recordQueue) push(r queuedEvent) {
	if len(q.recs) == cap(q.recs) && q.head >= len(q.recs)/2 && q.head > 0 {
		n := copy(q.recs, q.recs[q.head:])
		clear(q.recs[n:])
		q.recs, q.head = q.recs[:n], 0
	}
	q.recs = append(q.recs, r)
}

// pop removes and returns the oldest record; the queue must not be empty.
func (q *recordQueue) pop() queuedEvent {
	r := q.recs[q.head]
	q.recs[q.head] = queuedEvent{} // let its strings go
	q.head++
	if q.head == len(q.recs) {
		q.recs, q.head = q.recs[:0], 0
		if cap(q.recs) > maxKeptQueue {
			q.recs = nil // a burst's space is not kept
		}
	}
	return r
}

// reset empties the queue and lets its space go.
func (q *recordQueue) reset() { *q = recordQueue{} }
