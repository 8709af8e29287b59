package peerrun

import "sync/atomic"

// position counts how many records of the events topic a peer has read
// since the session began, from the offsets its group commits: a peer
// restarted for run n reads from n's start, so every earlier record counts
// as read, and a partition it has not committed yet counts up to there.
// Pure: the dock feeds it offsets.
type position struct {
	session map[int32]int64 // where the session began
	start   map[int32]int64 // where the current run began
	read    atomic.Int64
	off     atomic.Bool // the peer does not run: it holds nobody back
}

// newRun takes run start offsets; the first run's are the session's.
func (p *position) newRun(start map[int32]int64) {
	if p.session == nil {
		p.session = start
	}
	p.start = start
	p.update(nil)
}

// update takes the committed offsets of the peer's group (absent or
// behind the run's start: the run's start).
func (p *position) update(committed map[int32]int64) {
	var n int64
	for part, s := range p.start {
		at := max(s, committed[part])
		n += at - p.session[part] // a partition added since: its session start is 0
	}
	p.read.Store(n)
}

// Read is the count, safe from any goroutine.
func (p *position) Read() int64 { return p.read.Load() }
