package judge

import (
	"sync"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
)

// Judge runs the comparator: truth from a TruthSource, results from a
// DownSource, the verdict published on the bus.
type Judge struct {
	cfg  Config
	deps Deps

	run       int
	tag       string
	left      map[string]bool // tags a distributed judge has left: never taken again
	dev, send *compare.Comparator
	progress  [][]int64 // [events partition][stream] closed horizon
	sawMarks  bool
	maxEnd    int64 // the latest window end a result named (a peer's settling)
	rate      rateMeter
	lat       *latencies
	horizon   int64
	clock     int64
	truthDone bool
	// A judge reading the events topic waits, before its final verdict,
	// until the events written before the truth was done are read.
	truthDoneAt  time.Time // wall clock
	eventsReadAt time.Time // wall clock
	lost         string    // why the input is gone, if it is
	lastResult   int64     // ms of deps.Now when the last result came
	st           bus.CompareStatus
	dirty        bool
	lastMalf     string
	lastStatus   int64 // ms
	lastEvict    int64 // ms

	mu    sync.Mutex
	done  chan struct{}
	final *bus.CompareStatus
	last  *bus.CompareStatus
}

// LiveRows is how many exception rows a live status carries (the latest
// windows); the final verdict carries them all.
const LiveRows = 2000

// now is the judge's clock in ms.
func (j *Judge) now() int64 { return j.deps.Now().UnixMilli() }

// reset starts judging run (tag: the run's tag when distributed).
func (j *Judge) reset(run int, tag string) {
	// The options were validated by New: compare.New cannot fail here.
	j.dev, _ = compare.New(j.cfg.Options)
	j.send, _ = compare.New(j.cfg.Options)
	j.lat = newLatencies(j.cfg.Options.Window)
	j.dev.SetDownstream(j.downstreamSettings())
	if j.tag != "" && j.tag != tag {
		j.left[j.tag] = true
	}
	j.run, j.tag = run, tag
	if j.cfg.Session != "" {
		j.tag = bus.RunTag(j.cfg.Session, run)
	}
	j.horizon, j.clock, j.truthDone, j.sawMarks, j.maxEnd = engine.None, engine.None, false, false, engine.None
	j.truthDoneAt = time.Time{}
	for _, row := range j.progress {
		for i := range row {
			row[i] = engine.None
		}
	}
	foreign := j.st.Foreign // counted over the judge's life: a forger is not forgotten by a reset
	j.st = bus.CompareStatus{Run: run, Downstream: j.cfg.Downstream, Foreign: foreign, Err: j.lost}
	j.dirty = true
	j.mu.Lock()
	j.done, j.final = make(chan struct{}), nil
	j.mu.Unlock()
}

// Last returns the newest verdict published (final or not), or nil.
func (j *Judge) Last() *bus.CompareStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}

// Label is how the downstream is called.
func (j *Judge) Label() string { return j.cfg.Downstream }

// Done is closed once the current run's judging is over: a final verdict,
// or a status saying why there is none (see Final).
func (j *Judge) Done() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done
}

// Final returns the current run's last word, or nil before it: the final
// verdict, or, when the input was lost, a status with Final false and Err
// saying so.
func (j *Judge) Final() *bus.CompareStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.final
}

// follow moves the judge to the injector's run (run, tag) when a batch of
// it comes, and reports whether the batch is to be judged: not when it is
// an old run's, or a run a distributed judge has left.
func (j *Judge) follow(run int, tag string) bool {
	if run != j.run || (j.cfg.Session == "" && tag != j.tag) {
		if run < j.run && j.cfg.Session != "" {
			return false // an old run's
		}
		if j.cfg.Session == "" && j.left[tag] {
			return false // a distributed judge never goes back to a run it left
		}
		j.reset(run, tag)
	}
	return true
}

func (j *Judge) addTruth(tb *bus.TruthBatch) {
	if !j.follow(tb.Run, tb.Tag) {
		return
	}
	for _, v := range tb.ByDevice {
		j.dev.SetTruth(v.Key, v.Agg)
	}
	for _, v := range tb.BySend {
		j.send.SetTruth(v.Key, v.Agg)
	}
	j.horizon = max(j.horizon, tb.Horizon)
	j.clock = max(j.clock, tb.Clock)
	if tb.Done && !j.truthDone {
		j.truthDoneAt = time.Now()
	}
	j.truthDone = j.truthDone || tb.Done
	j.dirty = true
}

