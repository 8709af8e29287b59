package enginerun

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
)

// releaseOneAtATime is the merged read as it was before runs were batched:
// each record popped with its caught-up flags, then given to the engine
// alone.
func releaseOneAtATime(r *Runner) {
	for p := r.merge.next(r.parts); p != nil; p = r.merge.next(r.parts) {
		q := pop(r.parts, p, r.eng.SetCaughtUp)
		r.add(p.id, q.ts, q.offset, q.ev, q.err)
		r.flushBatch()
	}
}

// The merged read hands the engine runs of records as batches: the engine
// must end up exactly where it does when they go one at a time — outcomes,
// watermark, results, the late events with the watermark each met, the
// windows a group member would commit from — in event and processing time,
// with duplicates, late events, records that do not decode, clock markers
// and partitions running dry.
func TestMergedRunsMatchOneRecordAtATime(t *testing.T) {
	for _, mode := range []engine.Mode{engine.EventTime, engine.ProcessingTime} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Session, cfg.Clock, cfg.Merge, cfg.Group = "s", bus.VirtualClock, true, "g"
			cfg.Engine.Mode, cfg.Engine.Lateness = mode, 0
			batched, single := offline(t, cfg, 3, testControls(t)), offline(t, cfg, 3, testControls(t))
			for _, r := range []*Runner{batched, single} {
				if err := r.eng.SetMode(mode); err != nil {
					t.Fatal(err)
				}
			}
			rnd := rand.New(rand.NewPCG(5, 8))
			tag := bus.RunTag("s", 0)
			var offs [3]int64
			var clock [3]int64
			t0 := int64(1_767_225_600_000)
			for fetch := range 300 {
				p := int32(rnd.IntN(3))
				if rnd.IntN(8) == 0 {
					clock[p] += 7000 // silent longer than idle: the caught-up flags matter
				}
				for range 1 + rnd.IntN(40) {
					clock[p] += int64(rnd.IntN(4)) * 150 // ties across partitions too
					// The record's timestamp is its send time; a late
					// event's device time is well before it.
					sent, id := t0+clock[p], fmt.Sprintf("e%d-%d", p, offs[p])
					dt := sent
					switch rnd.IntN(20) {
					case 0:
						dt -= 20_000
					case 1:
						id = fmt.Sprintf("e%d-%d", p, max(offs[p]-3, 0)) // a duplicate
					}
					h, rec := event(p, offs[p], sent, tag, engine.Event{ID: id, Device: "d" + strconv.Itoa(rnd.IntN(4)), Category: "c", Time: dt, M1: 1})
					if rnd.IntN(6) == 0 {
						rec.value = rec.value[:5] // does not decode: its flags are still set
					}
					offs[p]++
					batched.feed(h, rec)
					single.feed(h, rec)
				}
				if rnd.IntN(3) == 0 { // a clock marker on every partition
					v := strconv.FormatInt(t0+min(clock[0], clock[1], clock[2]), 10)
					for q := range int32(3) {
						h := headers{kind: kafka.HeaderClock, value: v, run: tag, hasRun: true}
						rec := record{part: q, offset: offs[q]}
						offs[q]++
						batched.feed(h, rec)
						single.feed(h, rec)
					}
				}
				batched.releaseMerged()
				releaseOneAtATime(single)
				for _, r := range []*Runner{batched, single} {
					if mode == engine.EventTime {
						r.eng.Advance(r.eng.Now()) // a tick: the watermark sees the flags the records left
					}
				}
				compareRunners(t, fetch, batched, single)
			}
			if batched.book.st.Malformed != single.book.st.Malformed || single.book.st.Malformed == 0 {
				t.Fatalf("malformed records: %d, one at a time %d", batched.book.st.Malformed, single.book.st.Malformed)
			}
			if st := single.eng.Stats(); st.Accepted == 0 || (st.Late == 0 && mode == engine.EventTime) || st.Duplicates == 0 {
				t.Fatalf("the stream must have accepted, late and duplicate events: %+v", st)
			}
		})
	}
}

