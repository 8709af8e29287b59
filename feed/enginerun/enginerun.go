package enginerun

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Config sets up the engine role.
type Config struct {
	Events  string        // topic read [sampletopic]
	Results string        // topic written [aggregates]
	Engine  engine.Config // initial settings; live changes come from Controls
	Clock   bus.Clock
	// Merge reads the partitions merged in timestamp order (then key, then
	// partition), as batch engines do: a bounded virtual-clock run is then
	// deterministic whatever the fetch timing, and a backlog read partition
	// by partition does not turn late events into accepted ones. It relies
	// on the injector's clock and end markers (in a group, partitions
	// without markers do not hold it back once read to their end).
	Merge bool
	// FromEnd starts at the topic's end offsets (the data already there
	// belongs to earlier runs); otherwise at its start. A group with
	// committed offsets resumes from them.
	FromEnd bool
	// Session, in one process with the injector: accept only this session's
	// run tags and follow the controls' run. "" (a distributed engine):
	// follow the run tag of the records read.
	Session string
	// Group makes the engine a consumer-group member: instances share the
	// partitions, commit where an open window's earliest event is (with the
	// closed horizon as commit metadata) and a partition moved to another
	// instance is re-read from there. "" reads every partition.
	Group string
	// Sink also receives results and progress (a Cassandra table).
	Sink ResultSink
	// NoKafkaResults writes results and progress only to the Sink.
	NoKafkaResults bool
	Tick           time.Duration // how often time advances and status is published [StatusPeriod]
	// SessionTimeout of the group membership: how fast a dead instance's
	// partitions move [6s].
	SessionTimeout time.Duration
}

// ResultSink is a second destination for an engine's results (Cassandra).
// Writes are upserts: repeating one is harmless.
type ResultSink interface {
	WriteResults(ctx context.Context, run string, rs []engine.Result) error
	WriteProgress(ctx context.Context, run string, closed map[int32]int64) error
}

// Runner runs the pure engine against Kafka: it reads the events
// topic, writes results and progress records to the aggregates topic (and
// the sink) and publishes its status on the bus.
type Runner struct {
	cfg      Config
	cl       *kgo.Client
	adm      *kadm.Client
	bus      *bus.Bus
	controls *bus.Controls // nil for a headless engine: the settings are cfg.Engine's
	read     atomic.Int64
	dec      *engine.Decoder // interns devices and categories
	batch    ingestBatch
	// fetchedAt is when the fetch being handled arrived (real clock).
	fetchedAt int64

	eng      *engine.Engine
	run      int
	tag      string // run tag of the records the engine is aggregating
	settings bus.Settings
	parts    []*partState // by partition number
	resParts int32
	topicID  [16]byte
	floors   map[int32]kafka.Floor     // group: from commit metadata
	minOpen  map[int32]map[int64]int64 // group: partition → window end → earliest offset in it
	sent     map[int32]int64           // progress last written, per partition
	rebalC   chan rebalance            // group callbacks → main loop
	sinkBuf  []engine.Result           // results the sink has not taken yet
	sinkProg map[int32]int64           // progress the sink has not taken yet
	sinkErr  string                    // the sink's last error, logged once; "" after a success
	results  []engine.Result
	done     chan struct{} // closed when Run stops handling rebalances
	doneOnce sync.Once

	st          bus.EngineStatus
	recent      []bus.LateEvent
	finished    bool
	rateMark    time.Time
	rateEvents  int64
	rateResults int64
	lastMalf    string
	reachable   bool
	lastCommit  time.Time
	anyMarked   bool      // a clock marker was read since the last reset
	noMarkers   bool      // gave up waiting for markers (another producer)
	queuedSince time.Time // when a record was first queued for the merge
}

type partState struct {
	id     int32
	owned  bool
	read   bool  // a record was read since the partition was (re)assigned
	next   int64 // next offset to read
	end    int64 // last known end offset; -1 unknown
	endOK  bool  // the last look at the end offset succeeded
	queue  []*kgo.Record
	bound  int64 // merge: every later record here has timestamp ≥ bound
	marked bool  // merge: the partition carries clock markers
	done   bool  // end marker read
}

type rebalance struct {
	kind  string // assigned, revoked, lost
	parts []int32
	done  chan struct{}
}

