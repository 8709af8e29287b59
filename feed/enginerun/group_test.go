package enginerun

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupRig is a real in-process broker with an events and a results topic,
// a producer writing tagged events, and the truth of what it wrote.
type groupRig struct {
	t       *testing.T
	c       *kfake.Cluster
	kc      kafka.Config
	prod    *kgo.Client
	key     kafka.RunKey
	tag     string
	truth   map[engine.Key]int64
	parts   int32
	nextSeq int
}

const (
	rigEvents  = "ev"
	rigResults = "res"
	rigDevices = 8
)

func newGroupRig(t *testing.T, parts int32) *groupRig {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, rigEvents), kfake.SeedTopics(2, rigResults))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	kc := kafka.Config{Brokers: c.ListenAddrs()}
	prod, err := kc.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	key, err := kafka.NewRunKey()
	if err != nil {
		t.Fatal(err)
	}
	return &groupRig{t: t, c: c, kc: kc, prod: prod, key: key, tag: "inj/0", truth: map[engine.Key]int64{}, parts: parts}
}

// produce writes n events per device, 100 ms of event time apart, each
// event's timestamp its device time (a virtual clock), and adds them to
// the truth. It writes one second of event time at a time, synchronously:
// a reader may see one partition's records before another's, but never
// one partition a whole idle period (SPEC §3, 6 s) behind the others. A
// batch written at once could show a reader a partition caught up at 7 s
// while another is at 20 s, and the idle rule would then rightly close the
// first partition's windows before the rest of its records arrive.
func (g *groupRig) produce(ctx context.Context, n int) {
	g.t.Helper()
	const step = 10 // events per device per write: 1 s of event time
	var recs []*kgo.Record
	flush := func() {
		if err := g.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			g.t.Fatal(err)
		}
		recs = recs[:0]
	}
	for i := range n {
		if i > 0 && i%step == 0 {
			flush()
		}
		ts := int64(g.nextSeq) * 100
		for d := range rigDevices {
			dev := fmt.Sprintf("dev-%d", d)
			ev := engine.Event{ID: fmt.Sprintf("%s-%d", dev, g.nextSeq), Device: dev, Time: ts, Category: "cat-1", M1: int64(d + 1)}
			g.truth[engine.Key{Device: dev, Category: "cat-1", WindowEnd: engine.WindowEnd(ts, 5000)}] += ev.M1
			recs = append(recs, &kgo.Record{Topic: rigEvents, Key: []byte(dev), Value: ev.AppendJSON(nil),
				Timestamp: time.UnixMilli(ts),
				Headers:   []kgo.RecordHeader{{Key: kafka.HeaderRun, Value: []byte(g.key.EventHeader(g.tag))}}})
		}
		g.nextSeq++
	}
	flush()
}

// end writes the end marker of the run to every partition.
func (g *groupRig) end(ctx context.Context) {
	g.t.Helper()
	for p := range g.parts {
		v := strconv.Itoa(0)
		rec := &kgo.Record{Topic: rigEvents, Partition: p, Value: []byte{}, Timestamp: time.UnixMilli(int64(g.nextSeq) * 100),
			Headers: []kgo.RecordHeader{{Key: kafka.HeaderEnd, Value: []byte(v)},
				{Key: kafka.HeaderRun, Value: []byte(g.key.MarkerHeader(g.tag, kafka.HeaderEnd, v, p))}}}
		if err := g.prod.ProduceSync(ctx, rec).FirstErr(); err != nil {
			g.t.Fatal(err)
		}
	}
}

// member is one engine runner in the group, running until stopped.
type member struct {
	r      *Runner
	latest *bus.Latest
	stop   context.CancelFunc
	done   chan error
}

func (g *groupRig) member(ctx context.Context, name string) *member {
	g.t.Helper()
	cfg := DefaultConfig()
	cfg.Events, cfg.Results, cfg.Group, cfg.RunKey = rigEvents, rigResults, "engines", g.key
	cfg.Clock = bus.VirtualClock
	cfg.Engine.Name = name
	return startRunner(g.t, ctx, cfg, g.kc)
}