// mine reports whether a downstream record of run tag (verified by the
// source; "" for external data) belongs to the run being judged.
//
// A record never moves the judge by itself (SPEC §6): in one process, a
// newer run of the session is taken only when the controls are already
// on it (the new run's first results are then not dropped); a distributed
// judge follows its truth. Anything else is foreign: counted, not judged.
func (j *Judge) mine(tag string) bool {
	if tag == "" || tag == j.tag {
		return true
	}
	if j.cfg.Session != "" && j.deps.Controls != nil {
		n, ok := bus.RunOf(tag, j.cfg.Session)
		if ok && n > j.run && j.deps.Controls.Load().Run == n {
			j.reset(n, "")
			return true
		}
	}
	j.st.Foreign++
	j.dirty = true
	return false
}

func (j *Judge) addDown(db DownBatch) {
	if db.Malformed > 0 {
		j.st.Malformed += db.Malformed
		if db.Problem != j.lastMalf {
			j.lastMalf = db.Problem
			j.log(bus.Warn, db.Problem)
		}
	}
	if db.Foreign > 0 {
		j.st.Foreign += db.Foreign
		j.dirty = true
	}
	if db.Lost != "" && j.lost == "" {
		j.lost = "input lost: " + db.Lost + "; no verdict"
		j.st.Err = j.lost
		j.log(bus.Error, j.lost)
		j.dirty = true
	}
	for _, m := range db.Progress {
		if (m.Tag == "" && j.tag != "") || !j.mine(m.Tag) {
			continue // progress says nothing about a run it does not name
		}
		j.sawMarks = true
		j.addProgress(m)
		j.dirty = true
	}
	j.addTaggedSent(db.Sent)
	if db.EventsReadAt.After(j.eventsReadAt) {
		j.eventsReadAt = db.EventsReadAt
		j.dirty = true
	}
	for _, r := range db.Results {
		if !j.mine(r.Tag) {
			continue
		}
		j.st.Results++
		j.dev.Observe(r.Result)
		j.send.Observe(r.Result)
		j.lastResult = j.now()
		j.maxEnd = max(j.maxEnd, r.Result.WindowEnd)
		if r.At > 0 {
			j.lat.result(r.Result.Key, r.At)
		}
		j.dirty = true
	}
}

// addProgress books a progress mark. Events partitions and streams beyond
// those known at the start (partitions added during the run) are added as
// they appear: until every stream has reported a new partition, it holds
// the settle horizon back.
func (j *Judge) addProgress(m ProgressMark) {
	if m.Stream < 0 || m.Stream >= maxStreams {
		return
	}
	for p, c := range m.Closed {
		if p < 0 || p >= maxStreams {
			continue
		}
		for int(p) >= len(j.progress) {
			row := make([]int64, j.streams())
			for i := range row {
				row[i] = engine.None
			}
			j.progress = append(j.progress, row)
		}
		if int(m.Stream) >= len(j.progress[p]) {
			j.growStreams(int(m.Stream) + 1)
		}
		j.progress[p][m.Stream] = max(j.progress[p][m.Stream], c)
	}
}

// maxStreams bounds the partitions and streams a progress record may name.
const maxStreams = 1 << 14

func (j *Judge) streams() int {
	if len(j.progress) == 0 {
		return 1
	}
	return len(j.progress[0])
}

// growStreams adds streams first heard of now. A new stream starts at the
// least horizon of the others (it cannot hold back what they settled before
// it existed) and moves with its own progress.
func (j *Judge) growStreams(n int) {
	for p, row := range j.progress {
		low := int64(bus.Final)
		for _, c := range row {
			low = min(low, c)
		}
		for len(row) < n {
			row = append(row, low)
		}
		j.progress[p] = row
	}
}

