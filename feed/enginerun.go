package feed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EngineRunnerConfig sets up the engine role.
type EngineRunnerConfig struct {
	Events  string        // topic read [sampletopic]
	Results string        // topic written [aggregates]
	Engine  engine.Config // initial settings; live changes come from Controls
	Clock   Clock
	// Merge reads the partitions merged in timestamp order (then key, then
	// partition), as batch engines do: a bounded virtual-clock run is then
	// deterministic whatever the fetch timing. It relies on the injector's
	// clock and end markers.
	Merge bool
	// FromEnd starts at the topic's end offsets (the data already there
	// belongs to earlier runs); otherwise at its start.
	FromEnd bool
	Session string        // accept only this session's run tags ("" accepts all)
	Tick    time.Duration // how often time advances and status is published [100ms]
}

// EngineRunner runs the pure engine against Kafka: it reads the events
// topic, writes results and progress records to the aggregates topic and
// publishes its status on the bus.
type EngineRunner struct {
	cfg      EngineRunnerConfig
	cl       *kgo.Client
	adm      *kadm.Client
	bus      *Bus
	controls *Controls

	eng      *engine.Engine
	run      int
	tag      string
	parts    []*partState
	resParts int32
	settings Settings

	st          EngineStatus
	recent      []LateEvent
	lastMarker  int64
	finished    bool
	results     []engine.Result
	rateMark    time.Time
	rateEvents  int64
	rateResults int64
	lastMalf    string
}

type partState struct {
	id    int32
	next  int64 // next offset to read
	end   int64 // last known end offset; -1 unknown
	endOK bool  // the last look at the end offset succeeded
	queue []*kgo.Record
	bound int64 // merge: every later record here has timestamp ≥ bound
	done  bool  // end marker read
}

// NewEngineRunner validates cfg.
func NewEngineRunner(cfg EngineRunnerConfig, cl *kgo.Client, bus *Bus, controls *Controls) (*EngineRunner, error) {
	if cl == nil || bus == nil || controls == nil {
		return nil, errors.New("engine runner: client, bus and controls are required")
	}
	if cfg.Events == "" || cfg.Results == "" {
		return nil, errors.New("engine runner: events and results topics are required")
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	r := &EngineRunner{cfg: cfg, cl: cl, adm: kadm.NewClient(cl), bus: bus, controls: controls}
	r.settings = controls.Load()
	if err := r.reset(r.settings.Run); err != nil {
		return nil, err
	}
	return r, nil
}

// reset starts a fresh engine for run n with the current settings.
func (r *EngineRunner) reset(n int) error {
	c := r.cfg.Engine
	c.Mode, c.Dedup, c.Watermark = r.settings.Mode, r.settings.Dedup, r.settings.WatermarkLag
	eng, err := engine.New(c)
	if err != nil {
		return err
	}
	r.eng, r.run, r.finished = eng, n, false
	r.tag = ""
	if r.cfg.Session != "" {
		r.tag = RunTag(r.cfg.Session, n)
	}
	r.recent = nil
	r.lastMarker = engine.None
	r.st = EngineStatus{Run: n}
	for _, p := range r.parts {
		p.queue, p.bound, p.done = nil, engine.None, false
		r.eng.Assign(p.id)
	}
	return nil
}

// Start finds the partitions and where to read them from. Call it before
// the injector starts, so that nothing it produces is missed.
func (r *EngineRunner) Start(ctx context.Context) error {
	n, err := PartitionCount(ctx, r.cl, r.cfg.Events)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if r.resParts, err = PartitionCount(ctx, r.cl, r.cfg.Results); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	start := map[int32]int64{}
	if r.cfg.FromEnd {
		if start, err = EndOffsets(ctx, r.adm, r.cfg.Events); err != nil {
			return fmt.Errorf("engine: start offsets: %w", err)
		}
	}
	offsets := make(map[int32]kgo.Offset, n)
	for p := range n {
		ps := &partState{id: p, next: start[p], end: -1, bound: engine.None}
		r.parts = append(r.parts, ps)
		offsets[p] = kgo.NewOffset().At(ps.next)
		r.eng.Assign(p)
	}
	r.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{r.cfg.Events: offsets})
	return nil
}

