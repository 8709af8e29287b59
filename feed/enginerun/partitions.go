package enginerun

import "github.com/streamtop/streamtop/engine"

// partition is what the runner knows of one partition of the events topic,
// as franz-go's cursor is for its consumer: where reading is, where the end
// is, and, for the merged read, what was read but not released yet.
type partition struct {
	id    int32
	owned bool
	read  bool  // a record was read since the partition was (re)assigned
	next  int64 // next offset to read
	end   int64 // highest end offset seen; -1 unknown
	endOK bool  // the last look at the end succeeded: an unreachable partition is not idle
	// atStart: the partition was there when the runner started. In one
	// process the injector marks every such partition, so the merged read
	// waits for their markers; one added later holds the merge back only
	// while it has unread records, until its first marker (SPEC §6).
	atStart bool
	queue   recordQueue // merge: read, not yet released
	bound   int64       // merge: every later record here has timestamp ≥ bound
	marked  bool        // merge: the partition carries clock markers
	done    bool        // the run's end marker was read
	paused  bool        // merge: not fetched while its queue is long
}

func newPartition(id int32, next int64, owned, atStart bool) *partition {
	return &partition{id: id, next: next, end: -1, bound: engine.None, owned: owned, atStart: atStart}
}

// sawEnd records an end offset, from a fetch's high watermark or a listing.
// Ends only grow: a listing answered before a fetch that read past it is
// stale, and taking it would make a partition with unread records look
// caught up, so idle, so the watermark would close its windows early.
func (p *partition) sawEnd(end int64) {
	p.end = max(p.end, end)
	p.endOK = true
}

// unreachable: the end could not be read; the partition is not idle.
func (p *partition) unreachable() { p.endOK = false }

// readAt moves the read position past offset off.
func (p *partition) readAt(off int64) { p.next, p.read = off+1, true }

// caughtUp: nothing is left to read, as far as is known.
func (p *partition) caughtUp() bool { return p.endOK && p.end >= 0 && p.next >= p.end }

// lag is how many records are not yet handed to the engine; -1 unknown.
func (p *partition) lag() int64 {
	if !p.owned || p.end < 0 {
		return -1
	}
	return max(p.end-p.next, 0) + int64(p.queue.len())
}

// restart forgets the read position: after a rebalance the partition is
// read again from the group's commit.
func (p *partition) restart() { p.next, p.end, p.endOK, p.read = 0, -1, false, false }

// newRun forgets what belonged to the previous run.
func (p *partition) newRun() { p.queue.reset(); p.bound, p.done, p.marked = engine.None, false, false }

// partitions are the events topic's partitions, by partition number.
type partitions []*partition

// owns reports whether any partition is owned.
func (ps partitions) owns() bool {
	for _, p := range ps {
		if p.owned {
			return true
		}
	}
	return false
}

// get returns partition id, or nil when it is not known.
func (ps partitions) get(id int32) *partition {
	if id < 0 || int(id) >= len(ps) {
		return nil
	}
	return ps[id]
}

// grow adds partitions up to n (read from their start) and returns the new ones.
func (ps *partitions) grow(n int32, owned bool) []*partition {
	var added []*partition
	for id := int32(len(*ps)); id < n; id++ {
		p := newPartition(id, 0, owned, false)
		*ps = append(*ps, p)
		added = append(added, p)
	}
	return added
}

// allDone reports whether every owned partition has ended and been released.
func (ps partitions) allDone() bool {
	for _, p := range ps {
		if p.owned && (!p.done || p.queue.len() > 0) {
			return false
		}
	}
	return true
}
