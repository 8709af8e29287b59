package judge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Start prepares the downstream source.
func (j *Judge) Start(ctx context.Context) error {
	parts, streams, err := j.deps.Down.Start(ctx)
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

// Run judges until ctx ends. Start must have been called.
func (j *Judge) Run(ctx context.Context) error {
	if j.progress == nil {
		return fmt.Errorf("judge: %w: Run before Start", bus.ErrConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	truthC := make(chan *bus.TruthBatch, 64)
	downC := make(chan DownBatch, 64)
	sentC := make(chan *bus.SentBatch, 64)
	errC := make(chan error, 3)
	go func() { errC <- j.deps.Truth.Run(ctx, truthC) }()
	go func() { errC <- j.deps.Down.Run(ctx, downC) }()
	if j.deps.Sent != nil {
		go func() { errC <- j.deps.Sent.Run(ctx, sentC) }()
	}
	ticker := time.NewTicker(j.cfg.Tick)
	defer ticker.Stop()
	var changed <-chan struct{}
	if j.deps.Controls != nil {
		changed = j.deps.Controls.Changed()
	}
	j.lastResult = j.now()
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
		case sb := <-sentC:
			j.addSent(sb)
		case <-changed:
			changed = j.deps.Controls.Changed()
			if run := j.deps.Controls.Load().Run; run > j.run {
				j.reset(run, "")
			}
		case <-ticker.C:
			j.tick()
		}
	}
}

// KafkaConfig sets up a results topic as a downstream.
type KafkaConfig struct {
	Events  string // the events topic: its partition count shapes the progress records
	Results string
	FromEnd bool // read only what is written from now on
	// RunKey verifies the run headers of results (EventHeader) and of
	// progress records (MarkerHeader with the progress header's value and
	// the results partition). nil takes plain tags (SPEC §6).
	RunKey kafka.RunKey
	// ReadEvents also reads the events topic, from its log start (or its
	// end with FromEnd), in the same poll loop: a distributed judge's
	// evidence for causes (SPEC §4). Events' run headers are verified with
	// RunKey as the engine does.
	ReadEvents bool
}

// KafkaDown reads a results topic: results and progress records.
type KafkaDown struct {
	cfg   KafkaConfig
	kc    kafka.Config
	cl    *kgo.Client
	start map[int32]int64
	last  lastVerdict // owned by Run's loop
	// The events topic (ReadEvents): where each partition is read from,
	// the last run header verified and the decoder, owned by Run's loop.
	evStart   map[int32]int64
	lastEvent lastVerdict
	dec       *engine.Decoder
	evRead    eventsRead
	adm       *kadm.Client
}

// NewKafkaDown reads cfg.Results on the cluster kc.
func NewKafkaDown(cfg KafkaConfig, kc kafka.Config) *KafkaDown {
	return &KafkaDown{cfg: cfg, kc: kc}
}

// Start connects and finds the partitions and where to read them from:
// the end, or the log start (a partition read from there and found deleted
// under the reader later is lost input, not a reset).
func (k *KafkaDown) Start(ctx context.Context) (int32, int32, error) {
	// No reset: records deleted before they are read are an error the
	// judge reports, not a silent jump to the new log start.
	// Read committed: a transactional writer (Kafka Streams exactly_once_v2)
	// is judged on what it committed, not on what it aborted.
	cl, err := k.kc.NewClient(kgo.ConsumeResetOffset(kgo.NoResetOffset()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return 0, 0, err
	}
	k.cl = cl
	ev, err := kafka.PartitionCount(ctx, cl, k.cfg.Events)
	if err != nil {
		return 0, 0, err
	}
	n, err := kafka.PartitionCount(ctx, cl, k.cfg.Results)
	if err != nil {
		return 0, 0, err
	}
	adm := kadm.NewClient(cl)
	k.adm = adm
	if k.cfg.FromEnd {
		k.start, err = kafka.EndOffsets(ctx, adm, k.cfg.Results)
	} else {
		k.start, err = startOffsets(ctx, adm, k.cfg.Results)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("start offsets of %s: %w", k.cfg.Results, err)
	}
	if k.cfg.ReadEvents {
		if k.cfg.FromEnd {
			k.evStart, err = kafka.EndOffsets(ctx, adm, k.cfg.Events)
		} else {
			k.evStart, err = startOffsets(ctx, adm, k.cfg.Events)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("start offsets of %s: %w", k.cfg.Events, err)
		}
	}
	return ev, n, nil
}

func startOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	lo, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			out[o.Partition] = o.Offset
		}
	})
	return out, nil
}