// Run consumes until ctx ends. Start must have been called.
func (r *EngineRunner) Run(ctx context.Context) error {
	if r.parts == nil {
		return errors.New("engine runner: Run before Start")
	}
	fetchC := make(chan kgo.Fetches)
	go func() {
		for {
			fs := r.cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			select {
			case fetchC <- fs:
			case <-ctx.Done():
				return
			}
		}
	}()
	endsC := make(chan endsResult, 1)
	go r.watchEnds(ctx, endsC)
	ticker := time.NewTicker(r.cfg.Tick)
	defer ticker.Stop()
	changed := r.controls.Changed()
	r.rateMark = time.Now()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return r.cl.Flush(fctx)
		case fs := <-fetchC:
			r.handleFetches(ctx, fs)
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

type endsResult struct {
	ends map[int32]int64
	err  error
}

// watchEnds lists the end offsets twice a second: a partition is caught up
// when the engine has read to its end, and an error means unreachable (not
// idle).
func (r *EngineRunner) watchEnds(ctx context.Context, out chan<- endsResult) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ends, err := EndOffsets(lctx, r.adm, r.cfg.Events)
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

func (r *EngineRunner) handleEnds(e endsResult) {
	if e.err != nil {
		r.st.Err = e.err.Error()
	} else {
		r.st.Err = ""
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

func (r *EngineRunner) updateCaughtUp() {
	for _, p := range r.parts {
		r.eng.SetCaughtUp(p.id, p.endOK && p.end >= 0 && p.next >= p.end)
	}
}

func (r *EngineRunner) applySettings(ctx context.Context) {
	s := r.controls.Load()
	old := r.settings
	r.settings = s
	if s.Run > r.run {
		if err := r.reset(s.Run); err != nil {
			r.log(Error, err.Error())
		}
		return
	}
	if s.Mode != old.Mode {
		if err := r.eng.SetMode(s.Mode); err != nil {
			r.log(Error, err.Error())
		}
	}
	if s.Dedup != old.Dedup {
		r.eng.SetDedup(s.Dedup)
	}
	if s.WatermarkLag != old.WatermarkLag {
		if err := r.eng.SetWatermarkLag(s.WatermarkLag); err != nil {
			r.log(Error, err.Error())
		}
	}
	r.emit(ctx)
}

func (r *EngineRunner) handleFetches(ctx context.Context, fs kgo.Fetches) {
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
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if fp.Partition < 0 || int(fp.Partition) >= len(r.parts) || len(fp.Records) == 0 {
			return
		}
		p := r.parts[fp.Partition]
		for _, rec := range fp.Records {
			p.next = rec.Offset + 1
			r.record(p, rec)
		}
		p.end = max(p.end, fp.HighWatermark)
	})
	if r.cfg.Merge {
		r.releaseMerged()
	} else {
		r.updateCaughtUp()
	}
	r.maybeFinish()
	r.emit(ctx)
}

// record handles one record of partition p: markers, run tags, decoding.
func (r *EngineRunner) record(p *partState, rec *kgo.Record) {
	if tag, ok := header(rec, HeaderRun); ok && r.tag != "" && tag != r.tag {
		// A newer run of this session may reach us before the controls
		// say so: follow it. Anything else is another run's: skip it.
		n, mine := RunOf(tag, r.cfg.Session)
		if !mine || n < r.run {
			r.st.Foreign++
			return
		}
		if err := r.reset(n); err != nil {
			r.log(Error, err.Error())
			return
		}
	}
	if _, ok := header(rec, HeaderEnd); ok {
		p.done, p.bound = true, Final
		return
	}
	if v, ok := header(rec, HeaderClock); ok {
		if t, err := strconv.ParseInt(v, 10, 64); err == nil && t > p.bound {
			p.bound = t
		}
		return
	}
	r.st.Consumed++
	if r.cfg.Merge {
		p.queue = append(p.queue, rec)
		return
	}
	arrival := rec.Timestamp.UnixMilli()
	if r.cfg.Clock == RealClock {
		arrival = time.Now().UnixMilli()
	}
	r.ingest(p.id, arrival, rec)
}

func (r *EngineRunner) ingest(p int32, arrival int64, rec *kgo.Record) {
	ev, err := engine.DecodeEvent(rec.Value)
	if err != nil {
		r.st.Malformed++
		if msg := err.Error(); msg != r.lastMalf {
			r.lastMalf = msg
			r.log(Warn, fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err))
		}
		return
	}
	wm := r.eng.Watermark()
	r.rateEvents++
	if r.eng.Ingest(p, arrival, ev) == engine.Late {
		if len(r.recent) >= 50 {
			r.recent = r.recent[1:]
		}
		r.recent = append(r.recent, LateEvent{ID: ev.ID, Device: ev.Device, Category: ev.Category, M1: ev.M1,
			Time: ev.Time, WindowEnd: engine.WindowEnd(ev.Time, r.cfg.Engine.Window.Milliseconds()),
			Arrival: arrival, Watermark: wm})
	}
}