// New validates cfg and creates the runner's Kafka client.
// controls may be nil (a headless engine: its settings are cfg.Engine's).
func New(cfg Config, kc kafka.Config, eventBus *bus.Bus, controls *bus.Controls) (*Runner, error) {
	if eventBus == nil {
		return nil, fmt.Errorf("engine runner: %w: a bus is required", bus.ErrConfig)
	}
	if cfg.Events == "" || cfg.Results == "" {
		return nil, fmt.Errorf("engine runner: %w: events and results topics are required", bus.ErrConfig)
	}
	if err := cfg.Engine.Validate(); err != nil {
		return nil, err
	}
	if cfg.Tick <= 0 {
		cfg.Tick = bus.StatusPeriod
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 6 * time.Second
	}
	r := &Runner{cfg: cfg, bus: eventBus, controls: controls, dec: engine.NewDecoder(), floors: map[int32]kafka.Floor{},
		minOpen: map[int32]map[int64]int64{}, sent: map[int32]int64{}, sinkProg: map[int32]int64{},
		rebalC: make(chan rebalance), done: make(chan struct{}), reachable: true}
	r.settings = bus.Settings{Mode: cfg.Engine.Mode, Dedup: cfg.Engine.Dedup, WatermarkLag: cfg.Engine.Watermark}
	if controls != nil {
		r.settings = controls.Load()
	}
	var opts []kgo.Opt
	if cfg.Group != "" {
		start := kgo.NewOffset().AtStart()
		if cfg.FromEnd {
			start = kgo.NewOffset().AtEnd()
		}
		opts = append(opts,
			kgo.ConsumerGroup(cfg.Group),
			kgo.ConsumeTopics(cfg.Events),
			kgo.ConsumeResetOffset(start),
			// Eager: a rebalance takes every partition back, so each
			// instance restarts from its commits and never mixes old and
			// new assignments.
			kgo.Balancers(kgo.RangeBalancer()),
			kgo.DisableAutoCommit(),
			kgo.BlockRebalanceOnPoll(),
			kgo.SessionTimeout(cfg.SessionTimeout),
			kgo.HeartbeatInterval(max(cfg.SessionTimeout/6, 100*time.Millisecond)),
			kgo.RebalanceTimeout(30*time.Second),
			kgo.OnPartitionsAssigned(func(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
				r.callback(ctx, "assigned", m[cfg.Events])
			}),
			kgo.OnPartitionsRevoked(func(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
				r.callback(ctx, "revoked", m[cfg.Events])
			}),
			kgo.OnPartitionsLost(func(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
				r.callback(ctx, "lost", m[cfg.Events])
			}),
		)
	}
	cl, err := kc.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("engine runner: %w", err)
	}
	r.cl, r.adm = cl, kadm.NewClient(cl)
	if err := r.reset(r.settings.Run, ""); err != nil {
		cl.Close()
		return nil, err
	}
	return r, nil
}

// Close releases the runner's client (after Run has returned).
func (r *Runner) Close() { r.cl.Close() }

// Read counts the records fetched from the events topic, markers
// included: safe to call from any goroutine.
func (r *Runner) Read() int64 { return r.read.Load() }

// reset starts a fresh engine for run n (tag: the run tag followed by a
// distributed engine) with the current settings.
func (r *Runner) reset(n int, tag string) error {
	c := r.cfg.Engine
	c.Mode, c.Dedup, c.Watermark = r.settings.Mode, r.settings.Dedup, r.settings.WatermarkLag
	eng, err := engine.New(c)
	if err != nil {
		return err
	}
	if r.cfg.Clock == bus.RealClock {
		// Partitions assigned now are silent from now, not idle at once:
		// the first records of one may be written a moment after another's.
		eng.Advance(time.Now().UnixMilli())
	}
	r.eng, r.run, r.finished = eng, n, false
	r.tag = tag
	if r.cfg.Session != "" {
		r.tag = bus.RunTag(r.cfg.Session, n)
	}
	r.recent = nil
	r.anyMarked, r.noMarkers, r.queuedSince = false, false, time.Time{}
	clear(r.sent)
	clear(r.minOpen)
	r.st = bus.EngineStatus{Run: n}
	for _, p := range r.parts {
		p.queue, p.bound, p.done, p.marked = nil, engine.None, false, false
		if p.owned {
			r.eng.Assign(p.id)
			if f, ok := r.floors[p.id]; ok && f.Tag == r.tag {
				r.eng.SetFloor(p.id, f.Closed)
			}
		}
	}
	return nil
}

