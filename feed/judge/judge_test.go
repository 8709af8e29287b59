package judge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
)

func progress(tag string, key kafka.RunKey, p int32) []header {
	return []header{{kafka.HeaderProgress, "1"}, {kafka.HeaderRun, key.MarkerHeader(tag, kafka.HeaderProgress, "1", p)}}
}

var finalProgress = kafka.ProgressValue("test", map[int32]int64{0: bus.Final})

// finalBoth closes every window of both events partitions.
var finalBoth = kafka.ProgressValue("test", map[int32]int64{0: bus.Final, 1: bus.Final})

// Defect 1: one record tagged <session>/99 moved the comparator to run 99
// for good (every real result then foreign, "0 exceptions out of 0", and a
// reset could not bring it back). In one process the run moves only with
// the controls: the record is foreign, the verdict is the real one, and a
// reset's first results (read before the judge hears of the reset) count.
func TestOneProcessRecordNeverMovesTheRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCluster(t, ctx, 1)
	eventBus := bus.NewBus()
	controls, err := bus.NewControls(bus.Settings{Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	j := startJudge(t, ctx, Config{Downstream: "test", Session: "s"}, Deps{Bus: eventBus, Controls: controls,
		Truth: NewBusTruth(eventBus), Down: NewKafkaDown(KafkaConfig{Events: "events", Results: "results"}, c.kc)})
	eventBus.Publish(truth(0, "s/0", true, []string{"d1", "d2"}, 5000, 3))
	run := func(tag string) header { return header{kafka.HeaderRun, tag} }
	c.produce(t, ctx, 0, result("d1", 5000, 3), run("s/0"))
	c.produce(t, ctx, 0, result("d9", 5000, 7), run("s/99")) // the hijack
	c.produce(t, ctx, 0, result("d2", 5000, 3), run("s/0"))
	c.produce(t, ctx, 0, finalProgress, progress("s/0", nil, 0)...)
	st := waitStatus(t, ctx, j, "run 0's verdict", func(st *bus.CompareStatus) bool { return st.Final })
	if st.Run != 0 || st.Report.Settled != (compare.Score{Exceptions: 0, Keys: 2}) || st.Foreign != 1 {
		t.Fatalf("verdict: run %d tag %q score %v foreign %d; want run 0, 0 exceptions out of 2, 1 foreign",
			st.Run, st.Tag, st.Report.Settled, st.Foreign)
	}

	// A reset: its results come before its truth, maybe before the judge
	// hears of the reset.
	controls.Apply(bus.Reset)
	c.produce(t, ctx, 0, result("d3", 10000, 4), run("s/1"))
	c.produce(t, ctx, 0, finalProgress, progress("s/1", nil, 0)...)
	eventBus.Publish(truth(1, "s/1", true, []string{"d3"}, 10000, 4))
	st = waitStatus(t, ctx, j, "run 1's verdict", func(st *bus.CompareStatus) bool { return st.Final && st.Run == 1 })
	if st.Report.Settled != (compare.Score{Exceptions: 0, Keys: 1}) {
		t.Fatalf("run 1: %v, want 0 exceptions out of 1", st.Report.Settled)
	}
}

// Across hosts, with a shared key: results and progress records count only
// with the key's MAC for the judged run (a plain tag, a hijack tag, another
// key's MAC, an event's header on a progress record, a progress header
// written to another partition are all foreign), and the judge never goes
// back to a run it left, even for authentic records of it.
func TestDistributedJudgeTakesOnlyVerifiedRecords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCluster(t, ctx, 2)
	key, _ := kafka.NewRunKey()
	other, _ := kafka.NewRunKey()
	truthC := make(chanTruth, 8)
	j := startJudge(t, ctx, Config{Downstream: "test", Tag: "s/0"}, Deps{Bus: bus.NewBus(), Truth: truthC,
		Down: NewKafkaDown(KafkaConfig{Events: "events", Results: "results", RunKey: key}, c.kc)})
	truthC <- truth(0, "s/0", true, []string{"d1", "d2"}, 5000, 3)
	ev := func(k kafka.RunKey, tag string) header { return header{kafka.HeaderRun, k.EventHeader(tag)} }
	c.produce(t, ctx, 0, result("d1", 5000, 3), ev(key, "s/0"))
	forged := []struct {
		name  string
		p     int32
		value []byte
		hs    []header
	}{
		{"plain tag", 0, result("d2", 5000, 99), []header{{kafka.HeaderRun, "s/0"}}},
		{"other key", 0, result("d2", 5000, 99), []header{ev(other, "s/0")}},
		{"hijack", 0, result("d9", 5000, 1), []header{{kafka.HeaderRun, "s/99"}}},
		{"event header on progress", 0, finalBoth, []header{{kafka.HeaderProgress, "1"}, ev(key, "s/0")}},
		{"progress of partition 1 on 0", 0, finalBoth, progress("s/0", key, 1)},
		{"untagged progress", 1, finalBoth, []header{{kafka.HeaderProgress, "1"}}},
		{"end marker", 1, []byte{}, []header{{kafka.HeaderEnd, "0"}, ev(key, "s/0")}},
	}
	for _, f := range forged {
		c.produce(t, ctx, f.p, f.value, f.hs...)
	}
	waitStatus(t, ctx, j, "the forgeries counted", func(st *bus.CompareStatus) bool { return st.Foreign == int64(len(forged)) })
	if f := j.Final(); f != nil {
		t.Fatalf("a forged record ended the run: %+v", f)
	}
	c.produce(t, ctx, 1, result("d2", 5000, 3), ev(key, "s/0"))
	c.produce(t, ctx, 0, finalBoth, progress("s/0", key, 0)...)
	c.produce(t, ctx, 1, finalBoth, progress("s/0", key, 1)...)
	st := waitStatus(t, ctx, j, "run s/0's verdict", func(st *bus.CompareStatus) bool { return st.Final })
	if st.Tag != "s/0" || st.Report.Settled != (compare.Score{Exceptions: 0, Keys: 2}) {
		t.Fatalf("verdict %q: %v, want s/0: 0 exceptions out of 2 (%+v)", st.Tag, st.Report.Settled, st.Report.Exceptions)
	}

	// The truth moves to s/1; an authentic record of s/0 (replayed) and s/0's
	// truth again do not take the judge back.
	truthC <- truth(0, "s/1", false, []string{"d3"}, 10000, 4)
	waitStatus(t, ctx, j, "run s/1", func(st *bus.CompareStatus) bool { return st.Tag == "s/1" })
	c.produce(t, ctx, 0, result("d3", 10000, 99), ev(key, "s/0"))
	truthC <- truth(0, "s/0", true, []string{"d1", "d2"}, 5000, 3)
	truthC <- truth(0, "s/1", true, []string{"d3"}, 10000, 4)
	c.produce(t, ctx, 0, result("d3", 10000, 4), ev(key, "s/1"))
	for p := range int32(2) {
		c.produce(t, ctx, p, finalBoth, progress("s/1", key, p)...)
	}
	st = waitStatus(t, ctx, j, "run s/1's verdict", func(st *bus.CompareStatus) bool { return st.Final && st.Tag == "s/1" })
	if st.Report.Settled != (compare.Score{Exceptions: 0, Keys: 1}) {
		t.Fatalf("s/1: %v, want 0 exceptions out of 1 (%+v)", st.Report.Settled, st.Report.Exceptions)
	}
}

