package main

// Integration tests: every role (inject, engine, compare) runs as its own
// process of the built binary against a real Apache Kafka and a real Apache
// Cassandra on loopback (testenv/up.sh). They read STREAMTOP_TESTENV_KAFKA and
// STREAMTOP_TESTENV_CASSANDRA (and, for the fault tests, STREAMTOP_TESTENV and
// STREAMTOP_TESTENV_DIR); without them they skip, or fail when
// STREAMTOP_REQUIRE_SERVICES is set. Every test uses its own topics,
// consumer group and keyspace; the boontadata keyspace is fixed, see
// TestIntegrationBoontadataRoundTrip. Run them with
//
//	go test -count=1 -run Integration -v -timeout 20m ./cmd/streamtop/
//
// (-count=1: go test would otherwise replay a cached pass, since what the
// tests depend on, the services, is outside what its cache sees.)

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

func itTimed(t *testing.T) {
	start := time.Now()
	t.Cleanup(func() { t.Logf("duration %v", time.Since(start).Round(100*time.Millisecond)) })
}

// TestIntegrationPipelineEveryRoleItsOwnProcess: one injector (seed 34, 3
// devices, 1000 events, virtual clock unthrottled) judged against three
// engines, each its own process with its own group and results topic:
// event time with lateness 10m (0 exceptions, on the topic and on the
// Cassandra table), event time with lateness 0 (exceptions exactly at the
// late events' keys), processing time (exceptions).
func TestIntegrationPipelineEveryRoleItsOwnProcess(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	variants := []struct {
		name  string
		flags []string
	}{
		{"event-10m", []string{"--engine", "event", "--lateness", "10m", "--cassandra", e.cass, "--keyspace", n.keyspace, "--results-to", "both"}},
		{"event-0", []string{"--engine", "event"}},
		{"processing", []string{"--engine", "processing"}},
	}
	names := map[string]itNames{}
	engines := map[string]*proc{}
	for _, v := range variants {
		vn := n
		vn.results, vn.group = n.results+"_"+strings.ReplaceAll(v.name, "-", ""), n.group+"_"+v.name
		names[v.name] = vn
		engines[v.name] = e.start(t, "engine "+v.name, e.engineArgs(vn, v.flags...)...)
	}
	for _, v := range variants {
		waitReady(t, engines[v.name], 4)
	}
	line, sent := e.itInject(t, n, 34, 3, 1000, "--speed", "0")
	late := lateKeys(sent)
	if len(late) == 0 || line.late == 0 {
		t.Fatal("the run has no late events: it proves nothing")
	}
	t.Logf("inject: %+v", line)

	t.Run("event time, lateness 10m: 0 exceptions on the topic and the table", func(t *testing.T) {
		vn := names["event-10m"]
		r := e.compareJSON(t, vn, 0, "--downstream", "topic:"+vn.results, "--downstream", "table:streamtop")
		if r.Run != line.tag {
			t.Errorf("compare judged run %q, want the injector's %q", r.Run, line.tag)
		}
		if len(r.Downstreams) != 2 {
			t.Fatalf("%d downstreams in the report, want 2: %+v", len(r.Downstreams), r)
		}
		for _, d := range r.Downstreams {
			if !d.Final || d.Score.Exceptions != 0 || d.Score.Keys != line.truthKeys {
				t.Errorf("%s: final %v, score %+v, want 0 exceptions out of %d (the truth's keys); rows %+v",
					d.Downstream, d.Final, d.Score, line.truthKeys, d.Exceptions)
			}
		}
		if r.Downstreams[0].Score != r.Downstreams[1].Score {
			t.Errorf("topic %+v and table %+v scores differ", r.Downstreams[0].Score, r.Downstreams[1].Score)
		}
		// The text report ends with the score line.
		out, errs, code := e.run(t, 3*time.Minute, "compare text", e.compareArgs(vn, "--downstream", "topic:"+vn.results)...)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if want := fmt.Sprintf("0 exceptions out of %d", line.truthKeys); code != 0 || lines[len(lines)-1] != want {
			t.Errorf("text report: exit %d, last line %q, want %q\n%s\n%s", code, lines[len(lines)-1], want, out, errs)
		}
	})

	t.Run("event time, lateness 0: exceptions exactly at late events' keys", func(t *testing.T) {
		vn := names["event-0"]
		r := e.compareJSON(t, vn, 0)
		got := map[engine.Key]jsonRow{}
		var extra, missed, short []string
		for _, row := range r.Exceptions {
			k := rowKey(row)
			got[k] = row
			if _, ok := late[k]; !ok {
				extra = append(extra, fmt.Sprintf("%v truth %s down %s", k, deref(row.M1Truth), deref(row.M1Downstream)))
			}
		}
		want := 0
		for k, m1 := range late {
			if m1 == 0 {
				continue
			}
			want++
			row, ok := got[k]
			if !ok {
				missed = append(missed, fmt.Sprintf("%v (late m1 %d)", k, m1))
				continue
			}
			var down int64
			if row.M1Downstream != nil {
				down = *row.M1Downstream
			}
			if row.M1Truth == nil || *row.M1Truth-down != m1 {
				short = append(short, fmt.Sprintf("%v: truth %s, down %d, want short by the late m1 %d", k, deref(row.M1Truth), down, m1))
			}
		}
		first := func(l []string) string { return strings.Join(l[:min(len(l), 5)], "; ") }
		if len(extra) > 0 {
			t.Errorf("%d exceptions at keys that hold no late event (on-time events dropped as late), e.g. %s", len(extra), first(extra))
		}
		if len(missed) > 0 {
			t.Errorf("%d of the %d late keys (m1 > 0) have no exception (their late events were accepted), e.g. %s", len(missed), want, first(missed))
		}
		if len(short) > 0 {
			t.Errorf("%d late keys differ by other than the late m1: %s", len(short), first(short))
		}
		if r.Score.Exceptions != want || r.Score.Keys != line.truthKeys {
			t.Errorf("score %+v, want %d exceptions (the late keys with m1 > 0) out of %d", r.Score, want, line.truthKeys)
		}
	})

	t.Run("processing time: exceptions", func(t *testing.T) {
		vn := names["processing"]
		r := e.compareJSON(t, vn, exitExceptions, "--fail-on-exceptions")
		if r.Score.Exceptions == 0 || r.Score.Keys == 0 {
			t.Errorf("processing time gave %+v: late events should land in their arrival windows", r.Score)
		}
	})

	for _, v := range variants {
		if !engines[v.name].stop(t, 15*time.Second) {
			continue
		}
		s := parseEngineLine(t, engines[v.name])
		if s.events != line.sent || s.accepted+s.dups+s.late != s.events {
			t.Errorf("engine %s: %+v, want %d events, each accepted, a duplicate or late", v.name, s, line.sent)
		}
		switch v.name {
		case "event-0":
			// Every late original is dropped, and nothing else is lost:
			// late drops beyond them are copies of ids whose window had
			// closed (SPEC §3: the id was forgotten, any copy is late).
			if s.accepted != line.originals-line.late || s.late < line.late {
				t.Errorf("engine %s: %+v, want %d accepted (originals − late) and at least %d late", v.name, s, line.originals-line.late, line.late)
			}
		default:
			if s.accepted != line.originals || s.dups != line.duplicates || s.late != 0 {
				t.Errorf("engine %s: %+v, want %d accepted, %d duplicates, 0 late", v.name, s, line.originals, line.duplicates)
			}
		}
	}
}

