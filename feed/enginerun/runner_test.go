package enginerun

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
)

// offline builds a runner with no Kafka client: records are handed to it
// as the loop would, results stay in the engine (NoKafkaResults, no sink).
// Enough to drive the decisions the loop makes from what it reads.
func offline(t *testing.T, cfg Config, parts int32, controls *bus.Controls) *Runner {
	t.Helper()
	cfg = cfg.withDefaults()
	cfg.NoKafkaResults = true
	r := &Runner{cfg: cfg, now: func() time.Time { return time.UnixMilli(0) }, bus: bus.NewBus(), controls: controls,
		dec: engine.NewDecoder(), commits: newCommits(), progress: newProgress(), left: map[string]bool{}}
	r.settings = bus.Settings{Mode: cfg.Engine.Mode, Dedup: cfg.Engine.Dedup, WatermarkLag: cfg.Engine.Watermark}
	if controls != nil {
		r.settings = controls.Load()
	}
	if err := r.reset(r.settings.Run, ""); err != nil {
		t.Fatal(err)
	}
	for p := range parts {
		r.parts = append(r.parts, newPartition(p, 0, true, true))
		r.eng.Assign(p)
	}
	return r
}

// event is the record of one event with run header value run ("" none).
func event(p int32, off, ts int64, run string, ev engine.Event) (headers, record) {
	h := headers{run: run, hasRun: run != ""}
	return h, record{part: p, offset: off, ts: ts, key: []byte(ev.Device), value: ev.AppendJSON(nil)}
}

func ev(id string, dt int64, m1 int64) engine.Event {
	return engine.Event{ID: id, Device: "d", Category: "c", Time: dt, M1: m1}
}

// feed hands a record to r as the loop does (read position, then take).
func (r *Runner) feed(h headers, rec record) {
	p := r.parts.get(rec.part)
	p.readAt(rec.offset)
	r.take(p, h, rec)
}

func testControls(t *testing.T) *bus.Controls {
	t.Helper()
	c, err := bus.NewControls(bus.Settings{Rate: 20, Dedup: true, WatermarkLag: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Defect 1: one record tagged <session>/99 moved the engine to run 99 for
// good. In one process the run changes only through the controls.
func TestOneProcessRunChangesOnlyThroughTheControls(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		t.Run(fmt.Sprint("keyed=", keyed), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Session, cfg.Clock = "s", bus.VirtualClock
			if keyed {
				cfg.RunKey, _ = kafka.NewRunKey()
			}
			controls := testControls(t)
			r := offline(t, cfg, 1, controls)
			own := func(n int) string { return cfg.RunKey.EventHeader(bus.RunTag("s", n)) }
			r.feed(event(0, 0, 1000, own(0), ev("a", 1000, 1)))
			r.feed(event(0, 1, 1100, "s/99", ev("x", 1100, 1)))                         // the hijack
			r.feed(event(0, 2, 1200, cfg.RunKey.EventHeader("s/99"), ev("y", 1200, 1))) // even authenticated
			r.feed(event(0, 3, 1300, own(0), ev("b", 1300, 1)))
			r.flushBatch()
			if r.run != 0 || r.book.st.Foreign != 2 || r.book.st.Consumed != 2 {
				t.Fatalf("run %d, foreign %d, consumed %d: want run 0, 2 foreign, 2 consumed", r.run, r.book.st.Foreign, r.book.st.Consumed)
			}
			// A reset through the controls: the new run's first record may
			// come before the change is applied; it is taken, not dropped.
			controls.Apply(bus.Reset)
			r.feed(event(0, 4, 1400, own(1), ev("c", 1400, 1)))
			if r.run != 1 || r.book.st.Consumed != 1 {
				t.Fatalf("after a reset: run %d, consumed %d: want run 1, 1 consumed", r.run, r.book.st.Consumed)
			}
			// An old run's records in flight are foreign now.
			r.feed(event(0, 5, 1500, own(0), ev("d", 1500, 1)))
			if r.run != 1 || r.book.st.Foreign != 1 {
				t.Fatalf("old run's record: run %d, foreign %d", r.run, r.book.st.Foreign)
			}
		})
	}
}

// Across hosts a record cannot move an engine to a run its injector did not
// start (the tag does not authenticate), nor back to a run it has left.
func TestDistributedEngineFollowsAuthenticatedRunsForwardOnly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Clock = bus.VirtualClock
	cfg.RunKey, _ = kafka.NewRunKey()
	other, _ := kafka.NewRunKey()
	r := offline(t, cfg, 1, nil)
	r.feed(event(0, 0, 1000, cfg.RunKey.EventHeader("inj/0"), ev("a", 1000, 1)))
	if r.tag != "inj/0" {
		t.Fatalf("tag %q after the first authenticated record", r.tag)
	}
	r.feed(event(0, 1, 1100, "inj/9", ev("x", 1100, 1)))                    // unsigned
	r.feed(event(0, 2, 1200, other.EventHeader("inj/9"), ev("y", 1200, 1))) // another key
	if r.tag != "inj/0" || r.book.st.Foreign != 2 {
		t.Fatalf("tag %q, foreign %d: want inj/0 and 2 foreign", r.tag, r.book.st.Foreign)
	}
	r.feed(event(0, 3, 1300, cfg.RunKey.EventHeader("inj/1"), ev("b", 1300, 1))) // a newer run of ours
	r.feed(event(0, 4, 1400, cfg.RunKey.EventHeader("inj/0"), ev("z", 1400, 1))) // replayed: a run left
	if r.tag != "inj/1" || r.book.st.Foreign != 1 || r.book.st.Consumed != 1 {
		t.Fatalf("tag %q, foreign %d, consumed %d: want inj/1, the replayed record foreign", r.tag, r.book.st.Foreign, r.book.st.Consumed)
	}
}

