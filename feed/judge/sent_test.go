package judge

import (
	"context"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The causes' evidence: key (d1, cat-1, 5 s) holds a (m1 3, sent in its
// window) and b (m1 4, sent after it); the downstream counted a only.
var (
	sentA = bus.SentEvent{Event: engine.Event{ID: "a", Device: "d1", Category: "cat-1", Time: 1000, M1: 3}, Send: 1000}
	sentB = bus.SentEvent{Event: engine.Event{ID: "b", Device: "d1", Category: "cat-1", Time: 2000, M1: 4}, Send: 8000}
)

// truthAB is the device-time truth of a and b, final.
func truthAB(tag string) *bus.TruthBatch {
	k := engine.Key{Device: "d1", Category: "cat-1", WindowEnd: 5000}
	v := []bus.TruthValue{{Key: k, Agg: engine.Agg{M1: 7, Count: 2}}}
	return &bus.TruthBatch{Run: 0, Tag: tag, ByDevice: v, BySend: v, Horizon: bus.Final, Clock: bus.Final, Done: true}
}

// In one process the judge takes the injector's sends from the bus: the
// exception gets its cause.
func TestOneProcessExceptionHasItsCause(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCluster(t, ctx, 1)
	eventBus := bus.NewBus()
	controls, err := bus.NewControls(bus.Settings{Rate: 20, Mode: engine.EventTime, Dedup: true})
	if err != nil {
		t.Fatal(err)
	}
	j := startJudge(t, ctx, Config{Downstream: "test", Session: "s", FollowControls: true}, Deps{Bus: eventBus,
		Controls: controls, Truth: NewBusTruth(eventBus), Sent: NewBusSent(eventBus),
		Down: NewKafkaDown(KafkaConfig{Events: "events", Results: "results"}, c.kc)})
	eventBus.Publish(truthAB("s/0"))
	eventBus.Publish(&bus.SentBatch{Run: 0, Tag: "s/0", Events: []bus.SentEvent{sentA, sentB}})
	c.produce(t, ctx, 0, result("d1", 5000, 3), header{kafka.HeaderRun, "s/0"})
	c.produce(t, ctx, 0, finalProgress, progress("s/0", nil, 0)...)
	st := waitStatus(t, ctx, j, "the verdict", func(st *bus.CompareStatus) bool { return st.Final })
	if exc := st.Report.Exceptions; len(exc) != 1 || exc[0].Cause != "late dropped (1)" {
		t.Fatalf("exceptions %+v, want one, late dropped (1)", exc)
	}
}

// produceEvent writes an event record sent at send to events partition 0.
func (c *cluster) produceEvent(t *testing.T, ctx context.Context, value []byte, send int64, hs ...header) {
	t.Helper()
	rec := &kgo.Record{Topic: "events", Partition: 0, Value: value, Timestamp: time.UnixMilli(send)}
	for _, h := range hs {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.k, Value: []byte(h.v)})
	}
	if err := c.prod.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// A distributed judge reads the events from the events topic in its poll
// loop: events of the judged run (verified) count, a forged one, another
// run's and a marker do not. Each of those, taken, would add an
// alternative (another moved event of m1 4).
func TestDistributedJudgeReadsTheEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCluster(t, ctx, 1)
	key, _ := kafka.NewRunKey()
	other, _ := kafka.NewRunKey()
	truthC := make(chanTruth, 8)
	ev := func(k kafka.RunKey, tag string) header { return header{kafka.HeaderRun, k.EventHeader(tag)} }
	for _, s := range []bus.SentEvent{sentA, sentB} {
		c.produceEvent(t, ctx, s.Event.AppendJSON(nil), s.Send, ev(key, "s/0"))
	}
	twin := func(id string) []byte {
		e := sentB.Event
		e.ID = id
		return e.AppendJSON(nil)
	}
	c.produceEvent(t, ctx, twin("forged"), 9000, ev(other, "s/0"))
	c.produceEvent(t, ctx, twin("other-run"), 9000, ev(key, "s/9"))
	c.produceEvent(t, ctx, twin("marker"), 9000, ev(key, "s/0"), header{kafka.HeaderClock, "9000"})
	c.produce(t, ctx, 0, result("d1", 5000, 3), ev(key, "s/0"))
	c.produce(t, ctx, 0, finalProgress, progress("s/0", key, 0)...)
	truthC <- truthAB("s/0")
	j := startJudge(t, ctx, Config{Downstream: "test", Tag: "s/0"}, Deps{Bus: bus.NewBus(), Truth: truthC,
		Down: NewKafkaDown(KafkaConfig{Events: "events", Results: "results", RunKey: key, ReadEvents: true}, c.kc)})
	st := waitStatus(t, ctx, j, "the verdict", func(st *bus.CompareStatus) bool { return st.Final })
	if exc := st.Report.Exceptions; len(exc) != 1 || exc[0].Cause != "late dropped (1)" {
		t.Fatalf("exceptions %+v, want one, late dropped (1)", exc)
	}
}

// chanDown is a downstream source a test feeds, reading the events topic.
type chanDown chan DownBatch

func (c chanDown) Start(context.Context) (int32, int32, error) { return 1, 1, nil }
func (c chanDown) readsEvents() bool                           { return true }
func (c chanDown) Run(ctx context.Context, out chan<- DownBatch) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case db := <-c:
			select {
			case out <- db:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// The events topic, far larger, is read after the results: the final
// verdict waits until the events written before the truth was done are
// read, or the causes would lack their evidence.
func TestFinalVerdictWaitsForTheEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	truthC, downC := make(chanTruth, 8), make(chanDown, 8)
	j := startJudge(t, ctx, Config{Downstream: "test", Tag: "s/0", Tick: time.Millisecond},
		Deps{Bus: bus.NewBus(), Truth: truthC, Down: downC})
	truthC <- truthAB("s/0")
	downC <- DownBatch{Results: []TaggedResult{{Tag: "s/0", Result: decoded(t, result("d1", 5000, 3))}},
		Progress: []ProgressMark{{Tag: "s/0", Closed: map[int32]int64{0: bus.Final}}}}
	st := waitStatus(t, ctx, j, "the result judged", func(st *bus.CompareStatus) bool { return st.Results == 1 })
	if st.Final {
		t.Fatalf("final before the events were read: %+v", st.Report.Exceptions)
	}
	downC <- DownBatch{Sent: []TaggedSent{{Tag: "s/0", SentEvent: sentA}, {Tag: "s/0", SentEvent: sentB}},
		EventsReadAt: time.Now()}
	st = waitStatus(t, ctx, j, "the verdict", func(st *bus.CompareStatus) bool { return st.Final })
	if exc := st.Report.Exceptions; len(exc) != 1 || exc[0].Cause != "late dropped (1)" {
		t.Fatalf("exceptions %+v, want one, late dropped (1)", exc)
	}
}