// Start finds the partitions and, without a group, where to read them
// from. Call it before the injector starts, so that nothing it produces is
// missed.
func (r *Runner) Start(ctx context.Context) error {
	n, err := kafka.PartitionCount(ctx, r.cl, r.cfg.Events)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if r.resParts, err = kafka.PartitionCount(ctx, r.cl, r.cfg.Results); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	td, err := r.adm.ListTopics(ctx, r.cfg.Events)
	if err == nil {
		r.topicID = td[r.cfg.Events].ID
	}
	start := map[int32]int64{}
	if r.cfg.FromEnd && r.cfg.Group == "" {
		if start, err = kafka.EndOffsets(ctx, r.adm, r.cfg.Events); err != nil {
			return fmt.Errorf("engine: start offsets: %w", err)
		}
	}
	offsets := make(map[int32]kgo.Offset, n)
	for p := range n {
		ps := &partState{id: p, next: start[p], end: -1, bound: engine.None, owned: r.cfg.Group == ""}
		r.parts = append(r.parts, ps)
		offsets[p] = kgo.NewOffset().At(ps.next)
		if ps.owned {
			r.eng.Assign(p)
		}
	}
	if r.cfg.Group == "" {
		r.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{r.cfg.Events: offsets})
	}
	return nil
}

// callback hands a group rebalance to the main loop and waits until it is
// handled, so the engine is only ever touched by one goroutine.
func (r *Runner) callback(ctx context.Context, kind string, parts []int32) {
	rb := rebalance{kind: kind, parts: parts, done: make(chan struct{})}
	select {
	case r.rebalC <- rb:
		select {
		case <-rb.done:
		case <-r.done:
		}
	case <-r.done:
	case <-ctx.Done():
	}
}

// Run consumes until ctx ends. Start must have been called. Stopping
// flushes what the engine owes: open windows are emitted marked incomplete
// (a comparator keeps them pending), the producer is flushed and, in a
// group, offsets are committed.
func (r *Runner) Run(ctx context.Context) error {
	if r.parts == nil {
		return fmt.Errorf("engine runner: %w: Run before Start", bus.ErrConfig)
	}
	defer r.doneOnce.Do(func() { close(r.done) })
	type fetch struct {
		fs   kgo.Fetches
		done chan struct{}
	}
	fetchC := make(chan fetch)
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		for {
			fs := r.cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			f := fetch{fs, make(chan struct{})}
			select {
			case fetchC <- f:
			case <-ctx.Done():
				return
			}
			select {
			case <-f.done:
			case <-ctx.Done():
				return
			}
			if r.cfg.Group != "" {
				r.cl.AllowRebalance() // rebalances happen between fetches only
			}
		}
	}()
	endsC := make(chan endsResult, 1)
	go r.watchEnds(ctx, endsC)
	ticker := time.NewTicker(r.cfg.Tick)
	defer ticker.Stop()
	var changed <-chan struct{}
	if r.controls != nil {
		changed = r.controls.Changed()
	}
	r.rateMark = time.Now()
	for {
		select {
		case <-ctx.Done():
			// The poller's last PollFetches may block rebalances until
			// AllowRebalance: let it finish before leaving the group.
			select {
			case <-pollDone:
			case <-time.After(5 * time.Second):
			}
			return r.shutdown()
		case f := <-fetchC:
			r.handleFetches(ctx, f.fs)
			close(f.done)
		case rb := <-r.rebalC:
			r.handleRebalance(ctx, rb)
			close(rb.done)
		case e := <-endsC:
			r.handleEnds(e)
		case <-ticker.C:
			r.tick(ctx)
		case <-changed:
			changed = r.controls.Changed()
			r.applySettings(ctx)
		}
	}
}

// shutdown flushes what the engine owes when it is stopped.
func (r *Runner) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.cfg.Group != "" && !r.finished && r.owns() {
		r.commit(ctx) // before the flush: the re-read must rebuild these windows
		r.eng.FlushIncomplete()
		r.emit(ctx)
	}
	r.drainSink(ctx)
	err := r.cl.Flush(ctx)
	if n := len(r.sinkBuf) + len(r.sinkProg); r.cfg.Sink != nil && n > 0 { // owed and not written: never a clean exit
		err = errors.Join(err, fmt.Errorf("%d results and progress marks not written: %s", n, r.sinkErr))
	}
	// From here on rebalance callbacks return at once: leaving the group
	// revokes our partitions, and nobody is left to handle that.
	r.doneOnce.Do(func() { close(r.done) })
	if r.cfg.Group != "" {
		r.cl.AllowRebalance() // the last poll may still block it
		r.cl.LeaveGroup()
	}
	return err
}

