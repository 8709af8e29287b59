package judge

import (
	"context"
	"github.com/streamtop/streamtop/feed/kafka/kafkatest"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cluster is an embedded broker with an events and a results topic.
type cluster struct {
	kc   kafka.Config
	prod *kgo.Client
	adm  *kadm.Client
}

func newCluster(t *testing.T, ctx context.Context, parts int32) *cluster {
	t.Helper()
	b := kafkatest.Start(t, ctx, parts, "events", "results")
	return &cluster{kc: b.Config, prod: b.Prod, adm: b.Adm}
}

// header is one record header.
type header struct{ k, v string }

// produce writes a record to results partition p.
func (c *cluster) produce(t *testing.T, ctx context.Context, p int32, value []byte, hs ...header) {
	t.Helper()
	rec := &kgo.Record{Topic: "results", Partition: p, Value: value}
	for _, h := range hs {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.k, Value: []byte(h.v)})
	}
	if err := c.prod.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// result is the wire form of a result of m1 for device d at window end w.
func result(d string, w, m1 int64) []byte {
	return engine.Result{Key: engine.Key{Device: d, Category: "cat-1", WindowEnd: w},
		Agg: engine.Agg{M1: m1, Count: 1}, Engine: "test"}.AppendJSON(nil)
}

// truth is a truth batch of one key per device, m1 each.
func truth(run int, tag string, done bool, devices []string, w, m1 int64) *bus.TruthBatch {
	tb := &bus.TruthBatch{Run: run, Tag: tag, Horizon: w, Clock: w, Done: done}
	if done {
		tb.Horizon, tb.Clock = bus.Final, bus.Final
	}
	for _, d := range devices {
		k := engine.Key{Device: d, Category: "cat-1", WindowEnd: w}
		tb.ByDevice = append(tb.ByDevice, bus.TruthValue{Key: k, Agg: engine.Agg{M1: m1, Count: 1}})
		tb.BySend = append(tb.BySend, bus.TruthValue{Key: k, Agg: engine.Agg{M1: m1, Count: 1}})
	}
	return tb
}

// chanTruth is a distributed truth source a test feeds.
type chanTruth chan *bus.TruthBatch

func (c chanTruth) Run(ctx context.Context, out chan<- *bus.TruthBatch) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case tb := <-c:
			select {
			case out <- tb:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// startJudge builds, starts and runs a judge until the test ends.
func startJudge(t *testing.T, ctx context.Context, cfg Config, deps Deps) *Judge {
	t.Helper()
	j, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	errC := make(chan error, 1)
	go func() { errC <- j.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errC; err != nil {
			t.Errorf("judge: %v", err)
		}
	})
	return j
}

// waitStatus waits for a published status that satisfies ok.
func waitStatus(t *testing.T, ctx context.Context, j *Judge, what string, ok func(*bus.CompareStatus) bool) *bus.CompareStatus {
	t.Helper()
	for {
		if st := j.Last(); st != nil && ok(st) {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: never came; last status %+v", what, j.Last())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func decoded(t *testing.T, b []byte) engine.Result {
	t.Helper()
	r, err := engine.DecodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
