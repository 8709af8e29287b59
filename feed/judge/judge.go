package judge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Config sets up the comparator role.
type Config struct {
	Downstream string // how the downstream is labelled
	Options    compare.Options
	// Session, in one process with the injector: this session's run tags,
	// following the controls' run. "" (distributed): the truth's run.
	Session string
	// Tag is the run judged when it is known up front (a distributed
	// comparator reads it from Cassandra): results of other runs are skipped
	// from the first record on.
	Tag  string
	Tick time.Duration // how often scores are settled and published [100ms]
	// IdleFinal ends the judging of a downstream that writes no progress
	// records (another engine): once the truth is final and no result has
	// come for this long. 0: only progress records end it.
	IdleFinal time.Duration
}

// TruthSource delivers the injector's truth, in order, until ctx ends.
type TruthSource interface {
	Run(ctx context.Context, out chan<- *bus.TruthBatch) error
}

// DownSource delivers a downstream's results and progress until ctx ends.
type DownSource interface {
	// Start returns how many partitions the events topic has (progress is
	// per events partition) and how many independent progress streams the
	// source has (one per results partition; 1 for a table).
	Start(ctx context.Context) (eventParts, streams int32, err error)
	Run(ctx context.Context, out chan<- DownBatch) error
}

// DownBatch is what a downstream source read.
type DownBatch struct {
	Results   []TaggedResult
	Progress  []ProgressMark
	Malformed int64
	Problem   string // the last malformed record's reason
}

// TaggedResult is a result and the run tag it came with ("" untagged).
type TaggedResult struct {
	Tag    string
	Result engine.Result
}

// ProgressMark says: in progress stream Stream, the engine has closed every
// window ending at or before Closed[p], for each events partition p.
type ProgressMark struct {
	Tag    string
	Stream int32
	Closed map[int32]int64
}

// Judge runs the comparator: truth from a TruthSource, results from a
// DownSource, the verdict published on the bus.
type Judge struct {
	cfg      Config
	bus      *bus.Bus
	controls *bus.Controls
	truth    TruthSource
	down     DownSource

	run        int
	tag        string
	dev, send  *compare.Comparator
	progress   [][]int64 // [events partition][stream] closed horizon
	sawMarks   bool
	horizon    int64
	clock      int64
	truthDone  bool
	lastResult time.Time
	st         bus.CompareStatus
	dirty      bool
	lastMalf   string
	lastStatus time.Time
	lastEvict  time.Time

	mu    sync.Mutex
	done  chan struct{}
	final *bus.CompareStatus
	last  *bus.CompareStatus
}

// LiveRows is how many exception rows a live status carries (the latest
// windows); the final verdict carries them all.
const LiveRows = 2000

// New validates cfg. controls may be nil (a headless comparator).
func New(cfg Config, eventBus *bus.Bus, controls *bus.Controls, truth TruthSource, down DownSource) (*Judge, error) {
	if eventBus == nil || truth == nil || down == nil {
		return nil, fmt.Errorf("judge: %w: bus, truth and downstream are required", bus.ErrConfig)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.IdleFinal < 0 {
		return nil, fmt.Errorf("judge: %w: idle-final %v is negative", bus.ErrConfig, cfg.IdleFinal)
	}
	j := &Judge{cfg: cfg, bus: eventBus, controls: controls, truth: truth, down: down}
	run := 0
	if controls != nil {
		run = controls.Load().Run
	}
	if err := j.reset(run, cfg.Tag); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *Judge) reset(run int, tag string) error {
	dev, err := compare.New(j.cfg.Options)
	if err != nil {
		return err
	}
	send, err := compare.New(j.cfg.Options)
	if err != nil {
		return err
	}
	j.run, j.dev, j.send = run, dev, send
	j.tag = tag
	if j.cfg.Session != "" {
		j.tag = bus.RunTag(j.cfg.Session, run)
	}
	j.horizon, j.clock, j.truthDone, j.sawMarks = engine.None, engine.None, false, false
	for _, row := range j.progress {
		for i := range row {
			row[i] = engine.None
		}
	}
	j.st = bus.CompareStatus{Run: run, Downstream: j.cfg.Downstream}
	j.dirty = true
	j.mu.Lock()
	j.done, j.final = make(chan struct{}), nil
	j.mu.Unlock()
	return nil
}

// Start prepares the downstream source.
func (j *Judge) Start(ctx context.Context) error {
	parts, streams, err := j.down.Start(ctx)
	if err != nil {
		return fmt.Errorf("judge: %w", err)
	}
	j.progress = make([][]int64, parts)
	for p := range j.progress {
		j.progress[p] = make([]int64, max(streams, 1))
		for s := range j.progress[p] {
			j.progress[p][s] = engine.None
		}
	}
	return nil
}

// Last returns the newest verdict published (final or not), or nil.
func (j *Judge) Last() *bus.CompareStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}

