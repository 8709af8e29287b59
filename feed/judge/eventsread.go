package judge

import (
	"context"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"
)

// eventsRead tracks how far a distributed judge has read the events topic:
// its final verdict waits until every event written before the truth was
// done has been read, or its causes would miss their evidence (the events
// topic is far larger than the results topic, so it is read last).
type eventsRead struct {
	next    map[int32]int64 // next offset to read, per partition
	snap    map[int32]int64 // end offsets listed at snapAt; nil: none pending
	snapAt  time.Time
	lastTry time.Time
	broken  bool // a partition was lost: waiting would never end
}

// brokenAt is what a judge is told when the events topic cannot be read to
// its end: nothing to wait for.
var brokenAt = time.Unix(1<<40, 0)

// readUpTo reports, in db.EventsReadAt, the latest instant before which
// every event written has been read, when it moved: it lists the events
// topic's end offsets at most once a second and reports once the reader
// has passed them.
func (k *KafkaDown) readUpTo(ctx context.Context, db *DownBatch) {
	r := &k.evRead
	if r.broken {
		db.EventsReadAt = brokenAt
		return
	}
	if r.snap != nil && k.reached(r.snap) {
		db.EventsReadAt, r.snap = r.snapAt, nil
	}
	if r.snap != nil || time.Since(r.lastTry) < time.Second {
		return
	}
	at := time.Now()
	r.lastTry = at
	ends, err := kafka.EndOffsets(ctx, k.adm, k.cfg.Events)
	if err != nil {
		return // tried again in a second
	}
	r.snap, r.snapAt = ends, at
	if k.reached(ends) {
		db.EventsReadAt, r.snap = at, nil
	}
}

// reached reports whether every partition has been read up to ends.
func (k *KafkaDown) reached(ends map[int32]int64) bool {
	for p, end := range ends {
		pos, ok := k.evRead.next[p]
		if !ok {
			pos = k.evStart[p]
		}
		if pos < end {
			return false
		}
	}
	return true
}
