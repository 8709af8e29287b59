package enginerun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// This file is the runner's loop: the only one here that talks to the Kafka
// client or reads the clock. What it decides with lives in small types:
// partitions, merger, commits, progress, sinkBuffer, statusBook.

// Deps is what the runner works with.
type Deps struct {
	// Kafka reaches the cluster: the runner makes its own client (a group
	// member needs the group's options at creation).
	Kafka    kafka.Config
	Bus      *bus.Bus
	Controls *bus.Controls    // nil for a headless engine: the settings are Config.Engine's
	Now      func() time.Time // [time.Now]
}

// Runner runs the pure engine against Kafka: it reads the events topic,
// writes results and progress records to the results topic (and the sink)
// and publishes its status on the bus.
type Runner struct {
	cfg      Config
	now      func() time.Time
	cl       *kgo.Client
	adm      *kadm.Client
	bus      *bus.Bus
	controls *bus.Controls
	read     atomic.Int64 // records of this session read: the injector's backpressure

	eng       *engine.Engine
	dec       *engine.Decoder // interns devices and categories
	batch     ingestBatch
	mergedRun mergedRun
	run       int
	tag       string // run tag of the records the engine is aggregating
	left      map[string]bool
	settings  bus.Settings
	parts     partitions
	merge     merger
	commits   *commits
	progress  *progress
	sink      *sinkBuffer
	book      statusBook
	results   []engine.Result
	resParts  int32
	topicID   [16]byte
	finished  bool
	arrival   int64    // real clock: when the fetch being handled arrived
	gc        *gcTuner // nil unless Config.TuneGC

	lastCommit time.Time

	// produceCtx outlives Run's context: a result produced just before a
	// stop is still delivered by shutdown's flush, not failed by the cancel.
	produceCtx    context.Context
	cancelProduce context.CancelFunc

	verified verdict // the last event run header verified, and what it said

	resBlock     []byte             // where results' keys and values are written (resultBytes)
	resultHdr    []kgo.RecordHeader // the run header of results, for run resultHdrTag
	resultHdrTag string

	rebalC   chan rebalance // group callbacks → loop
	done     chan struct{}  // closed when Run stops handling rebalances
	doneOnce sync.Once
}

// New validates cfg and creates the runner's Kafka client.
func New(cfg Config, deps Deps) (*Runner, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Bus == nil {
		return nil, fmt.Errorf("engine runner: %w: a bus is required", bus.ErrConfig)
	}
	r := &Runner{cfg: cfg, now: deps.Now, bus: deps.Bus, controls: deps.Controls, dec: engine.NewDecoder(),
		commits: newCommits(), progress: newProgress(), left: map[string]bool{},
		rebalC: make(chan rebalance), done: make(chan struct{})}
	if r.now == nil {
		r.now = time.Now
	}
	if cfg.TuneGC {
		r.gc = newGCTuner(machineMemory())
	}
	r.dec.PackIDs() // the engine keeps fingerprints; status.late clones the ids it keeps
	r.produceCtx, r.cancelProduce = context.WithCancel(context.Background())
	if cfg.Sink != nil {
		r.sink = newSinkBuffer(cfg.Sink)
	}
	r.settings = bus.Settings{Mode: cfg.Engine.Mode, Dedup: cfg.Engine.Dedup, WatermarkLag: cfg.Engine.Watermark}
	if r.controls != nil {
		r.settings = r.controls.Load()
	}
	cl, err := deps.Kafka.NewClient(append(r.clientOpts(), newClientPools(), kgo.FetchMaxPartitionBytes(fetchPartitionBytes))...)
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

// clientOpts are the group member's options (none without a group).
func (r *Runner) clientOpts() []kgo.Opt {
	if r.cfg.Group == "" {
		return nil
	}
	start := kgo.NewOffset().AtStart()
	if r.cfg.FromEnd {
		start = kgo.NewOffset().AtEnd()
	}
	cb := func(kind string) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(ctx context.Context, _ *kgo.Client, m map[string][]int32) { r.callback(ctx, kind, m[r.cfg.Events]) }
	}
	return []kgo.Opt{
		kgo.ConsumerGroup(r.cfg.Group),
		kgo.ConsumeTopics(r.cfg.Events),
		kgo.ConsumeResetOffset(start),
		// Eager: a rebalance takes every partition back, so each instance
		// restarts from its commits and never mixes old and new assignments.
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(r.cfg.SessionTimeout),
		kgo.HeartbeatInterval(max(r.cfg.SessionTimeout/6, 100*time.Millisecond)),
		kgo.RebalanceTimeout(30 * time.Second),
		kgo.OnPartitionsAssigned(cb("assigned")),
		kgo.OnPartitionsRevoked(cb("revoked")),
		kgo.OnPartitionsLost(cb("lost")),
	}
}