// Defect 2: four empty records with header streamtop-end=1 and no run tag
// stopped the live engine. Markers count only with the current run's
// authenticated tag.
func TestForgedEndMarkersDoNotEndTheRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Session, cfg.Clock = "s", bus.VirtualClock
	cfg.RunKey, _ = kafka.NewRunKey()
	r := offline(t, cfg, 2, testControls(t))
	tag := bus.RunTag("s", 0)
	forged := []headers{
		{kind: kafka.HeaderEnd, value: "1"},                                                                           // no run tag
		{kind: kafka.HeaderEnd, value: "0", run: tag, hasRun: true},                                                   // a plain tag
		{kind: kafka.HeaderEnd, value: "0", run: cfg.RunKey.EventHeader(tag), hasRun: true},                           // an event's header copied
		{kind: kafka.HeaderEnd, value: "0", run: cfg.RunKey.MarkerHeader(tag, kafka.HeaderEnd, "0", 1), hasRun: true}, // another partition's
	}
	for i, h := range forged {
		r.feed(h, record{part: 0, offset: int64(i), ts: 1000})
	}
	r.maybeFinish(context.Background())
	if r.parts[0].done || r.finished || r.book.st.Foreign != int64(len(forged)) {
		t.Fatalf("done %v finished %v foreign %d: forged end markers counted", r.parts[0].done, r.finished, r.book.st.Foreign)
	}
	for p := range int32(2) {
		h := headers{kind: kafka.HeaderEnd, value: "0", run: cfg.RunKey.MarkerHeader(tag, kafka.HeaderEnd, "0", p), hasRun: true}
		r.feed(h, record{part: p, offset: 10, ts: 1000})
	}
	r.maybeFinish(context.Background())
	if !r.finished {
		t.Fatal("the run's own end markers did not end it")
	}
}