func (r *Runner) owns() bool {
	return slices.ContainsFunc(r.parts, func(p *partState) bool { return p.owned })
}

// handleRebalance: an eager rebalance revokes every partition, then
// assigns the new set. Revoked: commit where the open windows start and
// forget the engine state. Assigned: read the new partitions' commit
// metadata (the closed horizon of their previous owner).
func (r *Runner) handleRebalance(ctx context.Context, rb rebalance) {
	switch rb.kind {
	case "revoked", "lost":
		if rb.kind == "revoked" {
			r.commit(ctx)
		}
		for _, p := range rb.parts {
			if int(p) < len(r.parts) {
				r.parts[p].owned = false
			}
		}
		r.log(bus.Info, fmt.Sprintf("partitions %v %s", rb.parts, rb.kind))
	case "assigned":
		for _, p := range rb.parts {
			if int(p) < len(r.parts) {
				r.parts[p].owned = true
			}
		}
		if err := r.loadFloors(ctx); err != nil {
			r.log(bus.Warn, "commit metadata: "+err.Error())
		}
		r.log(bus.Info, fmt.Sprintf("partitions %v assigned", rb.parts))
	}
	// Either way the engine restarts from the commits: windows built from
	// partitions this instance no longer reads would be emitted partial.
	st := r.st
	if err := r.reset(r.run, r.tag); err != nil {
		r.log(bus.Error, err.Error())
	}
	r.st = st // the counters go on across a rebalance
	for _, p := range r.parts {
		p.next, p.end, p.endOK, p.read = 0, -1, false, false
	}
}

func (r *Runner) loadFloors(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := r.adm.FetchOffsets(fctx, r.cfg.Group)
	if err != nil {
		return err
	}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic != r.cfg.Events || o.Err != nil {
			return
		}
		if f, ok := kafka.ParseCommitMeta(o.Metadata); ok {
			r.floors[o.Partition] = f
		}
	})
	return nil
}

// commit commits, for every owned partition, the offset of the earliest
// event still in an open window (or the next offset when none is), with
// the closed horizon as metadata. Re-reading from there rebuilds every open
// window; what is before it is final downstream.
func (r *Runner) commit(ctx context.Context) {
	if r.cfg.Group == "" {
		return
	}
	member, gen := r.cl.GroupMetadata()
	if member == "" {
		return
	}
	closed := r.eng.ClosedBefore()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = r.cfg.Group, gen, member
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic, t.TopicID = r.cfg.Events, r.topicID
	for _, p := range r.parts {
		if !p.owned || !p.read {
			// Nothing read since it was assigned: the commit (and the
			// horizon in its metadata) of the previous owner stands.
			continue
		}
		pc := closed
		if f, ok := r.floors[p.id]; ok && f.Tag == r.tag {
			pc = max(pc, f.Closed) // never forget what a previous owner closed
		}
		meta := kafka.CommitMeta(r.tag, pc)
		off := p.next
		if len(p.queue) > 0 {
			off = min(off, p.queue[0].Offset) // read but not yet merged in
		}
		for end, o := range r.minOpen[p.id] {
			if end <= closed {
				delete(r.minOpen[p.id], end)
			} else {
				off = min(off, o)
			}
		}
		cp := kmsg.NewOffsetCommitRequestTopicPartition()
		cp.Partition, cp.Offset, cp.LeaderEpoch, cp.Metadata = p.id, off, -1, &meta
		t.Partitions = append(t.Partitions, cp)
	}
	if len(t.Partitions) == 0 {
		return
	}
	req.Topics = append(req.Topics, t)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := req.RequestWith(cctx, r.cl)
	if err != nil {
		r.log(bus.Warn, "commit: "+err.Error())
		return
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				r.log(bus.Warn, fmt.Sprintf("commit %s/%d: %v", r.cfg.Events, rp.Partition, err))
			}
		}
	}
	r.lastCommit = time.Now()
}

type endsResult struct {
	ends map[int32]int64
	err  error
}