// Defect 14, judge side: results deleted before the judge read them (the
// broker's retention) used to be skipped silently, the judge resuming at the
// new log start and giving a verdict on what was left. It now says the input
// was lost and gives none.
func TestJudgeSaysItsInputWasLost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCluster(t, ctx, 1)
	var devices []string
	for i := range 10 {
		d := "d" + string(rune('0'+i))
		devices = append(devices, d)
		c.produce(t, ctx, 0, result(d, 5000, 3), header{kafka.HeaderRun, "s/0"})
	}
	c.produce(t, ctx, 0, finalProgress, progress("s/0", nil, 0)...)
	truthC := make(chanTruth, 1)
	truthC <- truth(0, "s/0", true, devices, 5000, 3)
	eventBus := bus.NewBus()
	logs := eventBus.Watch()
	j, err := New(Config{Downstream: "test", Tag: "s/0"}, Deps{Bus: eventBus, Truth: truthC,
		Down: NewKafkaDown(KafkaConfig{Events: "events", Results: "results"}, c.kc)})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Retention deletes the first half before the judge reads it.
	var del kadm.Offsets
	del.AddOffset("results", 0, 5, -1)
	if _, err := c.adm.DeleteRecords(ctx, del); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	go j.Run(rctx)
	select {
	case <-j.Done():
	case <-ctx.Done():
		t.Fatalf("no last word; last status %+v", j.Last())
	}
	f := j.Final()
	if f == nil || f.Final || !strings.Contains(f.Err, "input lost") {
		t.Fatalf("last word %+v: want no verdict and an error saying the input was lost", f)
	}
	found := false
	for _, l := range logs.Peek().Logs {
		found = found || (l.Level == bus.Error && strings.Contains(l.Text, "input lost"))
	}
	if !found {
		t.Errorf("no error logged: %+v", logs.Peek().Logs)
	}
}

