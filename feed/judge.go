package feed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// JudgeConfig sets up the comparator role.
type JudgeConfig struct {
	Results    string // topic of downstream results [aggregates]
	Downstream string // how the downstream is labelled
	Options    compare.Options
	Session    string // accept only this session's run tags ("" accepts all)
	FromEnd    bool   // start at the results topic's end offsets
	Tick       time.Duration
}

// LiveRows is how many exception rows a live status carries (the latest
// windows); the final verdict carries them all.
const LiveRows = 2000

// Judge runs the comparator: truth from the bus, results from a Kafka
// topic, the verdict published on the bus.
type Judge struct {
	cfg      JudgeConfig
	cl       *kgo.Client
	adm      *kadm.Client
	bus      *Bus
	controls *Controls
	truth    *Sub

	run        int
	tag        string
	dev, send  *compare.Comparator
	progress   []int64
	parts      []int32
	horizon    int64
	clock      int64
	truthDone  bool
	st         CompareStatus
	dirty      bool
	lastMalf   string
	lastStatus time.Time
	lastEvict  time.Time

	mu    sync.Mutex
	done  chan struct{}
	final *CompareStatus
}

// NewJudge validates cfg and subscribes to the truth at once, so that no
// truth published before Run is missed.
func NewJudge(cfg JudgeConfig, cl *kgo.Client, bus *Bus, controls *Controls) (*Judge, error) {
	if cl == nil || bus == nil || controls == nil {
		return nil, errors.New("judge: client, bus and controls are required")
	}
	if cfg.Results == "" {
		return nil, errors.New("judge: results topic is required")
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Downstream == "" {
		cfg.Downstream = "topic " + cfg.Results
	}
	j := &Judge{cfg: cfg, cl: cl, adm: kadm.NewClient(cl), bus: bus, controls: controls}
	if err := j.reset(controls.Load().Run); err != nil {
		return nil, err
	}
	j.truth = bus.Subscribe(64, func(m any) bool { _, ok := m.(*TruthBatch); return ok })
	return j, nil
}

func (j *Judge) reset(run int) error {
	dev, err := compare.New(j.cfg.Options)
	if err != nil {
		return err
	}
	send, err := compare.New(j.cfg.Options)
	if err != nil {
		return err
	}
	j.run, j.dev, j.send = run, dev, send
	j.tag = ""
	if j.cfg.Session != "" {
		j.tag = RunTag(j.cfg.Session, run)
	}
	j.horizon, j.clock, j.truthDone = engine.None, engine.None, false
	for i := range j.progress {
		j.progress[i] = engine.None
	}
	j.st = CompareStatus{Run: run, Downstream: j.cfg.Downstream}
	j.dirty = true
	j.mu.Lock()
	j.done, j.final = make(chan struct{}), nil
	j.mu.Unlock()
	return nil
}

// Start finds the results partitions and starts reading them.
func (j *Judge) Start(ctx context.Context) error {
	n, err := PartitionCount(ctx, j.cl, j.cfg.Results)
	if err != nil {
		return fmt.Errorf("judge: %w", err)
	}
	start := map[int32]int64{}
	if j.cfg.FromEnd {
		if start, err = EndOffsets(ctx, j.adm, j.cfg.Results); err != nil {
			return fmt.Errorf("judge: start offsets: %w", err)
		}
	}
	offsets := make(map[int32]kgo.Offset, n)
	j.progress = make([]int64, n)
	for p := range n {
		offsets[p] = kgo.NewOffset().At(start[p])
		j.progress[p] = engine.None
	}
	j.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{j.cfg.Results: offsets})
	return nil
}

// Done is closed once the current run has a final verdict.
func (j *Judge) Done() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done
}

// Final returns the final verdict of the current run, or nil before it.
func (j *Judge) Final() *CompareStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.final
}

// Run judges until ctx ends. Start must have been called.
func (j *Judge) Run(ctx context.Context) error {
	defer j.bus.Unsubscribe(j.truth)
	if j.progress == nil {
		return errors.New("judge: Run before Start")
	}
	fetchC := make(chan kgo.Fetches)
	go func() {
		for {
			fs := j.cl.PollFetches(ctx)
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
	ticker := time.NewTicker(j.cfg.Tick)
	defer ticker.Stop()
	changed := j.controls.Changed()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-j.truth.C():
			j.addTruth(m.(*TruthBatch))
		case fs := <-fetchC:
			j.handleFetches(fs)
		case <-changed:
			changed = j.controls.Changed()
			if run := j.controls.Load().Run; run > j.run {
				if err := j.reset(run); err != nil {
					return err
				}
			}
		case <-ticker.C:
			j.tick()
		}
	}
}

func (j *Judge) addTruth(tb *TruthBatch) {
	if tb.Run != j.run {
		if tb.Run < j.run {
			return // an old run's truth
		}
		if err := j.reset(tb.Run); err != nil {
			j.log(Error, err.Error())
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

func (j *Judge) handleFetches(fs kgo.Fetches) {
	fs.EachError(func(t string, p int32, err error) {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, kgo.ErrClientClosed) {
			j.log(Warn, fmt.Sprintf("fetch %s/%d: %v", t, p, err))
		}
	})
	fs.EachRecord(func(rec *kgo.Record) {
		if tag, ok := header(rec, HeaderRun); ok && j.tag != "" && tag != j.tag {
			n, mine := RunOf(tag, j.cfg.Session)
			if !mine || n < j.run {
				return // another run's result
			}
			if err := j.reset(n); err != nil {
				j.log(Error, err.Error())
				return
			}
		}
		if v, ok := header(rec, HeaderProgress); ok {
			if t, err := strconv.ParseInt(v, 10, 64); err == nil && rec.Partition >= 0 && int(rec.Partition) < len(j.progress) {
				j.progress[rec.Partition] = max(j.progress[rec.Partition], t)
				j.dirty = true
			}
			return
		}
		res, err := engine.DecodeResult(rec.Value)
		if err != nil {
			j.st.Malformed++
			if msg := err.Error(); msg != j.lastMalf {
				j.lastMalf = msg
				j.log(Warn, fmt.Sprintf("%s/%d@%d skipped: %v", rec.Topic, rec.Partition, rec.Offset, err))
			}
			return
		}
		j.st.Results++
		j.dev.Observe(res)
		j.send.Observe(res)
		j.dirty = true
	})
}

// downBefore is the downstream's settle horizon: the least progress over
// the results partitions.
func (j *Judge) downBefore() int64 {
	h := int64(Final)
	for _, p := range j.progress {
		h = min(h, p)
	}
	return h
}

func (j *Judge) tick() {
	down := j.downBefore()
	j.dev.Settle(j.horizon, down)
	j.send.Settle(j.clock, down)
	final := j.truthDone && down == Final
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
		// Unbounded runs: settled, matching rows older than 30 minutes are
		// only counted.
		h := j.dev.Horizon() - 30*60*1000
		j.dev.Evict(h)
		j.send.Evict(h)
		j.lastEvict = time.Now()
	}
	limit := LiveRows
	if final {
		limit = 0
	}
	st := j.st
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
	if final {
		j.mu.Lock()
		j.final = &st
		close(j.done)
		j.mu.Unlock()
	}
}

func (j *Judge) log(l Level, text string) {
	j.bus.Publish(LogEntry{Time: time.Now(), Level: l, Role: "compare", Text: text})
}