// watchEnds lists the end offsets twice a second: a partition is caught up
// when the engine has read to its end, and an error means unreachable (not
// idle).
func (r *Runner) watchEnds(ctx context.Context, out chan<- endsResult) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ends, err := kafka.EndOffsets(lctx, r.adm, r.cfg.Events)
		cancel()
		select {
		case out <- endsResult{ends, err}:
		case <-ctx.Done():
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

func (r *Runner) handleEnds(e endsResult) {
	if e.err != nil {
		r.st.Err = "broker unreachable: " + e.err.Error()
		if r.reachable {
			r.log(bus.Warn, r.st.Err+" (the watermark waits: an outage is not idleness)")
		}
		r.reachable = false
	} else {
		if !r.reachable {
			r.log(bus.Info, "broker reachable again")
		}
		r.st.Err, r.reachable = "", true
	}
	for _, p := range r.parts {
		end, ok := e.ends[p.id]
		p.endOK = ok
		if ok {
			p.end = end
		}
	}
	if !r.cfg.Merge {
		r.updateCaughtUp()
	}
}

func (r *Runner) updateCaughtUp() {
	for _, p := range r.parts {
		if p.owned {
			r.eng.SetCaughtUp(p.id, p.endOK && p.end >= 0 && p.next >= p.end)
		}
	}
}

func (r *Runner) applySettings(ctx context.Context) {
	s := r.controls.Load()
	old := r.settings
	r.settings = s
	if s.Run > r.run {
		if err := r.reset(s.Run, ""); err != nil {
			r.log(bus.Error, err.Error())
		}
		return
	}
	if s.Mode != old.Mode {
		if err := r.eng.SetMode(s.Mode); err != nil {
			r.log(bus.Error, err.Error())
		}
	}
	if s.Dedup != old.Dedup {
		r.eng.SetDedup(s.Dedup)
	}
	if s.WatermarkLag != old.WatermarkLag {
		if err := r.eng.SetWatermarkLag(s.WatermarkLag); err != nil {
			r.log(bus.Error, err.Error())
		}
	}
	r.emit(ctx)
}

func (r *Runner) handleFetches(ctx context.Context, fs kgo.Fetches) {
	r.fetchedAt = time.Now().UnixMilli()
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		r.st.Err = fmt.Sprintf("fetch %s/%d: %v", t, p, err)
		if p >= 0 && int(p) < len(r.parts) {
			r.parts[p].endOK = false // unreachable is not idle
		} else {
			for _, ps := range r.parts {
				ps.endOK = false
			}
		}
	})
	// First the new end of every partition in the fetch: one whose
	// records come later in this fetch is not caught up, so it holds the
	// watermark back while the records before it are ingested.
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if fp.Partition >= 0 && int(fp.Partition) < len(r.parts) && fp.Err == nil {
			p := r.parts[fp.Partition]
			p.end = max(p.end, fp.HighWatermark)
		}
	})
	if !r.cfg.Merge {
		r.updateCaughtUp()
	}
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		r.read.Add(int64(len(fp.Records)))
		if fp.Partition < 0 || int(fp.Partition) >= len(r.parts) || len(fp.Records) == 0 {
			return
		}
		p := r.parts[fp.Partition]
		if !p.owned {
			return // fetched before a revoke: the new owner reads it
		}
		for _, rec := range fp.Records {
			p.next, p.read = rec.Offset+1, true
			r.record(p, rec)
		}
	})
	r.flushBatch()
	if r.cfg.Merge {
		r.releaseMerged()
	} else {
		r.updateCaughtUp()
	}
	r.maybeFinish(ctx)
	r.emit(ctx)
}

// record handles one record of partition p: markers, run tags, decoding.
func (r *Runner) record(p *partState, rec *kgo.Record) {
	if len(rec.Headers) > 1 || (len(rec.Headers) == 1 && rec.Headers[0].Key != kafka.HeaderRun) {
		r.flushBatch() // a marker: what came before it goes first
	}
	if tag, ok := kafka.Header(rec, kafka.HeaderRun); ok && tag != r.tag {
		r.flushBatch()
		if !r.follow(tag) {
			r.st.Foreign++
			return
		}
	}
	if _, ok := kafka.Header(rec, kafka.HeaderEnd); ok {
		p.done, p.bound = true, bus.Final
		return
	}
	if v, ok := kafka.Header(rec, kafka.HeaderClock); ok {
		if t, err := strconv.ParseInt(v, 10, 64); err == nil && t > p.bound {
			p.bound = t
		}
		p.marked, r.anyMarked = true, true
		return
	}
	r.st.Consumed++
	if r.cfg.Merge {
		p.queue = append(p.queue, rec)
		if r.queuedSince.IsZero() {
			r.queuedSince = time.Now()
		}
		return
	}
	arrival := rec.Timestamp.UnixMilli()
	if r.cfg.Clock == bus.RealClock {
		arrival = r.fetchedAt // the records of a fetch arrive together
	}
	r.ingest(p.id, arrival, rec)
}