// fakeDown is a downstream with nothing to say.
type fakeDown struct{}

func (fakeDown) Start(context.Context) (int32, int32, error) { return 1, 1, nil }
func (fakeDown) Run(ctx context.Context, _ chan<- DownBatch) error {
	<-ctx.Done()
	return nil
}

// IdleFinal ends the judging of a downstream without progress records once
// it has been silent that long after the truth is final; progress records
// turn it off.
func TestIdleFinal(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		silent  time.Duration
		marks   bool
		wantEnd bool
	}{
		{"silent for less", 5*time.Second - time.Millisecond, false, false},
		{"silent for idle-final", 5 * time.Second, false, true},
		{"silent long, but with progress records", time.Hour, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := t0
			j, err := New(Config{IdleFinal: 5 * time.Second, Tag: "s/0"}, Deps{Bus: bus.NewBus(), Truth: make(chanTruth),
				Down: fakeDown{}, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			j.addTruth(truth(0, "s/0", true, []string{"d1"}, 5000, 3))
			j.addDown(DownBatch{Results: []TaggedResult{{Tag: "s/0", Result: decoded(t, result("d1", 5000, 3))}}})
			if c.marks {
				j.addDown(DownBatch{Progress: []ProgressMark{{Tag: "s/0", Closed: map[int32]int64{0: 0}}}})
			}
			now = now.Add(c.silent)
			j.tick()
			if got := j.Final() != nil; got != c.wantEnd {
				t.Fatalf("ended %v, want %v", got, c.wantEnd)
			}
		})
	}
}

// A peer writes no progress records (SPEC §9): its side of window end E
// settles once it has emitted a window ending after E + lateness, or has
// been silent for idle after a result; nothing before its first result.
func TestPeerSettles(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	j, err := New(Config{Tag: "s/0", Peer: &PeerSettle{Lateness: 5 * time.Second, Idle: 6 * time.Second}},
		Deps{Bus: bus.NewBus(), Truth: make(chanTruth), Down: fakeDown{}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int64{5000, 10000, 15000} {
		j.addTruth(truth(0, "s/0", true, []string{"d1"}, w, 3))
	}
	settled := func() int {
		j.tick()
		return j.dev.Report(false).Settled.Keys
	}
	if n := settled(); n != 0 {
		t.Fatalf("before any result: %d keys settled", n)
	}
	say := func(w int64) {
		j.addDown(DownBatch{Results: []TaggedResult{{Tag: "s/0", Result: decoded(t, result("d1", w, 3))}}})
	}
	say(5000)
	say(10000)
	if n := settled(); n != 0 {
		t.Fatalf("latest window 10 s, lateness 5 s: %d keys settled, want none (5 s is not after 5 s + 5 s)", n)
	}
	now = now.Add(time.Second)
	say(15000)
	if n := settled(); n != 1 {
		t.Fatalf("latest window 15 s: %d keys settled, want 1 (5 s; 15 s is not after 10 s + 5 s)", n)
	}
	say(20000)
	if n := settled(); n != 2 {
		t.Fatalf("latest window 20 s: %d keys settled, want 2 (5 s and 10 s)", n)
	}
	now = now.Add(6*time.Second - time.Millisecond)
	if n := settled(); n != 2 {
		t.Fatalf("silent for less than idle: %d keys settled", n)
	}
	now = now.Add(time.Millisecond)
	if n := settled(); n != 4 {
		t.Fatalf("silent for idle: %d keys settled, want all 4", n)
	}
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	if r := m.per(10_000, 5); r != 0 {
		t.Fatalf("first sample: %v", r)
	}
	if r := m.per(10_500, 50); r != 0 {
		t.Fatalf("half a second later: %v (want no new rate yet)", r)
	}
	if r := m.per(12_000, 45); r != 20 {
		t.Fatalf("40 in 2 s: %v, want 20/s", r)
	}
}