// TestIntegrationSixteenPartitionsTwoEngines: 16 partitions, 3 devices, two
// engine instances in one consumer group, lateness 10m.
func TestIntegrationSixteenPartitionsTwoEngines(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	args := e.engineArgs(n, "--partitions", "16", "--lateness", "10m")
	e1 := e.start(t, "engine 1", args...)
	e2 := e.start(t, "engine 2", args...)
	waitShared(t, 16, 60*time.Second, e1, e2)

	line, _ := e.itInject(t, n, 34, 3, 1000, "--speed", "0", "--partitions", "16")
	if got := e.dataPartitions(t, n.events); len(got) != 16 {
		t.Errorf("events topic: records (events or end markers) in partitions %v, want all 16", got)
	}
	r := e.compareJSON(t, n, 0)
	if r.Score.Exceptions != 0 || r.Score.Keys != line.truthKeys || r.Score.Keys == 0 {
		t.Errorf("score %+v, want 0 exceptions out of %d (the truth's keys); rows %+v", r.Score, line.truthKeys, r.Exceptions)
	}
	ok1, ok2 := e1.stop(t, 15*time.Second), e2.stop(t, 15*time.Second)
	if !ok1 || !ok2 {
		return
	}
	s1, s2 := parseEngineLine(t, e1), parseEngineLine(t, e2)
	t.Logf("engine 1 %+v (partitions %v), engine 2 %+v (partitions %v)", s1, sortedParts(owned(e1.stderr.String())), s2, sortedParts(owned(e2.stderr.String())))
	if s1.events+s2.events != line.sent || s1.accepted+s2.accepted != line.originals {
		t.Errorf("the two engines consumed %d events and accepted %d, want %d and %d (each event once)",
			s1.events+s2.events, s1.accepted+s2.accepted, line.sent, line.originals)
	}
}