// follow decides what to do with a record of another run: in one process,
// follow a newer run of the session; a distributed engine follows the run
// of whatever it reads. It reports whether the record is to be used.
func (r *Runner) follow(tag string) bool {
	if r.cfg.Session != "" {
		n, mine := bus.RunOf(tag, r.cfg.Session)
		if !mine || n < r.run {
			return false
		}
		if err := r.reset(n, ""); err != nil {
			r.log(bus.Error, err.Error())
			return false
		}
		return true
	}
	r.log(bus.Info, "following run "+tag)
	if err := r.reset(r.run+1, tag); err != nil {
		r.log(bus.Error, err.Error())
		return false
	}
	return true
}

// ingest decodes rec, read from partition p at arrival, into the batch
// the engine gets next.
func (r *Runner) ingest(p int32, arrival int64, rec *kgo.Record) {
	ev, err := r.dec.Decode(rec.Value)
	if err != nil {
		r.st.Malformed++
		if msg := err.Error(); msg != r.lastMalf {
			r.lastMalf = msg
			r.log(bus.Warn, fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err))
		}
		return
	}
	b := &r.batch
	if len(b.evs) > 0 && b.part != p {
		r.flushBatch()
	}
	b.part = p
	b.evs, b.arrivals, b.offsets = append(b.evs, ev), append(b.arrivals, arrival), append(b.offsets, rec.Offset)
	if len(b.evs) >= maxBatch {
		r.flushBatch()
	}
}

// maxBatch bounds the events handed to the engine at once.
const maxBatch = 512

// ingestBatch is what the engine gets next: consecutive events of one
// partition, with their arrivals and offsets.
type ingestBatch struct {
	part     int32
	evs      []engine.Event
	arrivals []int64
	offsets  []int64
	outcomes []engine.Outcome
}

// flushBatch hands the batch to the engine and books the outcomes.
func (r *Runner) flushBatch() {
	b := &r.batch
	if len(b.evs) == 0 {
		return
	}
	b.outcomes = r.eng.IngestBatch(b.part, b.arrivals, b.evs, b.outcomes[:0])
	r.rateEvents += int64(len(b.evs))
	wm := r.eng.Watermark() // at or past the one each late event met
	win, eventTime := r.cfg.Engine.Window.Milliseconds(), r.eng.Config().Mode == engine.EventTime
	for i, o := range b.outcomes {
		ev := &b.evs[i]
		switch o {
		case engine.Late:
			if len(r.recent) >= 50 {
				r.recent = r.recent[1:]
			}
			r.recent = append(r.recent, bus.LateEvent{ID: ev.ID, Device: ev.Device, Category: ev.Category, M1: ev.M1,
				Time: ev.Time, WindowEnd: engine.WindowEnd(ev.Time, win), Arrival: b.arrivals[i], Watermark: wm})
		case engine.Accepted:
			if r.cfg.Group != "" {
				t := ev.Time
				if !eventTime {
					t = r.eng.Now()
				}
				end := engine.WindowEnd(t, win)
				m := r.minOpen[b.part]
				if m == nil {
					m = map[int64]int64{}
					r.minOpen[b.part] = m
				}
				if off, ok := m[end]; !ok || b.offsets[i] < off {
					m[end] = b.offsets[i]
				}
			}
		}
	}
	clear(b.evs) // let the ids go
	b.evs, b.arrivals, b.offsets = b.evs[:0], b.arrivals[:0], b.offsets[:0]
}