func compareRunners(t *testing.T, fetch int, a, b *Runner) {
	t.Helper()
	if sa, sb := a.eng.Stats(), b.eng.Stats(); sa != sb {
		t.Fatalf("fetch %d: stats %+v, one at a time %+v", fetch, sa, sb)
	}
	if ra, rb := a.eng.Drain(nil), b.eng.Drain(nil); !reflect.DeepEqual(ra, rb) {
		t.Fatalf("fetch %d: results %v, one at a time %v", fetch, ra, rb)
	}
	if !reflect.DeepEqual(a.book.recent, b.book.recent) {
		t.Fatalf("fetch %d: late events %v, one at a time %v", fetch, a.book.recent, b.book.recent)
	}
	for p, m := range b.commits.minOpen {
		if !maps.Equal(a.commits.minOpen[p], m) {
			t.Fatalf("fetch %d: open windows of partition %d %v, one at a time %v", fetch, p, a.commits.minOpen[p], m)
		}
	}
}

// A tie in the merged order: partition 1, silent since 1000, has its next
// record at 7500, and partition 0's record at 7500 goes first (its key is
// smaller). While partition 0's record at 6500 is ingested partition 1 is
// not idle yet (5.5 s silent); at 7500 it would be, but it is not caught up
// (its record at 7500 is due), so it still holds the watermark back. The
// two records of partition 0 set different flags: in one batch, partition
// 1 would count as idle at 7500, the watermark would jump to 5500 and drop
// partition 0's event of device time 4900 late.
func TestMergedRunsSplitWhereCaughtUpFlagsChange(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Session, cfg.Clock, cfg.Merge = "s", bus.VirtualClock, true
	batched, single := offline(t, cfg, 2, testControls(t)), offline(t, cfg, 2, testControls(t))
	tag := bus.RunTag("s", 0)
	type fed struct {
		h   headers
		rec record
	}
	var recs []fed
	add := func(p int32, off, ts, dt int64, dev string) {
		h, rec := event(p, off, ts, tag, engine.Event{ID: fmt.Sprint(p, "-", off), Device: dev, Category: "c", Time: dt, M1: 1})
		recs = append(recs, fed{h, rec})
	}
	add(0, 0, 6500, 6500, "a")
	add(0, 1, 7500, 4900, "a")
	add(0, 2, 12000, 12000, "a")
	add(1, 0, 1000, 1000, "b")
	add(1, 1, 7500, 7500, "b")
	for p := range int32(2) {
		recs = append(recs, fed{headers{kind: kafka.HeaderClock, value: "20000", run: tag, hasRun: true}, record{part: p, offset: 3}})
	}
	for _, f := range recs {
		batched.feed(f.h, f.rec)
		single.feed(f.h, f.rec)
	}
	batched.releaseMerged()
	releaseOneAtATime(single)
	if st := single.eng.Stats(); st.Accepted != 5 || st.Late != 0 {
		t.Fatalf("one at a time: %d accepted, %d late: want all 5 accepted", st.Accepted, st.Late)
	}
	compareRunners(t, 0, batched, single)
}

// Results carry the run header of the run they belong to, computed once
// per run: after a change of run the new run's.
func TestResultHeadersFollowTheRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RunKey, _ = kafka.NewRunKey()
	r := offline(t, cfg, 1, nil)
	for _, tag := range []string{"s/0", "s/0", "s/1"} {
		r.tag = tag
		hs := r.resultHeaders()
		if len(hs) != 1 || hs[0].Key != kafka.HeaderRun {
			t.Fatalf("headers %v", hs)
		}
		if got, ok := cfg.RunKey.VerifyEvent(string(hs[0].Value)); !ok || got != tag {
			t.Fatalf("run %s: header says %q (authentic %v)", tag, got, ok)
		}
	}
}