// kcatEvent is one event the test writes with kcat.
type kcatEvent struct {
	id, device, cat string
	dt, m1          int64
	m2              float64
	dup             bool // a repeat of an earlier event (same id and values)
}

// kcatScenario is 2 devices × 80 events over 20 s of device time (4 windows
// of 5 s), some out of order within the watermark lag, one duplicate, and
// one closer per device 60 s later, which moves the watermark past every
// data window (its own window stays open until the engine stops).
func kcatScenario(suffix string) (events []kcatEvent, closers map[engine.Key]bool) {
	// Device times start at the next window boundary: an engine whose
	// partitions have been idle holds its watermark at now − idle (SPEC §3),
	// so events stamped earlier than that would rightly be late.
	t0 := (time.Now().UnixMilli()/5000)*5000 + 5000
	closers = map[engine.Key]bool{}
	for d, dev := range []string{"kc-a-" + suffix, "kc-b-" + suffix} {
		var evs []kcatEvent
		for i := range 80 {
			evs = append(evs, kcatEvent{id: fmt.Sprintf("%s-%d", dev, i), device: dev, cat: fmt.Sprintf("cat-%d", i%3+1),
				dt: t0 + int64(i)*250, m1: int64((i*7 + d*3) % 100), m2: float64(i%8)*0.25 + float64(d)})
		}
		for i := 5; i+1 < len(evs); i += 10 { // out of order by 250 ms, within W = 1 s
			evs[i], evs[i+1] = evs[i+1], evs[i]
		}
		dup := evs[10]
		dup.dup = true
		evs = append(evs[:41], append([]kcatEvent{dup}, evs[41:]...)...)
		// The closer is past every event's window (they span 20 s) and
		// within max-skew [1 min] of its send time: an event further ahead
		// of its arrival does not move the watermark (SPEC §3).
		c := kcatEvent{id: dev + "-closer", device: dev, cat: "cat-1", dt: t0 + 35_000, m1: 5, m2: 0.5}
		evs = append(evs, c)
		closers[engine.Key{Device: dev, Category: c.cat, WindowEnd: engine.WindowEnd(c.dt, 5000)}] = true
		events = append(events, evs...)
	}
	// Interleave the two devices as two producers would.
	half := len(events) / 2
	var out []kcatEvent
	for i := range half {
		out = append(out, events[i], events[half+i])
	}
	return out, closers
}