// releaseMerged feeds the engine queued records in (timestamp, key,
// partition) order, as far as every partition's bound allows.
func (r *Runner) releaseMerged() {
	for {
		var best *partState
		for _, p := range r.parts {
			if !p.owned || len(p.queue) == 0 {
				continue
			}
			if best == nil || mergeLess(p, best) {
				best = p
			}
		}
		if best == nil {
			return
		}
		head := best.queue[0]
		ts := head.Timestamp.UnixMilli()
		for _, p := range r.parts {
			if p.owned && len(p.queue) == 0 && p.bound <= ts && r.mayHoldEarlier(p) {
				return // p may still hold an earlier (or tied) record
			}
		}
		best.queue[0] = nil
		best.queue = best.queue[1:]
		// Caught up, deterministically: nothing at or before this time is
		// left to read in the partition.
		for _, p := range r.parts {
			if p.owned {
				caught := len(p.queue) == 0 || p.queue[0].Timestamp.UnixMilli() > ts
				r.eng.SetCaughtUp(p.id, caught)
			}
		}
		r.ingest(best.id, ts, head)
		r.flushBatch() // one at a time: the caught-up flags above are for this record
	}
}

// mayHoldEarlier reports whether an empty partition may still deliver a
// record older than what the merge would release. In one process with the
// injector, every partition carries clock markers: wait for them (the run
// is then deterministic). A group member cannot count on them (a partition
// may be fed by another producer): a partition that never had a marker
// holds the merge back only while it has unread records.
func (r *Runner) mayHoldEarlier(p *partState) bool {
	if p.marked || !r.noMarkers {
		return true
	}
	return !(p.endOK && p.end >= 0 && p.next >= p.end)
}

// NoMarkersAfter is how long a group member merging partitions waits for a
// first clock marker before it decides the stream has none (another
// producer) and reads its partitions as they come.
const NoMarkersAfter = 10 * time.Second

// checkMarkers gives up waiting for clock markers that do not come.
func (r *Runner) checkMarkers() {
	if !r.cfg.Merge || r.cfg.Group == "" || r.anyMarked || r.noMarkers || r.queuedSince.IsZero() {
		return
	}
	if time.Since(r.queuedSince) >= NoMarkersAfter {
		r.noMarkers = true
		r.log(bus.Warn, fmt.Sprintf("no clock markers in %s after %v: reading its partitions as they come (not merged)", r.cfg.Events, NoMarkersAfter))
		r.releaseMerged()
	}
}

func mergeLess(a, b *partState) bool {
	ra, rb := a.queue[0], b.queue[0]
	ta, tb := ra.Timestamp.UnixMilli(), rb.Timestamp.UnixMilli()
	if ta != tb {
		return ta < tb
	}
	if c := string(ra.Key); c != string(rb.Key) {
		return c < string(rb.Key)
	}
	return a.id < b.id
}

// maybeFinish flushes the engine once every partition it reads has ended.
func (r *Runner) maybeFinish(ctx context.Context) {
	if r.finished || !r.owns() {
		return
	}
	for _, p := range r.parts {
		if p.owned && (!p.done || len(p.queue) > 0) {
			return
		}
	}
	r.eng.Flush()
	r.finished = true
	r.emit(ctx)
	r.commit(ctx)
}

func (r *Runner) tick(ctx context.Context) {
	r.checkMarkers()
	if !r.finished {
		now := r.eng.Now()
		if r.cfg.Clock == bus.RealClock {
			now = time.Now().UnixMilli()
		}
		if now != engine.None {
			r.eng.Advance(now)
		}
	}
	r.emit(ctx)
	r.drainSink(ctx)
	if r.cfg.Group != "" && time.Since(r.lastCommit) >= time.Second {
		r.commit(ctx)
	}
	r.status()
}

// emit produces the engine's new results and, when the closed horizon of a
// partition moved, one progress record to every results partition.
func (r *Runner) emit(ctx context.Context) {
	r.results = r.eng.Drain(r.results[:0])
	for _, res := range r.results {
		if !r.cfg.NoKafkaResults {
			rec := &kgo.Record{Topic: r.cfg.Results, Key: []byte(res.Key.String()), Value: res.AppendJSON(nil)}
			r.tagRecord(rec)
			r.cl.Produce(ctx, rec, r.promise)
		}
		r.st.Produced++
		r.rateResults++
	}
	if r.cfg.Sink != nil {
		r.sinkBuf = append(r.sinkBuf, r.results...)
	}
	if r.st.Consumed == 0 && !r.finished {
		return // no progress to claim before the run's first event
	}
	closed := r.closed()
	if len(closed) == 0 {
		return
	}
	for p, c := range closed {
		r.sent[p] = c
		r.sinkProg[p] = c
	}
	if r.cfg.NoKafkaResults {
		return
	}
	value := kafka.ProgressValue(r.eng.Config().Name, closed)
	for q := range r.resParts {
		rec := &kgo.Record{Topic: r.cfg.Results, Partition: q, Value: value,
			Headers: []kgo.RecordHeader{{Key: kafka.HeaderProgress, Value: []byte("1")}}}
		r.tagRecord(rec)
		r.cl.Produce(ctx, rec, r.promise)
	}
}