// releaseMerged feeds the engine queued records in (timestamp, key,
// partition) order, as far as every partition's bound allows.
func (r *EngineRunner) releaseMerged() {
	for {
		var best *partState
		for _, p := range r.parts {
			if len(p.queue) == 0 {
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
			if len(p.queue) == 0 && p.bound <= ts {
				return // p may still hold an earlier (or tied) record
			}
		}
		best.queue[0] = nil
		best.queue = best.queue[1:]
		// Caught up, deterministically: nothing at or before this time is
		// left to read in the partition.
		for _, p := range r.parts {
			caught := len(p.queue) == 0 || p.queue[0].Timestamp.UnixMilli() > ts
			r.eng.SetCaughtUp(p.id, caught)
		}
		r.ingest(best.id, ts, head)
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

// maybeFinish flushes the engine once every partition has ended.
func (r *EngineRunner) maybeFinish() {
	if r.finished {
		return
	}
	for _, p := range r.parts {
		if !p.done || len(p.queue) > 0 {
			return
		}
	}
	r.eng.Flush()
	r.finished = true
}

func (r *EngineRunner) tick(ctx context.Context) {
	if !r.finished {
		now := r.eng.Now()
		if r.cfg.Clock == RealClock {
			now = time.Now().UnixMilli()
		}
		if now != engine.None {
			r.eng.Advance(now)
		}
	}
	r.emit(ctx)
	r.status()
}

// emit produces the engine's new results and, when the closed horizon
// moved, a progress record on every results partition.
func (r *EngineRunner) emit(ctx context.Context) {
	r.results = r.eng.Drain(r.results[:0])
	for _, res := range r.results {
		rec := &kgo.Record{Topic: r.cfg.Results, Key: []byte(res.Key.String()), Value: res.AppendJSON(nil)}
		r.tagRecord(rec)
		r.cl.Produce(ctx, rec, r.promise)
		r.st.Produced++
		r.rateResults++
	}
	cb := r.eng.ClosedBefore()
	if cb == engine.None || cb <= r.lastMarker {
		return
	}
	r.lastMarker = cb
	for p := range r.resParts {
		rec := &kgo.Record{Topic: r.cfg.Results, Partition: p, Value: progressValue(r.eng.Config().Name, cb),
			Headers: []kgo.RecordHeader{{Key: HeaderProgress, Value: []byte(strconv.FormatInt(cb, 10))}}}
		r.tagRecord(rec)
		r.cl.Produce(ctx, rec, r.promise)
	}
}

func (r *EngineRunner) tagRecord(rec *kgo.Record) {
	if r.tag != "" {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: HeaderRun, Value: []byte(r.tag)})
	}
}

func (r *EngineRunner) promise(_ *kgo.Record, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		r.log(Error, "produce result: "+err.Error())
	}
}

func (r *EngineRunner) log(l Level, text string) {
	r.bus.Publish(LogEntry{Time: time.Now(), Level: l, Role: "engine", Text: text})
}

func (r *EngineRunner) status() {
	now := time.Now()
	if d := now.Sub(r.rateMark); d >= time.Second {
		r.st.EventRate = float64(r.rateEvents) / d.Seconds()
		r.st.ResultRate = float64(r.rateResults) / d.Seconds()
		r.rateMark, r.rateEvents, r.rateResults = now, 0, 0
	}
	st := r.st
	st.Run = r.run
	st.Config = r.eng.Config()
	st.Stats = r.eng.Stats()
	st.ClosedBefore = r.eng.ClosedBefore()
	st.Finished = r.finished
	st.Recent = append([]LateEvent(nil), r.recent...)
	st.PartitionLag = make([]int64, len(r.parts))
	for i, p := range r.parts {
		lag := int64(-1)
		if p.end >= 0 {
			lag = max(p.end-p.next, 0) + int64(len(p.queue))
			st.Lag += lag
		}
		st.PartitionLag[i] = lag
	}
	if st.ClosedBefore == math.MaxInt64 {
		st.ClosedBefore = Final
	}
	r.bus.Publish(&st)
}