// Run reads until ctx ends, then closes the client.
func (k *KafkaDown) Run(ctx context.Context, out chan<- DownBatch) error {
	defer k.cl.Close()
	topics := []string{k.cfg.Results}
	if k.cfg.ReadEvents && k.cfg.Events != k.cfg.Results {
		topics = append(topics, k.cfg.Events)
	}
	loop := kafka.Loop{Client: k.cl, Assign: topics, Wait: 500 * time.Millisecond,
		Start: func(topic string, p int32) int64 {
			if topic == k.cfg.Results {
				return k.start[p]
			}
			return k.evStart[p]
		}}
	return loop.Run(ctx, func(fs kgo.Fetches) {
		db := k.batch(fs)
		if k.cfg.ReadEvents {
			k.readUpTo(ctx, &db)
		}
		if len(db.Results) == 0 && len(db.Progress) == 0 && db.Malformed == 0 && db.Problem == "" &&
			db.Foreign == 0 && db.Lost == "" && len(db.Sent) == 0 && db.EventsReadAt.IsZero() {
			return
		}
		select {
		case out <- db:
		case <-ctx.Done():
		}
	})
}

// batch sorts a fetch into results, progress marks and foreign records.
func (k *KafkaDown) batch(fs kgo.Fetches) DownBatch {
	var db DownBatch
	fs.EachError(func(t string, p int32, err error) {
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, kgo.ErrClientClosed):
		case t != k.cfg.Results:
			// The events topic only explains exceptions: losing some of it
			// costs causes, never the verdict.
			db.Problem = fmt.Sprintf("fetch %s/%d (events read for causes): %v", t, p, err)
			if errors.Is(err, kerr.OffsetOutOfRange) || errors.Is(err, kerr.UnknownTopicOrPartition) {
				k.evRead.broken = true
			}
		case errors.Is(err, kerr.OffsetOutOfRange), errors.Is(err, kerr.UnknownTopicOrPartition):
			db.Lost = fmt.Sprintf("%s/%d: %v (records were deleted before they were read)", t, p, err)
		default:
			db.Problem = fmt.Sprintf("fetch %s/%d: %v", t, p, err)
		}
	})
	fs.EachRecord(func(rec *kgo.Record) {
		if rec.Topic == k.cfg.Results {
			k.record(rec, &db)
		} else {
			k.eventRecord(rec, &db)
		}
	})
	return db
}

// verifyResult verifies a result's run header; every result of a run
// carries the same value, so the last verdict is kept (one MAC per run).
func (k *KafkaDown) verifyResult(v string) (string, bool) {
	if v != k.last.value || v == "" {
		tag, ok := k.cfg.RunKey.VerifyEvent(v)
		k.last = lastVerdict{value: v, tag: tag, ok: ok}
	}
	return k.last.tag, k.last.ok
}

// lastVerdict is what verifying a run header said.
type lastVerdict struct {
	value, tag string
	ok         bool
}

// record books one record of the results topic.
func (k *KafkaDown) record(rec *kgo.Record, db *DownBatch) {
	runV, tagged := kafka.Header(rec, kafka.HeaderRun)
	progV, progress := kafka.Header(rec, kafka.HeaderProgress)
	if otherStreamtopHeader(rec) {
		db.Foreign++ // an end or clock marker has no business here
		return
	}
	var tag string
	if tagged {
		var ok bool
		if progress {
			tag, ok = k.cfg.RunKey.VerifyMarker(runV, kafka.HeaderProgress, progV, rec.Partition)
		} else {
			tag, ok = k.verifyResult(runV)
		}
		if !ok {
			db.Foreign++
			return
		}
	} else if progress && k.cfg.RunKey != nil {
		db.Foreign++ // an untagged progress record cannot be checked
		return
	}
	if progress {
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
	db.Results = append(db.Results, TaggedResult{Tag: tag, Result: res, At: rec.Timestamp.UnixMilli()})
}

// otherStreamtopHeader reports a streamtop header other than the run and
// progress ones.
func otherStreamtopHeader(rec *kgo.Record) bool {
	for _, h := range rec.Headers {
		if strings.HasPrefix(h.Key, "streamtop-") && h.Key != kafka.HeaderRun && h.Key != kafka.HeaderProgress {
			return true
		}
	}
	return false
}