// closed returns the owned partitions whose closed horizon moved since the
// last progress record.
func (r *Runner) closed() map[int32]int64 {
	cb := r.eng.ClosedBefore()
	if cb == engine.None {
		return nil
	}
	if cb == math.MaxInt64 {
		cb = bus.Final
	} else {
		// The last window end at or before it: the same windows are
		// closed, and a progress record goes out once per window rather
		// than at every tick the watermark moves.
		w := r.eng.Config().Window.Milliseconds()
		cb = engine.WindowEnd(cb, w) - w
	}
	var out map[int32]int64
	for _, p := range r.parts {
		if !p.owned {
			continue
		}
		c := cb
		if f, ok := r.floors[p.id]; ok && f.Tag == r.tag {
			c = max(c, f.Closed)
		}
		if prev, ok := r.sent[p.id]; ok && prev >= c {
			continue
		}
		if out == nil {
			out = map[int32]int64{}
		}
		out[p.id] = c
	}
	return out
}

// drainSink hands buffered results and progress to the sink; on failure
// they stay buffered (nothing is lost) and are retried next tick.
func (r *Runner) drainSink(ctx context.Context) {
	if r.cfg.Sink == nil || (len(r.sinkBuf) == 0 && len(r.sinkProg) == 0) {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if len(r.sinkBuf) > 0 {
		if err := r.cfg.Sink.WriteResults(wctx, r.tag, r.sinkBuf); err != nil {
			r.sinkFailed("results sink: " + err.Error())
			return
		}
		clear(r.sinkBuf)
		r.sinkBuf = r.sinkBuf[:0]
	}
	if len(r.sinkProg) > 0 {
		if err := r.cfg.Sink.WriteProgress(wctx, r.tag, r.sinkProg); err != nil {
			r.sinkFailed("progress sink: " + err.Error())
			return
		}
		clear(r.sinkProg)
	}
	if r.sinkErr != "" && r.st.Err == r.sinkErr {
		r.st.Err = ""
	}
	r.sinkErr = ""
}

// sinkFailed keeps the error in the status and logs it once, not at every
// tick it repeats.
func (r *Runner) sinkFailed(msg string) {
	r.st.Err = msg
	if msg != r.sinkErr {
		r.sinkErr = msg
		r.log(bus.Warn, msg+" (kept, retrying)")
	}
}

func (r *Runner) tagRecord(rec *kgo.Record) {
	if r.tag != "" {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: kafka.HeaderRun, Value: []byte(r.tag)})
	}
}

func (r *Runner) promise(_ *kgo.Record, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		r.log(bus.Error, "produce result: "+err.Error())
	}
}

func (r *Runner) log(l bus.Level, text string) {
	r.bus.Publish(bus.LogEntry{Time: time.Now(), Level: l, Role: "engine", Text: text})
}

func (r *Runner) status() {
	now := time.Now()
	if d := now.Sub(r.rateMark); d >= time.Second {
		r.st.EventRate = float64(r.rateEvents) / d.Seconds()
		r.st.ResultRate = float64(r.rateResults) / d.Seconds()
		r.rateMark, r.rateEvents, r.rateResults = now, 0, 0
	}
	st := r.st
	st.Run = r.run
	st.Tag = r.tag
	st.Config = r.eng.Config()
	st.Stats = r.eng.Stats()
	st.ClosedBefore = r.eng.ClosedBefore()
	st.Finished = r.finished
	st.Recent = append([]bus.LateEvent(nil), r.recent...)
	st.PartitionLag = make([]int64, len(r.parts))
	for i, p := range r.parts {
		lag := int64(-1)
		if p.owned && p.end >= 0 {
			lag = max(p.end-p.next, 0) + int64(len(p.queue))
			st.Lag += lag
		}
		st.PartitionLag[i] = lag
	}
	if st.ClosedBefore == math.MaxInt64 {
		st.ClosedBefore = bus.Final
	}
	r.bus.Publish(&st)
}