// Defect 12: a listing of the end offsets answered before a fetch that
// read past it overwrote the partition's end, so a partition with unread
// records (behind a flood of foreign ones) looked caught up, went idle, and
// its real window closed early: its events came out late.
func TestStaleEndListingDoesNotCloseARealWindowEarly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Clock = bus.VirtualClock // arrival = the record's timestamp
	r := offline(t, cfg, 2, nil)
	tag := "inj/0"
	r.feed(event(1, 0, 1000, tag, ev("real-1", 1000, 5))) // window 5 s, partition 1
	for off := int64(1); off < 60; off++ {                // a flood of foreign records
		r.feed(headers{run: "forged/1#x", hasRun: true, other: true}, record{part: 1, offset: off, ts: 1000 + off})
	}
	r.parts[1].sawEnd(100)           // the fetch's high watermark: 40 more records to read
	for i := int64(0); i < 20; i++ { // partition 0 moves on to 20 s
		r.feed(event(0, i, 1000+i*1000, tag, ev(fmt.Sprint("p0-", i), 1000+i*1000, 1)))
	}
	r.parts[0].sawEnd(20)
	r.afterRecords(context.Background())
	r.handleEnds(endsResult{ends: map[int32]int64{0: 20, 1: 55}}) // stale for partition 1
	r.feed(event(0, 20, 21_000, tag, ev("p0-20", 21_000, 1)))
	r.afterRecords(context.Background())
	r.feed(event(1, 60, 21_000, tag, ev("real-2", 2000, 7))) // behind the flood: same window as real-1
	r.afterRecords(context.Background())
	if st := r.eng.Stats(); st.Late != 0 {
		t.Fatalf("%d late: partition 1's window closed while it had unread records", st.Late)
	}
}

// Defect 12's other suspect: the injector's backpressure counted foreign
// records through the engine's read count, so a flood of them let the
// injector run ahead of what the engine had really read. Read counts only
// records whose run tag authenticates: the ones our injector wrote.
func TestReadCountsOnlyOurRecords(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Session, cfg.Clock = "s", bus.VirtualClock
	cfg.RunKey, _ = kafka.NewRunKey()
	r := offline(t, cfg, 1, testControls(t))
	tag := bus.RunTag("s", 0)
	r.feed(event(0, 0, 1000, cfg.RunKey.EventHeader(tag), ev("a", 1000, 1)))
	for off := int64(1); off <= 100; off++ { // foreign and external records
		run := ""
		if off%2 == 0 {
			run = "s/0" // unsigned: forged
		}
		r.feed(event(0, off, 1000, run, ev(fmt.Sprint("x", off), 1000, 1)))
	}
	r.feed(headers{kind: kafka.HeaderClock, value: "2000", run: cfg.RunKey.MarkerHeader(tag, kafka.HeaderClock, "2000", 0), hasRun: true},
		record{part: 0, offset: 101, ts: 2000})
	if got := r.Read(); got != 2 {
		t.Fatalf("Read() = %d, want 2 (our event and our marker)", got)
	}
}

// The merged read releases queued records only as far as every partition's
// clock marker allows, then in timestamp order.
func TestMergedReadWaitsForMarkersThenReleases(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Session, cfg.Clock, cfg.Merge = "s", bus.VirtualClock, true
	cfg.RunKey, _ = kafka.NewRunKey()
	r := offline(t, cfg, 2, testControls(t))
	tag := bus.RunTag("s", 0)
	h := cfg.RunKey.EventHeader(tag)
	r.feed(event(0, 0, 3000, h, ev("c", 3000, 1)))
	r.feed(event(1, 0, 1000, h, ev("a", 1000, 1)))
	r.feed(event(0, 1, 4000, h, ev("d", 4000, 1)))
	r.afterRecords(context.Background())
	// a (1000) goes: every partition has something queued at or after it.
	// Then partition 1 is empty and unmarked: it may still bring an
	// earlier record than c, so c waits.
	if st := r.eng.Stats(); st.Accepted != 1 || r.parts[0].queue.len() != 2 {
		t.Fatalf("accepted %d, %d left in partition 0 before any marker: want a released, c and d held", st.Accepted, r.parts[0].queue.len())
	}
	clock := func(p int32, off int64, v string) {
		r.feed(headers{kind: kafka.HeaderClock, value: v, run: cfg.RunKey.MarkerHeader(tag, kafka.HeaderClock, v, p), hasRun: true},
			record{part: p, offset: off, ts: 0})
	}
	clock(0, 2, "5000")
	clock(1, 1, "3500") // partition 1 may still bring something at 3500
	r.afterRecords(context.Background())
	if st := r.eng.Stats(); st.Accepted != 2 || r.parts[0].queue.len() != 1 {
		t.Fatalf("accepted %d, %d left in partition 0: want a and c released, d held", st.Accepted, r.parts[0].queue.len())
	}
	clock(1, 2, "5000")
	r.afterRecords(context.Background())
	if st := r.eng.Stats(); st.Accepted != 3 {
		t.Fatalf("accepted %d after every marker passed 4000, want 3", st.Accepted)
	}
}