// startRunner creates, starts and runs a runner until the test ends (or
// its member is stopped: then the test puts Run's result back in done).
func startRunner(t *testing.T, ctx context.Context, cfg Config, kc kafka.Config) *member {
	t.Helper()
	b := bus.NewBus()
	r, err := New(cfg, Deps{Kafka: kc, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		r.Close()
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	m := &member{r: r, latest: b.Watch(), stop: stop, done: make(chan error, 1)}
	go func() { m.done <- r.Run(rctx) }()
	t.Cleanup(func() { stop(); <-m.done; r.Close() })
	return m
}

// status waits until cond holds for m's status.
func (m *member) waitFor(t *testing.T, ctx context.Context, what string, cond func(*bus.EngineStatus) bool) {
	t.Helper()
	for {
		if st := m.latest.Peek().Engine; st != nil && cond(st) {
			return
		}
		select {
		case <-ctx.Done():
			snap := m.latest.Peek()
			t.Fatalf("waiting for %s: %v (last status %+v, log %v)", what, ctx.Err(), snap.Engine, snap.Logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// owned counts the partitions a status shows a lag for: those its runner owns.
func owned(st *bus.EngineStatus) int {
	n := 0
	for _, l := range st.PartitionLag {
		if l >= 0 {
			n++
		}
	}
	return n
}

// readResults reads every result record of the results topic.
func (g *groupRig) readResults(ctx context.Context) []engine.Result {
	g.t.Helper()
	cl, err := g.kc.NewClient(kgo.ConsumeTopics(rigResults), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		g.t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kafka.EndOffsets(ctx, kadm.NewClient(cl), rigResults)
	if err != nil {
		g.t.Fatal(err)
	}
	var want int64
	for _, e := range ends {
		want += e
	}
	var out []engine.Result
	for read := int64(0); read < want; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			g.t.Fatalf("read %d of %d result records", read, want)
		}
		fs.EachRecord(func(rec *kgo.Record) {
			read++
			if _, ok := kafka.Header(rec, kafka.HeaderProgress); ok {
				return
			}
			res, err := engine.DecodeResult(rec.Value)
			if err != nil {
				g.t.Fatalf("result %s: %v", rec.Value, err)
			}
			out = append(out, res)
		})
	}
	return out
}

// Two runners in one group, one closed mid-run, and a commit the broker
// refuses once: nothing is emitted twice partially (every complete result
// is the truth of its key) and nothing is lost (every key's last result is
// complete and right).
func TestGroupMembersHandOverWithoutPartialOrLostResults(t *testing.T) {
	g := newGroupRig(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var refused atomic.Int32
	g.c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.OffsetCommitRequest)
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range r.Topics {
			t := kmsg.NewOffsetCommitResponseTopic()
			t.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				p := kmsg.NewOffsetCommitResponseTopicPartition()
				p.Partition, p.ErrorCode = rp.Partition, kerr.UnknownServerError.Code
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		refused.Add(1)
		return resp, nil, true // handled once, then dropped: the next commit goes through
	})

	a := g.member(ctx, "a")
	g.produce(ctx, 200) // 20 s of event time
	a.waitFor(t, ctx, "a to read the first events", func(st *bus.EngineStatus) bool { return st.Consumed >= 200*rigDevices })

	b := g.member(ctx, "b")
	b.waitFor(t, ctx, "b to be assigned partitions", func(st *bus.EngineStatus) bool { return owned(st) > 0 })
	g.produce(ctx, 200)
	b.waitFor(t, ctx, "b to read", func(st *bus.EngineStatus) bool { return st.Consumed > 0 })

	a.stop() // closed mid-run: commits, emits its open windows as incomplete, leaves
	if err := <-a.done; err != nil {
		t.Fatalf("a stopped with %v", err)
	}
	a.done <- nil // for the cleanup
	g.produce(ctx, 200)
	g.end(ctx)
	b.waitFor(t, ctx, "b to own every partition and finish", func(st *bus.EngineStatus) bool {
		return st.Finished && owned(st) == int(g.parts)
	})
	b.stop()
	if err := <-b.done; err != nil {
		t.Fatalf("b stopped with %v", err)
	}
	b.done <- nil

	if refused.Load() != 1 {
		t.Fatalf("the refused commit was not tried (%d)", refused.Load())
	}
	results := g.readResults(ctx)
	last := map[engine.Key]engine.Result{}
	for _, r := range results {
		if !r.Incomplete && r.Agg.M1 != g.truth[r.Key] {
			t.Errorf("%v emitted complete with m1 %d, truth %d (by %s)", r.Key, r.Agg.M1, g.truth[r.Key], r.Engine)
		}
		last[r.Key] = r
	}
	for k, m1 := range g.truth {
		r, ok := last[k]
		switch {
		case !ok:
			t.Errorf("%v: no result (truth %d)", k, m1)
		case r.Incomplete || r.Agg.M1 != m1:
			t.Errorf("%v: last result %d incomplete=%v, truth %d", k, r.Agg.M1, r.Incomplete, m1)
		}
	}
	t.Logf("%d results for %d keys", len(results), len(g.truth))
}

// Defect 4: partitions added by another client (2 → 4) were never read:
// consumed froze and the pane said lag 0. A runner reads them from their
// start within seconds.
func TestRunnerReadsPartitionsAddedWhileItRuns(t *testing.T) {
	g := newGroupRig(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Events, cfg.Results, cfg.RunKey, cfg.Clock = rigEvents, rigResults, g.key, bus.VirtualClock
	m := startRunner(t, ctx, cfg, g.kc)
	g.produce(ctx, 10)
	m.waitFor(t, ctx, "the first events", func(st *bus.EngineStatus) bool { return st.Consumed == 10*rigDevices })
	if _, err := kadm.NewClient(g.prod).CreatePartitions(ctx, 2, rigEvents); err != nil {
		t.Fatal(err)
	}
	g.parts = 4
	// Written to the new partitions at once, before the runner can know
	// of them: they are read from their start.
	for p := int32(2); p < 4; p++ {
		ev := engine.Event{ID: fmt.Sprint("new-", p), Device: fmt.Sprint("new-", p), Category: "cat-1", Time: 5000, M1: 1}
		rec := &kgo.Record{Topic: rigEvents, Partition: p, Value: ev.AppendJSON(nil), Timestamp: time.UnixMilli(5000),
			Headers: []kgo.RecordHeader{{Key: kafka.HeaderRun, Value: []byte(g.key.EventHeader(g.tag))}}}
		for {
			err := g.prod.ProduceSync(ctx, rec).FirstErr()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // the producer learns of the new partitions
		}
	}
	m.waitFor(t, ctx, "the new partitions' events", func(st *bus.EngineStatus) bool {
		return st.Consumed == 10*rigDevices+2 && len(st.PartitionLag) == 4
	})
	m.stop()
	if err := <-m.done; err != nil {
		t.Fatal(err)
	}
	m.done <- nil // for the cleanup
}

// A rebalance discards the engine's state, not its counts: a member's
// accepted events go on across it (defect: a member stopped just after a
// rebalance said it had accepted 0 of the 2104 events it had read).
func TestCountsGoOnAcrossARebalance(t *testing.T) {
	g := newGroupRig(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := g.member(ctx, "a")
	g.produce(ctx, 100)
	a.waitFor(t, ctx, "a to accept every event", func(st *bus.EngineStatus) bool { return st.Stats.Accepted >= 100*rigDevices })
	b := g.member(ctx, "b")
	b.waitFor(t, ctx, "b to be assigned partitions", func(st *bus.EngineStatus) bool { return owned(st) > 0 })
	a.waitFor(t, ctx, "a to give partitions up", func(st *bus.EngineStatus) bool { return owned(st) < int(g.parts) })
	if st := a.latest.Peek().Engine; st.Stats.Accepted < 100*rigDevices {
		t.Fatalf("after the rebalance a says it accepted %d of the %d events it took", st.Stats.Accepted, 100*rigDevices)
	}
}

// A runner stopped before its next tick publishes its final status when it
// stops: the role's summary is that status, and the last tick's missed
// what was read after it (the role then reported fewer events than it read).
func TestStoppedRunnerPublishesItsFinalStatus(t *testing.T) {
	g := newGroupRig(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g.produce(ctx, 30)
	g.end(ctx)
	cfg := DefaultConfig()
	cfg.Events, cfg.Results, cfg.RunKey, cfg.Clock = rigEvents, rigResults, g.key, bus.VirtualClock
	cfg.Tick = time.Hour // no tick before the stop
	m := startRunner(t, ctx, cfg, g.kc)
	events := int64(30 * rigDevices)
	for m.r.Read() < events+int64(g.parts) { // every event and end marker read
		select {
		case <-ctx.Done():
			t.Fatalf("read %d of %d records", m.r.Read(), events+int64(g.parts))
		case <-time.After(10 * time.Millisecond):
		}
	}
	m.stop()
	if err := <-m.done; err != nil {
		t.Fatal(err)
	}
	m.done <- nil // for the cleanup
	st := m.latest.Peek().Engine
	if st == nil || st.Consumed != events || st.Produced == 0 || !st.Finished {
		t.Fatalf("status after the stop: %+v, want %d events consumed, results produced, finished", st, events)
	}
}