// Close releases the runner's client (after Run has returned).
func (r *Runner) Close() {
	r.cancelProduce()
	r.cl.Close()
}

// Read counts the records of this session's runs read from the events
// topic, markers included (foreign and external records are not): the
// injector's backpressure. Safe to call from any goroutine.
func (r *Runner) Read() int64 { return r.read.Load() }

// Start finds the partitions and, without a group, where to read them
// from. Call it before the injector starts, so nothing it produces is missed.
func (r *Runner) Start(ctx context.Context) error {
	n, err := kafka.PartitionCount(ctx, r.cl, r.cfg.Events)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if r.resParts, err = kafka.PartitionCount(ctx, r.cl, r.cfg.Results); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	r.topicID = kafka.TopicID(ctx, r.adm, r.cfg.Events)
	start := map[int32]int64{}
	if r.cfg.FromEnd && r.cfg.Group == "" {
		if start, err = kafka.EndOffsets(ctx, r.adm, r.cfg.Events); err != nil {
			return fmt.Errorf("engine: start offsets: %w", err)
		}
	}
	owned := r.cfg.Group == ""
	for p := range n {
		r.parts = append(r.parts, newPartition(p, start[p], owned, true))
		if owned {
			r.eng.Assign(p)
		}
	}
	return nil
}

// pollMsg is what the poll goroutine hands the loop: a fetch, or
// partitions added to the topic (always before their records).
type pollMsg struct {
	fs    kgo.Fetches
	added []int32
	done  chan struct{}
}

// Run consumes until ctx ends. Start must have been called. Stopping
// flushes what the engine owes: open windows are emitted marked incomplete
// (a comparator keeps them pending), the producer is flushed and, in a
// group, offsets are committed. An error is returned when something owed
// could not be delivered.
func (r *Runner) Run(ctx context.Context) error {
	if r.parts == nil {
		return fmt.Errorf("engine runner: %w: Run before Start", bus.ErrConfig)
	}
	defer r.doneOnce.Do(func() { close(r.done) })
	pollC := make(chan pollMsg)
	pollDone := make(chan struct{})
	start := make(map[int32]int64, len(r.parts)) // read here: the loop owns the partitions
	for _, p := range r.parts {
		start[p.id] = p.next
	}
	go r.poll(ctx, start, pollC, pollDone)
	endsC := make(chan endsResult, 1)
	go r.watchEnds(ctx, endsC)
	ticker := time.NewTicker(r.cfg.Tick)
	defer ticker.Stop()
	var changed <-chan struct{}
	if r.controls != nil {
		changed = r.controls.Changed()
	}
	for {
		select {
		case <-ctx.Done():
			// The last poll may block rebalances until AllowRebalance:
			// let it finish before leaving the group.
			select {
			case <-pollDone:
			case <-time.After(5 * time.Second):
			}
			return r.shutdown()
		case m := <-pollC:
			if m.added != nil {
				r.addPartitions(m.added)
			} else {
				r.handleFetches(ctx, m.fs)
			}
			close(m.done)
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

// poll runs the one poll loop, handing each fetch to the loop and waiting
// until it is handled (rebalances happen between fetches only).
func (r *Runner) poll(ctx context.Context, start map[int32]int64, out chan<- pollMsg, stopped chan<- struct{}) {
	defer close(stopped)
	hand := func(m pollMsg) {
		m.done = make(chan struct{})
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
		select {
		case <-m.done:
		case <-ctx.Done():
		}
	}
	l := kafka.Loop{Client: r.cl, Group: r.cfg.Group != ""}
	if r.cfg.Group == "" {
		l.Assign = []string{r.cfg.Events}
		l.Start = func(_ string, p int32) int64 { return start[p] }
		l.Added = func(_ string, ps []int32) { hand(pollMsg{added: ps}) }
	}
	err := l.Run(ctx, func(fs kgo.Fetches) { hand(pollMsg{fs: fs}) })
	if err != nil && ctx.Err() == nil && !errors.Is(err, kgo.ErrClientClosed) {
		r.log(bus.Error, "poll: "+err.Error())
	}
}

// shutdown flushes what the engine owes when it is stopped, and publishes
// the final status: the last tick's may be up to a tick old (a role
// stopped right after its last fetch reported fewer events than it read).
func (r *Runner) shutdown() error {
	defer func() { r.publishStatus(r.now()) }()
	defer r.gc.restore()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.cfg.Group != "" && !r.finished && r.parts.owns() {
		r.commit(ctx) // before the flush: the re-read must rebuild these windows
		r.eng.FlushIncomplete()
		r.emit(ctx)
	}
	var errs []error
	if err := r.sink.drain(ctx, r.tag); err != nil {
		errs = append(errs, fmt.Errorf("engine: %d results not written at shutdown: %w", r.sink.pending(), err))
	}
	if err := r.cl.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("engine: flush results: %w", err))
	}
	// From here on rebalance callbacks return at once: leaving the group
	// revokes our partitions, and nobody is left to handle that.
	r.doneOnce.Do(func() { close(r.done) })
	if r.cfg.Group != "" {
		r.cl.AllowRebalance() // the last poll may still block it
		r.cl.LeaveGroup()
	}
	return errors.Join(errs...)
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

// handleFetches hands a fetch to the engine: first every partition's new
// end (one whose records come later in the fetch is not caught up, so it
// holds the watermark back while the records before it are ingested), then
// the records.
func (r *Runner) handleFetches(ctx context.Context, fs kgo.Fetches) {
	r.arrival = r.now().UnixMilli()
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		r.book.st.Err = fmt.Sprintf("fetch %s/%d: %v", t, p, err)
		r.unreachable(p)
	})
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if p := r.parts.get(fp.Partition); p != nil && fp.Err == nil {
			p.sawEnd(fp.HighWatermark)
		}
	})
	r.updateCaughtUp()
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		p := r.parts.get(fp.Partition)
		if p == nil || !p.owned {
			return // fetched before a revoke: the new owner reads it
		}
		for _, rec := range fp.Records {
			p.readAt(rec.Offset)
			r.record(p, rec)
		}
	})
	r.afterRecords(ctx)
}