// TestIntegrationKcatEventsBothForms: kcat (librdkafka, an independent
// client) produces events in the JSON form and in the original pipe form,
// each to its own topic; our engine aggregates them, and kcat reads our
// results back: the latest value of each key equals the sums computed here.
func TestIntegrationKcatEventsBothForms(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	for _, c := range []struct{ form, clock string }{{"json", "real"}, {"pipe", "real"}, {"json", "virtual"}} {
		form := c.form
		t.Run(form+" "+c.clock+" clock", func(t *testing.T) {
			n := newNames()
			// A real producer, two partitions, lateness 0. On the real
			// clock arrival is now; on the virtual clock the engine merges
			// its partitions, waits for clock markers that kcat never
			// writes, and after NoMarkersAfter reads them as they come.
			eng := e.start(t, "engine", "engine", "--brokers", e.kafka, "--topic-events", n.events, "--topic-results", n.results,
				"--group", n.group, "--clock", c.clock, "--partitions", "2")
			eng.waitFor(t, "partitions assigned", 60*time.Second, func(s string) bool { return len(owned(s)) == 2 })

			events, closers := kcatScenario(n.suffix)
			want := map[engine.Key]engine.Agg{}
			var lines []string
			for i, ev := range events {
				var v string
				if form == "json" {
					dt := strconv.FormatInt(ev.dt, 10)
					if i%7 == 0 {
						dt = `"` + dt + `"` // the original injector's numeric string
					}
					v = fmt.Sprintf(`{"id":%q,"di":%q,"dt":%s,"c":%q,"m1":%d,"m2":%s}`, ev.id, ev.device, dt, ev.cat, ev.m1,
						strconv.FormatFloat(ev.m2, 'g', -1, 64))
				} else {
					v = fmt.Sprintf("%s|%s|%d|%s|%d|%s", ev.id, ev.device, ev.dt, ev.cat, ev.m1, strconv.FormatFloat(ev.m2, 'g', -1, 64))
				}
				lines = append(lines, ev.device+"\t"+v)
				if ev.dup {
					continue
				}
				k := engine.Key{Device: ev.device, Category: ev.cat, WindowEnd: (ev.dt/5000)*5000 + 5000}
				a := want[k]
				a.M1, a.M2, a.Count = a.M1+ev.m1, a.M2+ev.m2, a.Count+1
				want[k] = a
			}
			e.kcatProduce(t, n.events, lines)

			// Every data window closes (complete) while the engine runs: the
			// closers move the watermark past them.
			deadline := time.Now().Add(30 * time.Second)
			for {
				got, _ := e.kcatResults(t, n.results, "")
				var open []string
				for k, w := range want {
					g, ok := got[k]
					if !closers[k] && (!ok || g.Incomplete || g.Count != w.Count) {
						open = append(open, fmt.Sprintf("%v (count %d of %d)", k, g.Count, w.Count))
					}
				}
				if len(open) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%d of %d windows not emitted complete within 30 s, e.g. %s", len(open), len(want)-len(closers),
						strings.Join(open[:min(len(open), 4)], "; "))
					break
				}
				time.Sleep(time.Second)
			}
			clean := eng.stop(t, 15*time.Second)

			got, records := e.kcatResults(t, n.results, "")
			down := map[engine.Key]engine.Agg{}
			for k, r := range got {
				down[k] = engine.Agg{M1: r.M1, M2: r.M2, Count: r.Count}
				if r.Engine != "streamtop" {
					t.Errorf("%v: engine %q, want streamtop", k, r.Engine)
				}
				// Only a closer's window may still be open at the stop (on
				// the real clock idleness may have closed it already).
				if r.Incomplete && !closers[k] {
					t.Errorf("%v: marked incomplete, but the closers moved the watermark past it", k)
				}
			}
			diffAggs(t, "results read with kcat vs sums computed here", down, want)
			// The duplicates repeat events of windows already closed: the
			// engine may count them as duplicates or as late; either way
			// they are dropped.
			if s := parseEngineLine(t, eng); clean && (s.events != len(lines) || s.dups+s.late != 2 || s.accepted != len(lines)-2) {
				t.Errorf("engine summary %+v, want %d events, %d accepted, the 2 duplicates dropped", s, len(lines), len(lines)-2)
			}
			if strings.Contains(eng.stderr.String(), "skipped") {
				t.Errorf("the engine skipped records:\n%s", eng.stderr.String())
			}
			t.Logf("%d events in %s form, %d keys, %d result records", len(lines), form, len(down), records)
		})
	}
}

