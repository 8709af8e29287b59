package enginerun

import "github.com/streamtop/streamtop/feed/kafka"

// commits is what a group member commits: for every owned partition, the
// offset of the earliest event still in an open window (re-reading from
// there rebuilds every open window; what is before it is final downstream),
// with the closed horizon as metadata. floors are the horizons previous
// owners committed: a window they closed is never emitted again.
type commits struct {
	minOpen map[int32]map[int64]int64 // partition → window end → earliest offset in it
	floors  map[int32]kafka.Floor
	// last is, by partition, the window opened last recorded and its
	// earliest offset then: an event of that window at or after that offset
	// changes nothing, so it needs no map lookups (most events go to their
	// partition's newest window). Forgotten whenever minOpen loses entries.
	last []lastOpened
}

type lastOpened struct {
	end, off int64
	ok       bool
}

func newCommits() *commits {
	return &commits{minOpen: map[int32]map[int64]int64{}, floors: map[int32]kafka.Floor{}}
}

// opened records that the event at offset off of partition p went into the
// window ending at end.
func (c *commits) opened(p int32, end, off int64) {
	if p >= 0 && int(p) < len(c.last) {
		if l := c.last[p]; l.ok && l.end == end && off >= l.off {
			return
		}
	}
	m := c.minOpen[p]
	if m == nil {
		m = map[int64]int64{}
		c.minOpen[p] = m
	}
	o, ok := m[end]
	if !ok || off < o {
		m[end], o = off, off
	}
	if p >= 0 && p < maxLastOpened {
		for int(p) >= len(c.last) {
			c.last = append(c.last, lastOpened{})
		}
		c.last[p] = lastOpened{end: end, off: o, ok: true}
	}
}

// maxLastOpened bounds the partitions opened remembers its last window for.
const maxLastOpened = 1 << 12

// newRun forgets the open windows (the floors stay: they name their run).
func (c *commits) newRun() { clear(c.minOpen); clear(c.last) }

// floor returns the horizon a previous owner of p closed in run tag.
func (c *commits) floor(p int32, tag string) (int64, bool) {
	f, ok := c.floors[p]
	if !ok || f.Tag != tag {
		return 0, false
	}
	return f.Closed, true
}

// setFloors takes the floors read from the group's commits.
func (c *commits) setFloors(fs map[int32]kafka.Floor) {
	for p, f := range fs {
		c.floors[p] = f
	}
}

// offsets returns the commits of the owned partitions read since their
// assignment, for run tag with closed horizon closed. Windows ending at or
// before closed are forgotten: they are final.
func (c *commits) offsets(ps partitions, closed int64, tag string) []kafka.Commit {
	var out []kafka.Commit
	for _, p := range ps {
		if !p.owned || !p.read {
			// Nothing read since it was assigned: the commit (and the
			// horizon in its metadata) of the previous owner stands.
			continue
		}
		pc := closed
		if f, ok := c.floor(p.id, tag); ok {
			pc = max(pc, f) // never forget what a previous owner closed
		}
		off := p.next
		if p.queue.len() > 0 {
			off = min(off, p.queue.front().offset) // read but not yet merged in
		}
		for end, o := range c.minOpen[p.id] {
			if end <= closed {
				delete(c.minOpen[p.id], end)
				clear(c.last)
			} else {
				off = min(off, o)
			}
		}
		out = append(out, kafka.Commit{Partition: p.id, Offset: off, Metadata: kafka.CommitMeta(tag, pc)})
	}
	return out
}