// Label is how the downstream is called.
func (j *Judge) Label() string { return j.cfg.Downstream }

// Done is closed once the current run has a final verdict.
func (j *Judge) Done() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done
}

// Final returns the final verdict of the current run, or nil before it.
func (j *Judge) Final() *bus.CompareStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.final
}

// Run judges until ctx ends. Start must have been called.
func (j *Judge) Run(ctx context.Context) error {
	if j.progress == nil {
		return fmt.Errorf("judge: %w: Run before Start", bus.ErrConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	truthC := make(chan *bus.TruthBatch, 64)
	downC := make(chan DownBatch, 64)
	errC := make(chan error, 2)
	go func() { errC <- j.truth.Run(ctx, truthC) }()
	go func() { errC <- j.down.Run(ctx, downC) }()
	ticker := time.NewTicker(j.cfg.Tick)
	defer ticker.Stop()
	var changed <-chan struct{}
	if j.controls != nil {
		changed = j.controls.Changed()
	}
	j.lastResult = time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errC:
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
		case tb := <-truthC:
			j.addTruth(tb)
		case db := <-downC:
			j.addDown(db)
		case <-changed:
			changed = j.controls.Changed()
			if run := j.controls.Load().Run; run > j.run {
				if err := j.reset(run, ""); err != nil {
					return err
				}
			}
		case <-ticker.C:
			j.tick()
		}
	}
}

func (j *Judge) addTruth(tb *bus.TruthBatch) {
	if tb.Run != j.run || (j.cfg.Session == "" && tb.Tag != j.tag) {
		if tb.Run < j.run && j.cfg.Session != "" {
			return // an old run's truth
		}
		if err := j.reset(tb.Run, tb.Tag); err != nil {
			j.log(bus.Error, err.Error())
			return
		}
	}
	for _, v := range tb.ByDevice {
		j.dev.SetTruth(v.Key, v.Agg)
	}
	for _, v := range tb.BySend {
		j.send.SetTruth(v.Key, v.Agg)
	}
	j.horizon = max(j.horizon, tb.Horizon)
	j.clock = max(j.clock, tb.Clock)
	j.truthDone = j.truthDone || tb.Done
	j.dirty = true
}

// mine reports whether a downstream record of run tag belongs to the run
// being judged; a newer run of the session resets the judge.
func (j *Judge) mine(tag string) bool {
	if tag == "" || tag == j.tag {
		return true
	}
	if j.cfg.Session == "" {
		return false
	}
	n, ok := bus.RunOf(tag, j.cfg.Session)
	if !ok || n < j.run {
		return false
	}
	if err := j.reset(n, ""); err != nil {
		j.log(bus.Error, err.Error())
		return false
	}
	return true
}