// TestIntegrationBoontadataRoundTrip: inject --boontadata writes the truth
// into boontadata.agg_events, engine --boontadata writes m1_sum_downstream,
// and compare --downstream boontadata reads them back with the same score
// as the topic. The engine runs in processing time (deterministic under the
// virtual clock: windows by record timestamp), so both scores have
// exceptions and the comparison is not 0 = 0.
//
// The boontadata keyspace is fixed, and compare --downstream boontadata
// judges the whole agg_events table, so this test needs the table to hold
// only its rows: it empties it first (TRUNCATE) and deletes the rows of its
// devices at the end.
func TestIntegrationBoontadataRoundTrip(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	const seed, devices, events = 34, 2, 500
	sent := injected(t, seed, devices, events)
	devIDs := map[string]bool{}
	for _, s := range sent {
		devIDs[s.Event.Device] = true
	}
	s := e.cql(t)
	var tables int
	if err := s.Query("SELECT count(*) FROM system_schema.tables WHERE keyspace_name = 'boontadata' AND table_name = 'agg_events'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables > 0 {
		if err := s.Query("TRUNCATE boontadata.agg_events").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for d := range devIDs {
			if err := s.Query("DELETE FROM boontadata.agg_events WHERE device_id = ?", d).Exec(); err != nil {
				t.Logf("cleaning boontadata.agg_events: %v", err)
			}
		}
	})

	eng := e.start(t, "engine", e.engineArgs(n, "--cassandra", e.cass, "--keyspace", n.keyspace, "--results-to", "both", "--boontadata", "--engine", "processing")...)
	line, _ := e.itInject(t, n, seed, devices, events, "--speed", "0", "--boontadata")
	r := e.compareJSON(t, n, 0, "--downstream", "topic:"+n.results, "--downstream", "boontadata", "--idle-final", "5s")
	if len(r.Downstreams) != 2 {
		t.Fatalf("%d downstreams, want 2", len(r.Downstreams))
	}
	topic, boon := r.Downstreams[0], r.Downstreams[1]
	if !strings.Contains(boon.Downstream, "m1_sum_downstream") {
		t.Errorf("second downstream %q, want boontadata.agg_events m1_sum_downstream", boon.Downstream)
	}
	if !topic.Final || !boon.Final || topic.Score != boon.Score || topic.Score.Keys != line.truthKeys || topic.Score.Exceptions == 0 {
		t.Errorf("topic: final %v %+v; boontadata: final %v %+v; want the same final score, %d keys, exceptions > 0 (processing time)",
			topic.Final, topic.Score, boon.Final, boon.Score, line.truthKeys)
	}
	rowsOf := func(d jsonDown) map[engine.Key]string {
		out := map[engine.Key]string{}
		for _, row := range d.Exceptions {
			out[rowKey(row)] = deref(row.M1Truth) + "/" + deref(row.M1Downstream)
		}
		return out
	}
	tr, br := rowsOf(topic), rowsOf(boon)
	for k, v := range tr {
		if br[k] != v {
			t.Errorf("%v: topic exception %s, boontadata %q", k, v, br[k])
		}
	}
	if len(tr) != len(br) {
		t.Errorf("%d topic exception rows, %d boontadata rows", len(tr), len(br))
	}
	eng.stop(t, 15*time.Second)

	// The original compare.py's SELECT shape returns our rows.
	truth := expectedTruth(sent)
	it := s.Query("SELECT window_time, device_id, category, m1_sum_ingest_sendtime, m1_sum_ingest_devicetime, m1_sum_downstream, " +
		"m2_sum_ingest_sendtime, m2_sum_ingest_devicetime, m2_sum_downstream FROM boontadata.agg_events").Iter()
	var (
		wt, dev, cat  string
		m1s, m1d, m1x *int64
		m2s, m2d, m2x *float64
	)
	rows, withTruth, differ := 0, 0, 0
	wtRE := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	for it.Scan(&wt, &dev, &cat, &m1s, &m1d, &m1x, &m2s, &m2d, &m2x) {
		rows++
		if !devIDs[dev] {
			t.Errorf("agg_events row of device %q, not this test's", dev)
			continue
		}
		if !wtRE.MatchString(wt) {
			t.Errorf("window_time %q is not YYYY-MM-DD HH:MM:SS", wt)
			continue
		}
		end, err := engine.ParseWindow(wt)
		if err != nil {
			t.Errorf("window_time %q: %v", wt, err)
			continue
		}
		if m1d == nil {
			if m1x != nil {
				differ++ // a window only the engine has
			}
			continue
		}
		withTruth++
		k := engine.Key{Device: dev, Category: cat, WindowEnd: end}
		if w, ok := truth[k]; !ok || w.M1 != *m1d || m2d == nil || !sameM2(w.M2, *m2d) {
			t.Errorf("%v: m1_sum_ingest_devicetime %d, want %+v", k, *m1d, w)
		}
		if m1x == nil || *m1x != *m1d {
			differ++
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || withTruth != len(truth) || differ != topic.Score.Exceptions {
		t.Errorf("compare.py's SELECT: %d rows, %d with the device-time truth (want %d), %d without the same m1 on both sides (want %d, the exceptions)",
			rows, withTruth, len(truth), differ, topic.Score.Exceptions)
	}
	t.Logf("agg_events: %d rows, %d with the truth, %d differ from m1_sum_downstream", rows, withTruth, differ)
}

// TestIntegrationVirtualClockEventsOutliveRetention: a virtual-clock run
// stamps its events with virtual send times (from --start, default
// 2026-01-01T00:00:00Z). The events topic streamtop creates must keep them
// as long as the run needs them: an engine that re-reads a partition (a
// failover, a late start) must find them. With the broker's default time
// retention (log.retention.hours=168, judged by record timestamp) events
// stamped more than 7 days before the broker's clock are deleted at its
// next retention check (every 5 minutes), even from the active segment.
// Seen in TestIntegrationFaultEngineKilled with the default --start: the
// survivor's re-read hit the deleted start, the client reset to the new log
// start without a word, and the rebuilt windows overwrote complete results
// with partial ones (12 and 30 exceptions). The fault tests now pass
// --start now to test the faults alone; this test checks the condition.
func TestIntegrationVirtualClockEventsOutliveRetention(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	line, sent := e.itInject(t, n, 34, 1, 100, "--speed", "0")
	var newest int64
	for _, s := range sent {
		newest = max(newest, s.Send)
	}
	age := time.Since(time.UnixMilli(newest))
	ms, err := strconv.ParseInt(e.topicConfig(t, n.events, "retention.ms"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	retention := time.Duration(ms) * time.Millisecond
	t.Logf("run %s: newest event stamped %s (%v ago); %s retention.ms %d (%v)", line.tag,
		time.UnixMilli(newest).UTC().Format(time.RFC3339), age.Round(time.Hour), n.events, ms, retention)
	if ms >= 0 && age > retention {
		t.Errorf("BUG: the events topic %s keeps records for retention.ms=%d (%v, by record timestamp) but this "+
			"virtual-clock run stamped them %v ago: the broker deletes them at its next retention check, so an engine "+
			"that has to re-read them (failover, late start) silently skips to the new log start and its results are "+
			"wrong. inject creates the topic with no retention setting (ensureTopics(…, nil, …) in roles.go) and "+
			"defaults --start to 2026-01-01.", n.events, ms, retention, age.Round(time.Hour))
	}
}

// --- faults ---

// The fault tests stamp events from now (--start), not from the default
// virtual origin, so the broker's time retention cannot delete them
// mid-test (see TestIntegrationVirtualClockEventsOutliveRetention).
//
// pacedEvents: the fault tests run 3 devices × 500 events at 20 events/s
// each, paced at real time (about 25 s).
const pacedEvents = 500

// TestIntegrationFaultKafkaRestart: the broker restarts while the paced
// injector and the engine run.
func TestIntegrationFaultKafkaRestart(t *testing.T) {
	e := integration(t, true)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	eng := e.start(t, "engine", e.engineArgs(n, "--lateness", "10m")...)
	waitReady(t, eng, 4)
	t.Cleanup(func() { e.ensureUp(t) }) // first of the cleanups
	start, startArg := nowStart()
	inj := e.start(t, "inject", e.injectArgs(n, 34, 3, pacedEvents, "--speed", "1", "--start", startArg)...)
	time.Sleep(5 * time.Second)
	if !inj.running() {
		t.Fatalf("inject ended within 5 s: not paced?\n%s", inj.stderr.String())
	}
	e.testenvScript(t, "kafka.sh", "restart")
	if code := inj.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("inject: exit %d after the broker restart\n%s", code, inj.stderr.String())
	}
	t.Logf("inject took %v", time.Since(inj.started).Round(100*time.Millisecond))
	e.checkPacedRunClean(t, n, inj, start)
	if eng.stop(t, 15*time.Second) {
		t.Logf("engine: %+v", parseEngineLine(t, eng))
	}
}

// TestIntegrationFaultEngineKilled: one of two engine instances is killed
// (SIGKILL) mid-run; the survivor takes its partitions over after the
// session timeout (6 s) and the run completes with 0 exceptions.
func TestIntegrationFaultEngineKilled(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	args := e.engineArgs(n, "--lateness", "10m")
	engines := []*proc{e.start(t, "engine 1", args...), e.start(t, "engine 2", args...)}
	waitShared(t, 4, 60*time.Second, engines...)
	start, startArg := nowStart()
	inj := e.start(t, "inject", e.injectArgs(n, 34, 3, pacedEvents, "--speed", "1", "--start", startArg)...)
	time.Sleep(8 * time.Second)
	if !inj.running() {
		t.Fatalf("inject ended within 8 s: not paced?\n%s", inj.stderr.String())
	}
	// Kill an instance that owns events (3 devices may use only some of
	// the 4 partitions).
	data := e.dataPartitions(t, n.events)
	victim, survivor := engines[0], engines[1]
	own1 := owned(engines[0].stderr.String())
	hasData := false
	for _, p := range data {
		hasData = hasData || own1[p]
	}
	if !hasData {
		victim, survivor = engines[1], engines[0]
	}
	t.Logf("partitions with events %v; killing %s (partitions %v)", data, victim.name, sortedParts(owned(victim.stderr.String())))
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	killed := time.Now()
	survivor.waitFor(t, "all 4 partitions", 60*time.Second, func(s string) bool { return len(owned(s)) == 4 })
	t.Logf("survivor owns every partition %v after the kill", time.Since(killed).Round(100*time.Millisecond))

	if code := inj.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("inject: exit %d\n%s", code, inj.stderr.String())
	}
	e.checkPacedRunClean(t, n, inj, start)
	if survivor.stop(t, 15*time.Second) {
		t.Logf("survivor: %+v", parseEngineLine(t, survivor))
	}
}

// TestIntegrationFaultCassandraUnavailableAtStart: Cassandra is down when
// the injector starts; it says so, naming the address, and retries; once
// Cassandra is back the run completes and is judged with 0 exceptions.
func TestIntegrationFaultCassandraUnavailableAtStart(t *testing.T) {
	e := integration(t, true)
	itTimed(t)
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	eng := e.start(t, "engine", e.engineArgs(n, "--lateness", "10m")...)
	t.Cleanup(func() { e.ensureUp(t) }) // first of the cleanups: the others need Cassandra
	e.testenvScript(t, "cassandra.sh", "stop")
	const seed, devices, events = 34, 3, 300
	start, startArg := nowStart()
	inj := e.start(t, "inject", e.injectArgs(n, seed, devices, events, "--speed", "0", "--start", startArg)...)
	msg := "Cassandra unavailable at " + e.cass
	inj.waitFor(t, fmt.Sprintf("%q on stderr", msg), 60*time.Second, func(s string) bool {
		return strings.Contains(s, msg) && strings.Contains(s, "retrying")
	})
	time.Sleep(2 * time.Second)
	if !inj.running() {
		t.Fatalf("inject gave up while Cassandra was down (exit %d)\n%s", inj.exitCode, inj.stderr.String())
	}
	first := ""
	for _, l := range strings.Split(inj.stderr.String(), "\n") {
		if strings.Contains(l, msg) {
			first = l
			break
		}
	}
	t.Logf("inject says: %s", first)
	e.testenvScript(t, "cassandra.sh", "start")
	if code := inj.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("inject: exit %d after Cassandra came back\n%s", code, inj.stderr.String())
	}
	t.Logf("inject took %v", time.Since(inj.started).Round(100*time.Millisecond))
	line := parseInjectLine(t, inj.stdout.String(), n.events)
	sent := checkInjected(t, line, generated(t, seed, devices, events, start), devices*events)
	r := e.compareJSON(t, n, 0)
	if r.Score.Exceptions != 0 || r.Score.Keys != line.truthKeys {
		t.Errorf("score %+v, want 0 exceptions out of %d; rows %+v", r.Score, line.truthKeys, r.Exceptions)
	}
	e.checkNothingDoubleCounted(t, n, line.tag, sent)
	eng.stop(t, 15*time.Second)
}

// ensureUp starts Kafka and Cassandra again if a fault test left one down
// (start is idempotent: a running service just prints its address).
func (e itEnv) ensureUp(t *testing.T) {
	for _, script := range []string{"kafka.sh", "cassandra.sh"} {
		if out, err := runScript(e.testenv, script, "start"); err != nil {
			t.Errorf("cleanup: %s start: %v\n%s", script, err, out)
		}
	}
}