// record copies what the runner needs out of a client record.
func (r *Runner) record(p *partition, rec *kgo.Record) {
	h := r.headersOf(rec.Headers)
	r.take(p, h, record{part: p.id, offset: rec.Offset, ts: rec.Timestamp.UnixMilli(), key: rec.Key, value: rec.Value, src: rec})
}

// headersOf gathers a record's streamtop headers. A run header equal to
// the last one verified reuses its string: no allocation per event.
func (r *Runner) headersOf(hs []kgo.RecordHeader) headers {
	var h headers
	for _, x := range hs {
		if !strings.HasPrefix(x.Key, "streamtop-") {
			continue
		}
		switch {
		case x.Key == kafka.HeaderRun && !h.hasRun:
			h.run, h.hasRun = r.verified.value, true
			if string(x.Value) != r.verified.value {
				h.run = string(x.Value)
			}
		case (x.Key == kafka.HeaderEnd || x.Key == kafka.HeaderClock) && h.kind == "":
			h.kind, h.value = x.Key, string(x.Value)
		default:
			h.other = true
		}
	}
	return h
}

// tick advances time, emits, writes to the sink, commits and publishes.
func (r *Runner) tick(ctx context.Context) {
	now := r.now()
	r.checkMarkers(now)
	if !r.finished {
		t := r.eng.Now()
		if r.cfg.Clock == bus.RealClock {
			t = now.UnixMilli()
		}
		if t != engine.None {
			r.eng.Advance(t)
		}
	}
	r.emit(ctx)
	r.drainSink(ctx)
	if r.cfg.Group != "" && now.Sub(r.lastCommit) >= time.Second {
		r.commit(ctx)
	}
	r.gc.tune(now)
	r.publishStatus(now)
}

// publishStatus publishes the status at now.
func (r *Runner) publishStatus(now time.Time) {
	r.bus.Publish(r.book.snapshot(now, r.run, r.tag, r.eng, r.finished, r.parts))
}

func (r *Runner) log(l bus.Level, text string) {
	r.bus.Publish(bus.LogEntry{Time: r.now(), Level: l, Role: "engine", Text: text})
}