func (j *Judge) addDown(db DownBatch) {
	if db.Malformed > 0 {
		j.st.Malformed += db.Malformed
		if db.Problem != j.lastMalf {
			j.lastMalf = db.Problem
			j.log(bus.Warn, db.Problem)
		}
	}
	for _, m := range db.Progress {
		if (m.Tag == "" && j.tag != "") || !j.mine(m.Tag) {
			continue // progress says nothing about a run it does not name
		}
		j.sawMarks = true
		for p, c := range m.Closed {
			if p >= 0 && int(p) < len(j.progress) && m.Stream >= 0 && int(m.Stream) < len(j.progress[p]) {
				j.progress[p][m.Stream] = max(j.progress[p][m.Stream], c)
			}
		}
		j.dirty = true
	}
	for _, r := range db.Results {
		if !j.mine(r.Tag) {
			continue
		}
		j.st.Results++
		j.dev.Observe(r.Result)
		j.send.Observe(r.Result)
		j.lastResult = time.Now()
		j.dirty = true
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

func (j *Judge) tick() {
	down := j.downBefore()
	if !j.sawMarks && j.cfg.IdleFinal > 0 && j.truthDone && time.Since(j.lastResult) >= j.cfg.IdleFinal {
		down = bus.Final // a downstream without progress records, silent long enough
	}
	j.dev.Settle(j.horizon, down)
	j.send.Settle(j.clock, down)
	final := j.truthDone && down == bus.Final
	if !j.dirty && !final {
		return
	}
	if final && j.Final() != nil {
		return // already published
	}
	if !final && time.Since(j.lastStatus) < j.cfg.Tick {
		return
	}
	if time.Since(j.lastEvict) >= 10*time.Second && j.dev.Horizon() != engine.None {
		// Unbounded runs: settled, matching rows a minute behind the settle
		// horizon (final on both sides: the downstream's progress claims
		// them closed) are only counted.
		// The send-time truth settles as the clock passes (no lag), so
		// its rows go much sooner.
		j.dev.Evict(j.dev.Horizon() - 60*1000)
		if h := j.send.Horizon(); h != engine.None {
			j.send.Evict(h - 60*1000)
		}
		j.lastEvict = time.Now()
	}
	limit := LiveRows
	if final {
		limit = 0
	}
	st := j.st
	st.Run, st.Tag = j.run, j.tag
	st.Report = j.dev.ReportLimit(final, limit)
	sr := j.send.ReportLimit(final, 1)
	st.SendTime = sr.Settled
	if !final {
		st.SendTime = sr.Provisional
	}
	st.Horizon = j.dev.Horizon()
	st.Final = final
	j.bus.Publish(&st)
	j.dirty, j.lastStatus = false, time.Now()
	j.mu.Lock()
	j.last = &st
	if final {
		j.final = &st
		close(j.done)
	}
	j.mu.Unlock()
}

func (j *Judge) log(l bus.Level, text string) {
	j.bus.Publish(bus.LogEntry{Time: time.Now(), Level: l, Role: "compare", Text: text})
}

// BusTruth is the truth of an injector in the same process.
type BusTruth struct {
	bus *bus.Bus
	sub *bus.Sub
}

// NewBusTruth subscribes at once, so nothing published later is missed.
func NewBusTruth(eventBus *bus.Bus) *BusTruth {
	return &BusTruth{bus: eventBus, sub: eventBus.Subscribe(64, func(m any) bool { _, ok := m.(*bus.TruthBatch); return ok })}
}

// Run forwards the truth until ctx ends, then unsubscribes.
func (t *BusTruth) Run(ctx context.Context, out chan<- *bus.TruthBatch) error {
	defer t.bus.Unsubscribe(t.sub)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-t.sub.C():
			select {
			case out <- m.(*bus.TruthBatch):
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// KafkaDown reads a results topic: results and progress records.
type KafkaDown struct {
	kc              kafka.Config
	events, results string
	fromEnd         bool
	cl              *kgo.Client
}

// NewKafkaDown reads topic results; events names the events topic (its
// partition count shapes the progress records).
func NewKafkaDown(kc kafka.Config, events, results string, fromEnd bool) *KafkaDown {
	return &KafkaDown{kc: kc, events: events, results: results, fromEnd: fromEnd}
}

// Start connects and finds the partitions.
func (k *KafkaDown) Start(ctx context.Context) (int32, int32, error) {
	cl, err := k.kc.NewClient()
	if err != nil {
		return 0, 0, err
	}
	k.cl = cl
	ev, err := kafka.PartitionCount(ctx, cl, k.events)
	if err != nil {
		return 0, 0, err
	}
	n, err := kafka.PartitionCount(ctx, cl, k.results)
	if err != nil {
		return 0, 0, err
	}
	start := map[int32]int64{}
	if k.fromEnd {
		if start, err = kafka.EndOffsets(ctx, kadm.NewClient(cl), k.results); err != nil {
			return 0, 0, fmt.Errorf("start offsets of %s: %w", k.results, err)
		}
	}
	offsets := make(map[int32]kgo.Offset, n)
	for p := range n {
		offsets[p] = kgo.NewOffset().At(start[p])
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{k.results: offsets})
	return ev, n, nil
}

// Run reads until ctx ends, then closes the client.
func (k *KafkaDown) Run(ctx context.Context, out chan<- DownBatch) error {
	defer k.cl.Close()
	for {
		fs := k.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var db DownBatch
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, kgo.ErrClientClosed) {
				db.Problem = fmt.Sprintf("fetch %s/%d: %v", t, p, err)
			}
		})
		fs.EachRecord(func(rec *kgo.Record) {
			tag, _ := kafka.Header(rec, kafka.HeaderRun)
			if _, ok := kafka.Header(rec, kafka.HeaderProgress); ok {
				closed, err := kafka.ParseProgress(rec.Value)
				if err != nil {
					db.Malformed++
					db.Problem = fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err)
					return
				}
				db.Progress = append(db.Progress, ProgressMark{Tag: tag, Stream: rec.Partition, Closed: closed})
				return
			}
			res, err := engine.DecodeResult(rec.Value)
			if err != nil {
				db.Malformed++
				db.Problem = fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err)
				return
			}
			db.Results = append(db.Results, TaggedResult{Tag: tag, Result: res})
		})
		if len(db.Results) == 0 && len(db.Progress) == 0 && db.Malformed == 0 && db.Problem == "" {
			continue
		}
		select {
		case out <- db:
		case <-ctx.Done():
			return nil
		}
	}
}