// downBefore is the downstream's settle horizon: the least progress over
// the events partitions and the progress streams.
func (j *Judge) downBefore() int64 {
	if len(j.progress) == 0 {
		return engine.None
	}
	h := int64(bus.Final)
	for _, row := range j.progress {
		for _, c := range row {
			h = min(h, c)
		}
	}
	return h
}

// peerBefore is a peer's settle horizon (SPEC §9): window ends more than
// its lateness before the latest window it emitted, or everything once it
// has been silent for its idle time after a result. Nothing before its
// first result: a peer may take seconds to start.
func (j *Judge) peerBefore(now int64) int64 {
	if j.maxEnd == engine.None {
		return engine.None
	}
	if now-j.lastResult >= j.cfg.Peer.Idle.Milliseconds() {
		return bus.Final
	}
	return j.maxEnd - j.cfg.Peer.Lateness.Milliseconds() - 1
}

// tick settles the comparators and publishes the status at most once a
// Tick, and the final verdict (or the lost input's last word) once.
func (j *Judge) tick() {
	now := j.now()
	down := j.downBefore()
	if !j.sawMarks && j.cfg.Peer != nil {
		down = j.peerBefore(now)
	}
	if !j.sawMarks && j.cfg.IdleFinal > 0 && j.truthDone && now-j.lastResult >= j.cfg.IdleFinal.Milliseconds() {
		down = bus.Final // a downstream without progress records, silent long enough
	}
	j.dev.SetDownstream(j.downstreamSettings()) // the controls may have switched the engine's mode
	j.dev.Settle(j.horizon, down)
	j.send.Settle(j.clock, down)
	final := j.truthDone && down == bus.Final && j.lost == "" && j.eventsRead()
	over := final || j.lost != ""
	if !j.dirty && !over {
		return
	}
	if over && j.Final() != nil {
		return // already published
	}
	if !over && now-j.lastStatus < j.cfg.Tick.Milliseconds() {
		return
	}
	if now-j.lastEvict >= 10_000 && j.dev.Horizon() != engine.None {
		// Unbounded runs: settled, matching rows a minute behind the settle
		// horizon (final on both sides: the downstream's progress claims
		// them closed) are only counted.
		// The send-time truth settles as the clock passes (no lag), so
		// its rows go much sooner.
		j.dev.Evict(j.dev.Horizon() - 60*1000)
		j.lat.forget(j.dev.Horizon() - 60*1000)
		if h := j.send.Horizon(); h != engine.None {
			j.send.Evict(h - 60*1000)
		}
		j.lastEvict = now
	}
	j.publish(final, over)
	j.dirty, j.lastStatus = false, now
}

// publish sends the status; over: the run's last word.
func (j *Judge) publish(final, over bool) {
	limit := LiveRows
	if final {
		limit = 0
	}
	st := j.st
	st.Run, st.Tag, st.Err, st.Engine = j.run, j.tag, j.lost, j.cfg.Engine
	st.ResultRate = j.rate.per(j.now(), st.Results)
	st.LatencyP50, st.LatencyP99, st.LatencySamples = j.lat.quantiles()
	st.Report = j.dev.ReportLimit(final, limit)
	sr := j.send.ReportLimit(final, 1)
	st.SendTime = sr.Settled
	if !final {
		st.SendTime = sr.Provisional
	}
	st.Horizon = j.dev.Horizon()
	st.Final = final
	j.deps.Bus.Publish(&st)
	j.mu.Lock()
	j.last = &st
	if over {
		j.final = &st
		close(j.done)
	}
	j.mu.Unlock()
}

func (j *Judge) log(l bus.Level, text string) {
	j.deps.Bus.Publish(bus.LogEntry{Time: j.deps.Now(), Level: l, Role: "compare", Text: text})
}

// rateMeter turns a growing count into a rate over the last second or so.
type rateMeter struct {
	at, count int64 // ms, count at the last sample
	rate      float64
}

// per takes the count at now (ms) and returns the rate per second.
func (m *rateMeter) per(now, count int64) float64 {
	switch {
	case m.at == 0:
		m.at, m.count = now, count
	case now-m.at >= 1000:
		m.rate = float64(count-m.count) * 1000 / float64(now-m.at)
		m.at, m.count = now, count
	}
	return m.rate
}
