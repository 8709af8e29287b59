package engine_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// ev builds an event; m2 values in these tests are exact binary fractions so
// sums compare with ==.
func ev(id, dev string, dt int64, cat string, m1 int64, m2 float64) engine.Event {
	return engine.Event{ID: id, Device: dev, Time: dt, Category: cat, M1: m1, M2: m2}
}

func res(dev, cat string, end, m1 int64, m2 float64, count int64) engine.Result {
	return engine.Result{
		Key:    engine.Key{Device: dev, Category: cat, WindowEnd: end},
		Agg:    engine.Agg{M1: m1, M2: m2, Count: count},
		Engine: "streamtop",
	}
}

func newEngine(t *testing.T, mutate func(*engine.Config)) *engine.Engine {
	t.Helper()
	cfg := engine.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return e
}

func fmtResults(rs []engine.Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n  %s|%s|%d m1=%d m2=%v n=%d %s inc=%v", r.Device, r.Category, r.WindowEnd, r.M1, r.M2, r.Count, r.Engine, r.Incomplete)
	}
	if len(rs) == 0 {
		b.WriteString(" (none)")
	}
	return b.String()
}

func expectDrain(t *testing.T, e *engine.Engine, want ...engine.Result) {
	t.Helper()
	got := e.Drain(nil)
	if !slices.Equal(got, want) {
		t.Fatalf("Drain:%s\nwant:%s", fmtResults(got), fmtResults(want))
	}
}

func expectOutcome(t *testing.T, got, want engine.Outcome, what string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: outcome %v, want %v", what, got, want)
	}
}

func expectWM(t *testing.T, e *engine.Engine, want int64) {
	t.Helper()
	if got := e.Watermark(); got != want {
		t.Fatalf("Watermark = %s, want %s", wmStr(got), wmStr(want))
	}
	if got := e.Stats().Watermark; got != want {
		t.Fatalf("Stats().Watermark = %s, want %s", wmStr(got), wmStr(want))
	}
}

func wmStr(v int64) string {
	switch v {
	case engine.None:
		return "None"
	case math.MaxInt64:
		return "MaxInt64"
	}
	return fmt.Sprintf("t0%+d", v-t0)
}

// ---------------------------------------------------------------- config

func TestDefaultConfigAndValidate(t *testing.T) {
	d := engine.DefaultConfig()
	want := engine.Config{Mode: engine.EventTime, Window: 5 * time.Second, Watermark: time.Second, Idle: 6 * time.Second,
		Lateness: 0, Dedup: true, DedupTTL: 10 * time.Minute, Name: "streamtop", MaxSkew: time.Minute,
		MaxKeys: engine.DefaultMaxKeys}
	if d != want {
		t.Fatalf("DefaultConfig = %+v, want %+v", d, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	bad := []struct {
		name string
		mut  func(*engine.Config)
	}{
		{"mode 3", func(c *engine.Config) { c.Mode = 3 }},
		{"mode 255", func(c *engine.Config) { c.Mode = 255 }},
		{"window 0", func(c *engine.Config) { c.Window = 0 }},
		{"window negative", func(c *engine.Config) { c.Window = -5 * time.Second }},
		{"window sub-ms", func(c *engine.Config) { c.Window = 500 * time.Microsecond }},
		{"window fractional ms", func(c *engine.Config) { c.Window = 5*time.Second + time.Microsecond }},
		{"watermark negative", func(c *engine.Config) { c.Watermark = -time.Millisecond }},
		{"idle 0", func(c *engine.Config) { c.Idle = 0 }},
		{"idle sub-ms", func(c *engine.Config) { c.Idle = time.Microsecond }},
		{"lateness negative", func(c *engine.Config) { c.Lateness = -time.Second }},
		{"dedup ttl 0", func(c *engine.Config) { c.DedupTTL = 0 }},
		{"name empty", func(c *engine.Config) { c.Name = "" }},
		{"max skew negative", func(c *engine.Config) { c.MaxSkew = -time.Millisecond }},
		{"max skew sub-ms", func(c *engine.Config) { c.MaxSkew = time.Microsecond }},
		{"max keys negative", func(c *engine.Config) { c.MaxKeys = -1 }},
	}
	for _, tc := range bad {
		c := engine.DefaultConfig()
		tc.mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", tc.name, c)
		}
		if e, err := engine.New(c); err == nil || e != nil {
			t.Errorf("%s: New accepted %+v", tc.name, c)
		}
	}
	good := []func(*engine.Config){
		func(c *engine.Config) { c.Watermark = 0 },
		func(c *engine.Config) { c.Window = time.Millisecond },
		func(c *engine.Config) { c.Lateness = time.Minute },
		func(c *engine.Config) { c.Mode = engine.MicroBatch; c.Dedup = false },
		func(c *engine.Config) { c.Mode = engine.ProcessingTime; c.DedupTTL = time.Millisecond },
		func(c *engine.Config) { c.MaxSkew = 0 },
		func(c *engine.Config) { c.MaxKeys = 0 },
	}
	for i, mut := range good {
		c := engine.DefaultConfig()
		mut(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("good config %d rejected: %v", i, err)
		}
	}
}

func TestModeParseStringNext(t *testing.T) {
	for _, tc := range []struct {
		s string
		m engine.Mode
	}{{"event", engine.EventTime}, {"processing", engine.ProcessingTime}, {"microbatch", engine.MicroBatch}} {
		m, err := engine.ParseMode(tc.s)
		if err != nil || m != tc.m {
			t.Errorf("ParseMode(%q) = %v, %v", tc.s, m, err)
		}
		if tc.m.String() != tc.s {
			t.Errorf("%d.String() = %q, want %q", tc.m, tc.m.String(), tc.s)
		}
	}
	for _, s := range []string{"", "Event", "event-time", "batch", "processing "} {
		if _, err := engine.ParseMode(s); !errors.Is(err, engine.ErrBadMode) {
			t.Errorf("ParseMode(%q) error %v, want ErrBadMode", s, err)
		}
	}
	if s := engine.Mode(7).String(); s != "mode(7)" {
		t.Errorf("Mode(7).String() = %q", s)
	}
	if engine.EventTime.Next() != engine.ProcessingTime || engine.ProcessingTime.Next() != engine.MicroBatch || engine.MicroBatch.Next() != engine.EventTime {
		t.Errorf("Next does not cycle event → processing → microbatch → event")
	}
	for o, s := range map[engine.Outcome]string{engine.Accepted: "accepted", engine.Duplicate: "duplicate", engine.Late: "late", 9: "outcome(9)"} {
		if o.String() != s {
			t.Errorf("Outcome(%d).String() = %q, want %q", o, o.String(), s)
		}
	}
}

// ---------------------------------------------------------------- event time

func TestEventTimeSinglePartitionFiresAtWatermark(t *testing.T) {
	e := newEngine(t, nil) // W = 1 s, lateness 0
	if e.Watermark() != engine.None || e.Now() != engine.None || e.ClosedBefore() != engine.None {
		t.Fatalf("fresh engine: wm %d now %d closed %d, want None", e.Watermark(), e.Now(), e.ClosedBefore())
	}
	in := []engine.Event{
		ev("d1-1", "d1", t0+100, "cat-2", 3, 1.5),
		ev("d1-2", "d1", t0+200, "cat-1", 4, 2.25),
		ev("d0-1", "d0", t0+300, "cat-1", 1, 0.5),
		ev("d1-3", "d1", t0+4999, "cat-2", 10, 0.25), // last ms of window t0+5000
	}
	for i, x := range in {
		expectOutcome(t, e.Ingest(0, t0+int64(i), x), engine.Accepted, x.ID)
	}
	expectWM(t, e, t0+3999)
	expectDrain(t, e)

	// Device time t0+5000 is the first ms of the next window; wm = t0+4000.
	expectOutcome(t, e.Ingest(0, t0+10, ev("d2-1", "d2", t0+5000, "cat-1", 7, 1)), engine.Accepted, "d2-1")
	expectWM(t, e, t0+4000)
	// wm = t0+4999: one ms short of the end.
	expectOutcome(t, e.Ingest(0, t0+11, ev("d2-2", "d2", t0+5999, "cat-1", 8, 1)), engine.Accepted, "d2-2")
	expectWM(t, e, t0+4999)
	expectDrain(t, e)
	if s := e.Stats(); s.OpenWindows != 2 || s.OpenKeys != 4 {
		t.Fatalf("open windows %d keys %d, want 2 and 4", s.OpenWindows, s.OpenKeys)
	}

	// wm = t0+5000 = end: the window fires, ordered by device then category.
	expectOutcome(t, e.Ingest(0, t0+12, ev("d2-3", "d2", t0+6000, "cat-1", 9, 1)), engine.Accepted, "d2-3")
	expectWM(t, e, t0+5000)
	expectDrain(t, e,
		res("d0", "cat-1", t0+5000, 1, 0.5, 1),
		res("d1", "cat-1", t0+5000, 4, 2.25, 1),
		res("d1", "cat-2", t0+5000, 13, 1.75, 2),
	)
	expectDrain(t, e) // drained
	if got := e.ClosedBefore(); got != t0+5000 {
		t.Fatalf("ClosedBefore = %s, want t0+5000", wmStr(got))
	}
	s := e.Stats()
	if s.Accepted != 7 || s.Emitted != 3 || s.OpenWindows != 1 || s.OpenKeys != 1 || s.Late != 0 || s.Duplicates != 0 ||
		s.Now != t0+12 || s.Partitions != 1 || s.Mode != engine.EventTime {
		t.Fatalf("Stats = %+v", s)
	}

	// A jump fires several windows at once, in window order.
	e.Ingest(0, t0+13, ev("d9-1", "d9", t0+12000, "cat-4", 1, 0.125)) // window t0+15000
	e.Ingest(0, t0+14, ev("d3-1", "d3", t0+21000, "cat-3", 2, 0.125)) // wm t0+20000
	expectDrain(t, e,
		res("d2", "cat-1", t0+10000, 24, 3, 3),
		res("d9", "cat-4", t0+15000, 1, 0.125, 1),
	)
}

func TestEventTimeWatermarkPartitions(t *testing.T) {
	// Three partitions: p0 live and ahead, p1 live and lagging, p2 quiet.
	setup := func(t *testing.T, p2CaughtUp bool) *engine.Engine {
		e := newEngine(t, nil)
		e.Assign(0, 1, 2)
		e.Ingest(2, t0+2000, ev("c-1", "c", t0+2000, "cat-1", 1, 1))
		if p2CaughtUp {
			e.SetCaughtUp(2, true)
		}
		e.Ingest(0, t0+20000, ev("a-1", "a", t0+20000, "cat-1", 1, 1))
		e.Ingest(1, t0+20000, ev("b-1", "b", t0+12000, "cat-1", 1, 1))
		return e
	}

	t.Run("idle partition does not hold it back", func(t *testing.T) {
		e := setup(t, true)
		// p2 caught up and silent 18 s ≥ 6 s: skipped. p1 lags: t0+12000 − 1 s.
		expectWM(t, e, t0+11000)
		if s := e.Stats(); s.Idle != 1 || s.Partitions != 3 {
			t.Fatalf("idle %d partitions %d, want 1 and 3", s.Idle, s.Partitions)
		}
		// The lagging partition moves: the watermark follows it.
		e.Ingest(1, t0+20001, ev("b-2", "b", t0+15500, "cat-1", 1, 1))
		expectWM(t, e, t0+14500)
		// Now p0 is the slowest.
		e.Ingest(1, t0+20002, ev("b-3", "b", t0+40000, "cat-1", 1, 1))
		expectWM(t, e, t0+19000)
	})

	t.Run("unreachable partition holds it back", func(t *testing.T) {
		e := setup(t, false) // p2 never reported caught up: an outage
		expectWM(t, e, t0+1000)
		e.Advance(t0 + 10*60*1000) // ten silent minutes change nothing
		expectWM(t, e, t0+1000)
		if s := e.Stats(); s.Idle != 0 {
			t.Fatalf("idle = %d, want 0", s.Idle)
		}
		// Reachable again and caught up: it becomes idle and stops holding it.
		e.SetCaughtUp(2, true)
		e.Advance(t0 + 10*60*1000 + 1)
		expectWM(t, e, t0+11000)
	})

	t.Run("caught up but not yet silent for idle", func(t *testing.T) {
		e := newEngine(t, nil)
		e.Ingest(2, t0+15000, ev("c-1", "c", t0+2000, "cat-1", 1, 1))
		e.SetCaughtUp(2, true)
		e.Ingest(0, t0+20000, ev("a-1", "a", t0+20000, "cat-1", 1, 1))
		expectWM(t, e, t0+1000) // silent 5 s < 6 s: still counts
		e.Advance(t0 + 20999)
		expectWM(t, e, t0+1000)
		e.Advance(t0 + 21000) // silent exactly 6 s: idle
		expectWM(t, e, t0+19000)
	})

	t.Run("registered partition with nothing read holds it at None", func(t *testing.T) {
		e := newEngine(t, nil)
		e.Assign(0, 1)
		e.Ingest(0, t0+20000, ev("a-1", "a", t0+20000, "cat-1", 1, 1))
		expectWM(t, e, engine.None)
		e.Advance(t0 + 60000)
		expectWM(t, e, engine.None)
		if e.ClosedBefore() != engine.None {
			t.Fatalf("ClosedBefore = %d, want None", e.ClosedBefore())
		}
		expectDrain(t, e)
		// Its position becomes known (empty, caught up): it is idle at once.
		e.SetCaughtUp(1, true)
		e.Advance(t0 + 60000)
		expectWM(t, e, t0+19000)
		expectDrain(t, e) // window t0+25000 has not fired
	})

	t.Run("every partition idle: now minus idle", func(t *testing.T) {
		e := newEngine(t, nil)
		e.Ingest(0, t0+1000, ev("a-1", "a", t0+1000, "cat-1", 5, 1))
		e.Ingest(1, t0+1000, ev("b-1", "b", t0+1500, "cat-1", 6, 1))
		e.SetCaughtUp(0, true)
		e.SetCaughtUp(1, true)
		expectWM(t, e, t0+0)
		e.Advance(t0 + 6999) // silent 5999 ms: not idle
		expectWM(t, e, t0+0)
		e.Advance(t0 + 7000) // both idle: wm = now − 6 s = t0+1000 (not above max−W = t0+500)
		expectWM(t, e, t0+1000)
		if s := e.Stats(); s.Idle != 2 {
			t.Fatalf("idle = %d, want 2", s.Idle)
		}
		expectDrain(t, e)
		e.Advance(t0 + 11000) // wm t0+5000: the last window fires on a quiet stream
		expectWM(t, e, t0+5000)
		expectDrain(t, e, res("a", "cat-1", t0+5000, 5, 1, 1), res("b", "cat-1", t0+5000, 6, 1, 1))
		// A new record on p0 makes it active again; the watermark does not go
		// back. Its arrival first moved it to now − idle (SPEC §3: idleness
		// at that now, before the record counts).
		e.Ingest(0, t0+11001, ev("a-2", "a", t0+5200, "cat-1", 1, 1))
		expectWM(t, e, t0+5001)
	})

	t.Run("a record read counts as activity at now", func(t *testing.T) {
		// Under the virtual clock a partition's record timestamps can lag
		// now (set by another partition): reading a record still means the
		// partition is not silent.
		e := newEngine(t, nil)
		e.Assign(0, 1)
		e.SetCaughtUp(1, true)
		e.Ingest(0, t0+30000, ev("a-1", "a", t0+30000, "cat-1", 1, 1))
		expectWM(t, e, t0+29000) // p1: caught up, nothing read, idle
		e.Ingest(1, t0+2000, ev("b-1", "b", t0+35000, "cat-1", 1, 1))
		e.Ingest(1, t0+2001, ev("b-2", "b", t0+40000, "cat-1", 1, 1))
		expectWM(t, e, t0+29000)
		e.Ingest(0, t0+30001, ev("a-2", "a", t0+50000, "cat-1", 1, 1))
		// p1 read at now = t0+30000: active, its max − W = t0+39000 holds the watermark.
		expectWM(t, e, t0+39000)
		if e.Stats().Idle != 0 {
			t.Fatalf("idle = %d, want 0", e.Stats().Idle)
		}
		e.Advance(t0 + 36000)
		expectWM(t, e, t0+49000)
	})

	t.Run("no partitions at all: now minus idle", func(t *testing.T) {
		e := newEngine(t, nil)
		e.Advance(t0)
		expectWM(t, e, t0-6000)
	})

	t.Run("revoking the lagging partition releases it", func(t *testing.T) {
		e := setup(t, false)
		expectWM(t, e, t0+1000)
		e.Revoke(2)
		expectWM(t, e, t0+11000)
		if e.Stats().Partitions != 2 {
			t.Fatalf("partitions = %d, want 2", e.Stats().Partitions)
		}
	})
}

func TestEventTimeWatermarkNeverGoesBack(t *testing.T) {
	e := newEngine(t, nil)
	e.Ingest(0, t0+10000, ev("a-1", "a", t0+10000, "cat-1", 1, 1))
	expectWM(t, e, t0+9000)
	// A larger W keeps it where it is.
	if err := e.SetWatermarkLag(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	expectWM(t, e, t0+9000)
	if e.Config().Watermark != 5*time.Second {
		t.Fatalf("Config().Watermark = %v", e.Config().Watermark)
	}
	// Device time catches up: t0+13000 − 5 s = t0+8000 < t0+9000, still held.
	e.Ingest(0, t0+10001, ev("a-2", "a", t0+13000, "cat-1", 1, 1))
	expectWM(t, e, t0+9000)
	e.Ingest(0, t0+10002, ev("a-3", "a", t0+14500, "cat-1", 1, 1))
	expectWM(t, e, t0+9500)
	// A smaller W moves it forward at once.
	if err := e.SetWatermarkLag(0); err != nil {
		t.Fatal(err)
	}
	expectWM(t, e, t0+14500)
	if err := e.SetWatermarkLag(-time.Millisecond); err == nil {
		t.Fatal("SetWatermarkLag(-1ms) accepted")
	}
	// A newly assigned partition (not caught up, nothing read) does not pull it back.
	e.Assign(7)
	e.Advance(t0 + 10003)
	expectWM(t, e, t0+14500)
	// A partition becoming unreachable does not pull it back either.
	e.Ingest(3, t0+10004, ev("z-1", "z", t0, "cat-1", 1, 1))
	expectWM(t, e, t0+14500)

	// Monotone under a long deterministic pseudo-random scenario.
	e2 := newEngine(t, func(c *engine.Config) { c.Lateness = 2 * time.Second })
	x := uint64(34)
	rnd := func(n uint64) int64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return int64(x % n)
	}
	now := t0
	last := int64(engine.None)
	for i := 0; i < 5000; i++ {
		now += rnd(200)
		p := int32(rnd(4))
		switch rnd(10) {
		case 0:
			e2.SetCaughtUp(p, rnd(2) == 0)
		case 1:
			e2.Advance(now)
		case 2:
			_ = e2.SetWatermarkLag(time.Duration(rnd(5000)) * time.Millisecond)
		default:
			e2.Ingest(p, now, ev(fmt.Sprintf("d%d-%d", p, i), fmt.Sprintf("d%d", p), now-rnd(8000), "cat-1", 1, 1))
		}
		wm := e2.Stats().Watermark
		if wm < last {
			t.Fatalf("step %d: watermark went back from %s to %s", i, wmStr(last), wmStr(wm))
		}
		last = wm
	}
	if last == engine.None {
		t.Fatal("random scenario never produced a watermark")
	}
}

func TestEventTimeFireVersusClose(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Lateness = 3 * time.Second })
	expectOutcome(t, e.Ingest(0, t0+1000, ev("a-1", "a", t0+1000, "cat-1", 5, 0.5)), engine.Accepted, "a-1")
	expectDrain(t, e)

	// wm = t0+5000 = end: fires, but stays open until wm ≥ t0+8000.
	expectOutcome(t, e.Ingest(0, t0+6000, ev("a-2", "a", t0+6000, "cat-1", 1, 0.25)), engine.Accepted, "a-2")
	expectWM(t, e, t0+5000)
	expectDrain(t, e, res("a", "cat-1", t0+5000, 5, 0.5, 1))
	if got := e.ClosedBefore(); got != t0+2000 {
		t.Fatalf("ClosedBefore = %s, want t0+2000 (wm − lateness)", wmStr(got))
	}

	// An event for the fired, open window is accepted and its key re-emitted.
	expectOutcome(t, e.Ingest(0, t0+6001, ev("a-3", "a", t0+2000, "cat-1", 7, 0.25)), engine.Accepted, "a-3")
	expectDrain(t, e, res("a", "cat-1", t0+5000, 12, 0.75, 2))
	// A new key in the fired window is emitted alone.
	expectOutcome(t, e.Ingest(0, t0+6002, ev("b-1", "b", t0+4999, "cat-2", 2, 0.125)), engine.Accepted, "b-1")
	expectDrain(t, e, res("b", "cat-2", t0+5000, 2, 0.125, 1))

	// wm = t0+7999: still open.
	expectOutcome(t, e.Ingest(0, t0+9000, ev("a-4", "a", t0+8999, "cat-1", 1, 0.25)), engine.Accepted, "a-4")
	expectOutcome(t, e.Ingest(0, t0+9001, ev("a-5", "a", t0+4000, "cat-1", 1, 0.25)), engine.Accepted, "a-5 at wm end+L−1")
	expectDrain(t, e, res("a", "cat-1", t0+5000, 13, 1, 3))

	// wm = t0+8000 = end + L: closes. A later event for it is late.
	e.Ingest(0, t0+9002, ev("a-6", "a", t0+9000, "cat-1", 1, 0.25))
	expectWM(t, e, t0+8000)
	if got := e.ClosedBefore(); got != t0+5000 {
		t.Fatalf("ClosedBefore = %s, want t0+5000", wmStr(got))
	}
	expectDrain(t, e)
	before := e.Stats()
	expectOutcome(t, e.Ingest(0, t0+9003, ev("a-7", "a", t0+4999, "cat-1", 50, 8)), engine.Late, "a-7 for closed window")
	expectDrain(t, e)
	after := e.Stats()
	if after.Late != before.Late+1 || after.Accepted != before.Accepted || after.Emitted != before.Emitted {
		t.Fatalf("late event: stats before %+v after %+v", before, after)
	}
	// A new key in the open, not yet fired window t0+10000 waits for the watermark.
	expectOutcome(t, e.Ingest(0, t0+9004, ev("c-1", "c", t0+5000, "cat-3", 4, 2)), engine.Accepted, "c-1")
	expectDrain(t, e)
	e.Ingest(0, t0+9005, ev("a-8", "a", t0+12000, "cat-1", 1, 0.25)) // wm t0+11000
	expectDrain(t, e,
		res("a", "cat-1", t0+10000, 3, 0.75, 3),
		res("c", "cat-3", t0+10000, 4, 2, 1),
	)
}

func TestEventTimeWindowBornFired(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Lateness = 10 * time.Second })
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	e.Ingest(0, t0, ev("a-2", "a", t0+21000, "cat-1", 2, 1)) // wm t0+20000
	expectDrain(t, e, res("a", "cat-1", t0+5000, 1, 1, 1))
	// Window t0+5000 closed (5000 ≤ 20000 − 10000).
	expectOutcome(t, e.Ingest(0, t0, ev("a-3", "a", t0+4000, "cat-1", 1, 1)), engine.Late, "closed window")
	// Windows t0+15000 and t0+20000 were never seen; they fired (end ≤ wm) but
	// are open (end > wm − L): the first event in each is emitted at once.
	expectOutcome(t, e.Ingest(0, t0, ev("b-1", "b", t0+12000, "cat-2", 3, 0.5)), engine.Accepted, "born fired")
	expectDrain(t, e, res("b", "cat-2", t0+15000, 3, 0.5, 1))
	expectOutcome(t, e.Ingest(0, t0, ev("b-2", "b", t0+19999, "cat-2", 4, 0.5)), engine.Accepted, "born fired at end")
	expectDrain(t, e, res("b", "cat-2", t0+20000, 4, 0.5, 1))
	expectOutcome(t, e.Ingest(0, t0, ev("b-3", "b", t0+13000, "cat-2", 5, 0.5)), engine.Accepted, "update")
	expectDrain(t, e, res("b", "cat-2", t0+15000, 8, 1, 2))
	// Window t0+25000 (not fired) is not emitted yet.
	expectOutcome(t, e.Ingest(0, t0, ev("b-4", "b", t0+20000, "cat-2", 6, 0.5)), engine.Accepted, "not fired")
	expectDrain(t, e)
	// When the watermark passes t0+25000 the earlier born-fired windows are
	// not emitted again, and window t0+25000 fires (a-2 and b-4).
	e.Ingest(0, t0, ev("a-9", "a", t0+26000, "cat-1", 1, 1))
	expectDrain(t, e,
		res("a", "cat-1", t0+25000, 2, 1, 1),
		res("b", "cat-2", t0+25000, 6, 0.5, 1),
	)
}

func TestEventTimeZeroLatenessFireIsClose(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Watermark = 0 })
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	e.Ingest(0, t0, ev("a-2", "a", t0+5000, "cat-1", 2, 1)) // wm = t0+5000
	expectDrain(t, e, res("a", "cat-1", t0+5000, 1, 1, 1))
	if e.ClosedBefore() != t0+5000 {
		t.Fatalf("ClosedBefore = %s", wmStr(e.ClosedBefore()))
	}
	expectOutcome(t, e.Ingest(0, t0, ev("a-3", "a", t0+4999, "cat-1", 1, 1)), engine.Late, "fired = closed")
	expectOutcome(t, e.Ingest(0, t0, ev("a-4", "a", t0+5000, "cat-1", 3, 1)), engine.Accepted, "next window")
	expectDrain(t, e)
	if s := e.Stats(); s.Late != 1 || s.OpenWindows != 1 {
		t.Fatalf("Stats = %+v", s)
	}
}

// Raising the allowed lateness must not reopen closed windows (SPEC §3: an
// event for a closed window is late). Otherwise an event for a closed window
// would be emitted alone in a fresh window and overwrite the correct
// downstream value (the latest emission wins).
func TestSetLatenessKeepsClosedWindowsClosed(t *testing.T) {
	e := newEngine(t, nil) // lateness 0
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 10, 1))
	e.Ingest(0, t0, ev("a-2", "a", t0+2000, "cat-1", 20, 1))
	e.Ingest(0, t0, ev("a-3", "a", t0+21000, "cat-1", 1, 1)) // wm t0+20000
	expectDrain(t, e, res("a", "cat-1", t0+5000, 30, 2, 2))
	// Window t0+5000 is closed. Raise the lateness to 30 s.
	if err := e.SetLateness(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	// A copy of a-1 (its id was forgotten when the window closed) and a new
	// event for the closed window must both be late.
	expectOutcome(t, e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 10, 1)), engine.Late, "copy for a closed window after SetLateness")
	expectOutcome(t, e.Ingest(0, t0, ev("a-4", "a", t0+3000, "cat-1", 5, 1)), engine.Late, "new event for a closed window after SetLateness")
	expectDrain(t, e) // no partial re-emission of a-cat-1@t0+5000
}

func TestSetLatenessSmallerClosesWindows(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Lateness = 10 * time.Second })
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	e.Ingest(0, t0, ev("a-2", "a", t0+11000, "cat-1", 1, 1)) // wm t0+10000: fired, open
	expectDrain(t, e, res("a", "cat-1", t0+5000, 1, 1, 1))
	if e.Stats().OpenWindows != 2 || e.Stats().DedupIDs != 2 {
		t.Fatalf("Stats = %+v", e.Stats())
	}
	if err := e.SetLateness(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.OpenWindows != 1 || s.DedupIDs != 1 {
		t.Fatalf("after SetLateness(2s): Stats = %+v, want window t0+5000 closed and a-1 forgotten", s)
	}
	expectOutcome(t, e.Ingest(0, t0, ev("a-3", "a", t0+1000, "cat-1", 1, 1)), engine.Late, "closed by SetLateness")
	if err := e.SetLateness(-time.Second); err == nil {
		t.Fatal("negative lateness accepted")
	}
	expectDrain(t, e)
}

// ---------------------------------------------------------------- dedup

func TestEventTimeDedup(t *testing.T) {
	t.Run("duplicate in an open window is dropped", func(t *testing.T) {
		e := newEngine(t, nil)
		x := ev("a-1", "a", t0+1000, "cat-1", 5, 1)
		expectOutcome(t, e.Ingest(0, t0+1000, x), engine.Accepted, "first")
		expectOutcome(t, e.Ingest(0, t0+1100, x), engine.Duplicate, "copy")
		// Same id, other values: still a duplicate (dedup is by id).
		expectOutcome(t, e.Ingest(0, t0+1200, ev("a-1", "a", t0+1500, "cat-2", 9, 9)), engine.Duplicate, "same id")
		s := e.Stats()
		if s.Accepted != 1 || s.Duplicates != 2 || s.DedupIDs != 1 || s.OpenKeys != 1 {
			t.Fatalf("Stats = %+v", s)
		}
		e.Flush()
		expectDrain(t, e, res("a", "cat-1", t0+5000, 5, 1, 1))
	})

	t.Run("duplicate of a fired but open window is not re-emitted", func(t *testing.T) {
		e := newEngine(t, func(c *engine.Config) { c.Lateness = 3 * time.Second })
		x := ev("a-1", "a", t0+1000, "cat-1", 5, 1)
		e.Ingest(0, t0, x)
		e.Ingest(0, t0, ev("a-2", "a", t0+6500, "cat-1", 1, 1)) // wm t0+5500: fired, open
		expectDrain(t, e, res("a", "cat-1", t0+5000, 5, 1, 1))
		expectOutcome(t, e.Ingest(0, t0, x), engine.Duplicate, "copy after fire")
		expectDrain(t, e)
	})

	t.Run("dedup is checked before lateness", func(t *testing.T) {
		e := newEngine(t, nil)
		// a-9 accepted in the open window t0+10000 ...
		expectOutcome(t, e.Ingest(0, t0, ev("a-9", "a", t0+9000, "cat-1", 1, 1)), engine.Accepted, "a-9")
		// ... wm = t0+8000, window t0+5000 closed ...
		e.Ingest(0, t0, ev("a-10", "a", t0+9000, "cat-1", 1, 1))
		expectWM(t, e, t0+8000)
		// ... a copy carrying a device time in the closed window is a
		// duplicate, not late: dedup comes first.
		expectOutcome(t, e.Ingest(0, t0, ev("a-9", "a", t0+1000, "cat-1", 1, 1)), engine.Duplicate, "copy with closed-window time")
		s := e.Stats()
		if s.Duplicates != 1 || s.Late != 0 {
			t.Fatalf("Stats = %+v", s)
		}
	})

	t.Run("an event dropped as late is not remembered", func(t *testing.T) {
		e := newEngine(t, nil)
		e.Ingest(0, t0, ev("a-1", "a", t0+9500, "cat-1", 1, 1)) // wm t0+8500
		before := e.Stats().DedupIDs
		expectOutcome(t, e.Ingest(0, t0, ev("y-1", "y", t0+1000, "cat-1", 3, 1)), engine.Late, "late")
		if got := e.Stats().DedupIDs; got != before {
			t.Fatalf("DedupIDs %d → %d: a late id was remembered", before, got)
		}
		// A later copy of y-1 for an open window is accepted.
		expectOutcome(t, e.Ingest(0, t0, ev("y-1", "y", t0+9000, "cat-1", 3, 1)), engine.Accepted, "after late")
		expectOutcome(t, e.Ingest(0, t0, ev("y-1", "y", t0+9000, "cat-1", 3, 1)), engine.Duplicate, "now remembered")
	})

	t.Run("ids are forgotten when their window closes", func(t *testing.T) {
		e := newEngine(t, nil)
		x := ev("a-1", "a", t0+1000, "cat-1", 5, 1)
		e.Ingest(0, t0, x)
		e.Ingest(0, t0, ev("a-2", "a", t0+2000, "cat-1", 5, 1))
		e.Ingest(0, t0, ev("b-1", "b", t0+5500, "cat-1", 5, 1)) // window t0+10000, wm t0+4500
		if got := e.Stats().DedupIDs; got != 3 {
			t.Fatalf("DedupIDs = %d, want 3", got)
		}
		expectOutcome(t, e.Ingest(0, t0, x), engine.Duplicate, "copy while open")
		e.Ingest(0, t0, ev("b-2", "b", t0+6000, "cat-1", 5, 1)) // wm t0+5000: fires and closes t0+5000
		expectDrain(t, e, res("a", "cat-1", t0+5000, 10, 2, 2))
		if got := e.Stats().DedupIDs; got != 2 {
			t.Fatalf("after close: DedupIDs = %d, want 2 (b-1, b-2)", got)
		}
		expectOutcome(t, e.Ingest(0, t0, x), engine.Late, "copy after close")
		if s := e.Stats(); s.Late != 1 || s.Duplicates != 1 {
			t.Fatalf("Stats = %+v", s)
		}
	})

	t.Run("dedup off counts duplicates twice", func(t *testing.T) {
		e := newEngine(t, func(c *engine.Config) { c.Dedup = false })
		x := ev("a-1", "a", t0+1000, "cat-1", 5, 1.5)
		expectOutcome(t, e.Ingest(0, t0, x), engine.Accepted, "first")
		expectOutcome(t, e.Ingest(0, t0, x), engine.Accepted, "copy")
		if s := e.Stats(); s.DedupIDs != 0 || s.Accepted != 2 {
			t.Fatalf("Stats = %+v", s)
		}
		e.Flush()
		expectDrain(t, e, res("a", "cat-1", t0+5000, 10, 3, 2))
	})

	t.Run("SetDedup live", func(t *testing.T) {
		e := newEngine(t, nil)
		x := ev("a-1", "a", t0+1000, "cat-1", 1, 1)
		y := ev("a-2", "a", t0+1000, "cat-1", 10, 1)
		e.Ingest(0, t0, x)
		expectOutcome(t, e.Ingest(0, t0, x), engine.Duplicate, "dedup on")
		e.SetDedup(false)
		if e.Config().Dedup {
			t.Fatal("Config().Dedup still true")
		}
		expectOutcome(t, e.Ingest(0, t0, x), engine.Accepted, "dedup off: copy counted")
		expectOutcome(t, e.Ingest(0, t0, y), engine.Accepted, "dedup off")
		expectOutcome(t, e.Ingest(0, t0, y), engine.Accepted, "dedup off: copy counted")
		e.SetDedup(true) // starts with an empty memory
		if got := e.Stats().DedupIDs; got != 0 {
			t.Fatalf("DedupIDs after re-enabling = %d, want 0", got)
		}
		expectOutcome(t, e.Ingest(0, t0, y), engine.Accepted, "first after re-enabling")
		expectOutcome(t, e.Ingest(0, t0, y), engine.Duplicate, "dedup on again")
		e.Flush()
		expectDrain(t, e, res("a", "cat-1", t0+5000, 32, 5, 5))
	})
}

// ---------------------------------------------------------------- processing time

func TestProcessingTimeWindowsByArrival(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Mode = engine.ProcessingTime })
	// Device times are old (and even in the future): only arrival matters.
	expectOutcome(t, e.Ingest(0, t0+1000, ev("a-1", "a", t0-600000, "cat-1", 1, 0.5)), engine.Accepted, "old")
	expectOutcome(t, e.Ingest(1, t0+4999, ev("a-2", "a", t0+99999, "cat-1", 2, 0.5)), engine.Accepted, "future")
	expectOutcome(t, e.Ingest(0, t0+5000, ev("a-3", "a", t0+2000, "cat-1", 4, 0.5)), engine.Accepted, "boundary")
	// Ingest at t0+5000 made now = end of window t0+5000: it fired.
	expectDrain(t, e, res("a", "cat-1", t0+5000, 3, 1, 2))
	if e.Watermark() != engine.None {
		t.Fatalf("processing time should not set a watermark: %s", wmStr(e.Watermark()))
	}
	if e.ClosedBefore() != t0+5000 {
		t.Fatalf("ClosedBefore = %s, want now", wmStr(e.ClosedBefore()))
	}
	// An arrival stamped before now (out-of-order timestamps) goes to now's window.
	expectOutcome(t, e.Ingest(0, t0+3000, ev("a-4", "a", t0, "cat-1", 8, 0.5)), engine.Accepted, "arrival behind now")
	e.Advance(t0 + 9999)
	expectDrain(t, e)
	if e.Now() != t0+9999 {
		t.Fatalf("Now = %s", wmStr(e.Now()))
	}
	e.Advance(t0 + 5) // never back
	if e.Now() != t0+9999 {
		t.Fatalf("Now went back to %s", wmStr(e.Now()))
	}
	e.Advance(t0 + 10000)
	expectDrain(t, e, res("a", "cat-1", t0+10000, 12, 1, 2))
	if s := e.Stats(); s.OpenWindows != 0 || s.Accepted != 4 || s.Late != 0 || s.Emitted != 2 {
		t.Fatalf("Stats = %+v", s)
	}
}

func TestProcessingTimeOrderingAndSeveralWindows(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Mode = engine.ProcessingTime })
	e.Ingest(0, t0+1, ev("z-1", "z", 0, "cat-1", 1, 1))
	e.Ingest(0, t0+2, ev("b-1", "b", 0, "cat-4", 2, 1))
	e.Ingest(0, t0+3, ev("b-2", "b", 0, "cat-2", 3, 1))
	e.Ingest(0, t0+5001, ev("a-1", "a", 0, "cat-1", 4, 1))
	expectDrain(t, e,
		res("b", "cat-2", t0+5000, 3, 1, 1),
		res("b", "cat-4", t0+5000, 2, 1, 1),
		res("z", "cat-1", t0+5000, 1, 1, 1),
	)
	e.Ingest(0, t0+30000, ev("c-1", "c", 0, "cat-1", 5, 1)) // jumps past t0+10000
	expectDrain(t, e, res("a", "cat-1", t0+10000, 4, 1, 1))
	e.Flush()
	expectDrain(t, e, res("c", "cat-1", t0+35000, 5, 1, 1))
}

func TestProcessingTimeDedupTTL(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Mode = engine.ProcessingTime; c.DedupTTL = time.Minute })
	x := ev("a-1", "a", t0, "cat-1", 1, 1)
	expectOutcome(t, e.Ingest(0, t0+1000, x), engine.Accepted, "first")
	expectOutcome(t, e.Ingest(0, t0+2000, x), engine.Duplicate, "same window")
	expectOutcome(t, e.Ingest(0, t0+30000, x), engine.Duplicate, "other window, within TTL")
	expectOutcome(t, e.Ingest(0, t0+60999, x), engine.Duplicate, "TTL − 1 ms")
	if got := e.Stats().DedupIDs; got != 1 {
		t.Fatalf("DedupIDs = %d, want 1", got)
	}
	e.Advance(t0 + 61000) // TTL of arrival time passed: forgotten
	if got := e.Stats().DedupIDs; got != 0 {
		t.Fatalf("DedupIDs after TTL = %d, want 0", got)
	}
	expectOutcome(t, e.Ingest(0, t0+61000, x), engine.Accepted, "after TTL")
	expectOutcome(t, e.Ingest(0, t0+61001, x), engine.Duplicate, "remembered again")
	if s := e.Stats(); s.Accepted != 2 || s.Duplicates != 4 {
		t.Fatalf("Stats = %+v", s)
	}
	// Without Advance, Ingest alone also expires ids.
	y := ev("b-1", "b", t0, "cat-1", 1, 1)
	e.Ingest(0, t0+62000, y)
	expectOutcome(t, e.Ingest(0, t0+122000, y), engine.Accepted, "expired on ingest")
}

func TestMicroBatchDedupWithinBatchOnly(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Mode = engine.MicroBatch })
	x := ev("a-1", "a", t0, "cat-1", 3, 0.5)
	expectOutcome(t, e.Ingest(0, t0+1000, x), engine.Accepted, "first")
	expectOutcome(t, e.Ingest(0, t0+4999, x), engine.Duplicate, "same batch")
	expectOutcome(t, e.Ingest(0, t0+5000, x), engine.Accepted, "next batch")
	expectOutcome(t, e.Ingest(0, t0+9000, x), engine.Duplicate, "same (second) batch")
	expectOutcome(t, e.Ingest(0, t0+10000, x), engine.Accepted, "third batch")
	expectDrain(t, e,
		res("a", "cat-1", t0+5000, 3, 0.5, 1),
		res("a", "cat-1", t0+10000, 3, 0.5, 1),
	)
	e.Advance(t0 + 15000)
	expectDrain(t, e, res("a", "cat-1", t0+15000, 3, 0.5, 1))
	if s := e.Stats(); s.Accepted != 3 || s.Duplicates != 2 || s.Mode != engine.MicroBatch {
		t.Fatalf("Stats = %+v", s)
	}
	// Without dedup, copies in the same batch count.
	e.SetDedup(false)
	e.Ingest(0, t0+15001, x)
	e.Ingest(0, t0+15002, x)
	e.Advance(t0 + 20000)
	expectDrain(t, e, res("a", "cat-1", t0+20000, 6, 1, 2))
}

// ---------------------------------------------------------------- flush, modes

func TestFlushEventTime(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Lateness = 5 * time.Second })
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	e.Ingest(0, t0, ev("a-2", "a", t0+7000, "cat-2", 2, 1)) // wm t0+6000: t0+5000 fired, open
	expectDrain(t, e, res("a", "cat-1", t0+5000, 1, 1, 1))
	e.Ingest(0, t0, ev("b-1", "b", t0+14000, "cat-1", 3, 1)) // wm t0+13000: t0+10000 fired
	expectDrain(t, e, res("a", "cat-2", t0+10000, 2, 1, 1))
	e.Ingest(0, t0, ev("c-1", "c", t0+13500, "cat-1", 4, 1))
	e.Ingest(0, t0, ev("a-3", "a", t0+15500, "cat-1", 5, 1)) // wm t0+14500: t0+15000 not fired
	expectDrain(t, e)
	if e.Flushed() {
		t.Fatal("Flushed before Flush")
	}
	e.Flush()
	if !e.Flushed() {
		t.Fatal("not Flushed after Flush")
	}
	// Every open window not yet fired is emitted; fired ones are not repeated.
	expectDrain(t, e,
		res("b", "cat-1", t0+15000, 3, 1, 1),
		res("c", "cat-1", t0+15000, 4, 1, 1),
		res("a", "cat-1", t0+20000, 5, 1, 1),
	)
	if e.ClosedBefore() != math.MaxInt64 {
		t.Fatalf("ClosedBefore after Flush = %s, want MaxInt64", wmStr(e.ClosedBefore()))
	}
	s := e.Stats()
	if s.OpenWindows != 0 || s.OpenKeys != 0 || s.DedupIDs != 0 {
		t.Fatalf("after Flush: Stats = %+v", s)
	}
	// Anything after the end of input is late, even a new id for a future window.
	expectOutcome(t, e.Ingest(0, t0, ev("d-1", "d", t0+99000, "cat-1", 1, 1)), engine.Late, "after flush")
	expectOutcome(t, e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 1, 1)), engine.Late, "copy after flush")
	e.Advance(t0 + 999999)
	expectDrain(t, e)
	if e.Stats().Late != 2 {
		t.Fatalf("Late = %d", e.Stats().Late)
	}
}

func TestFlushArrivalModes(t *testing.T) {
	for _, m := range []engine.Mode{engine.ProcessingTime, engine.MicroBatch} {
		t.Run(m.String(), func(t *testing.T) {
			e := newEngine(t, func(c *engine.Config) { c.Mode = m })
			if e.ClosedBefore() != engine.None {
				t.Fatalf("ClosedBefore before any arrival = %s", wmStr(e.ClosedBefore()))
			}
			e.Ingest(0, t0+1000, ev("a-1", "a", 0, "cat-1", 1, 1))
			e.Ingest(0, t0+6000, ev("a-2", "a", 0, "cat-1", 2, 1))
			expectDrain(t, e, res("a", "cat-1", t0+5000, 1, 1, 1))
			if e.ClosedBefore() != t0+6000 {
				t.Fatalf("ClosedBefore = %s, want now", wmStr(e.ClosedBefore()))
			}
			e.Flush()
			expectDrain(t, e, res("a", "cat-1", t0+10000, 2, 1, 1))
			if e.ClosedBefore() != math.MaxInt64 {
				t.Fatalf("ClosedBefore after Flush = %s", wmStr(e.ClosedBefore()))
			}
			expectOutcome(t, e.Ingest(0, t0+7000, ev("a-3", "a", 0, "cat-1", 1, 1)), engine.Late, "after flush")
			e.Advance(t0 + 20000)
			expectDrain(t, e)
		})
	}
}

func TestSetModeLiveFlushesOpenWindows(t *testing.T) {
	e := newEngine(t, nil)
	e.Ingest(0, t0+1000, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	e.Ingest(0, t0+1000, ev("a-2", "a", t0+7000, "cat-1", 2, 1)) // wm t0+6000: t0+5000 fired
	expectDrain(t, e, res("a", "cat-1", t0+5000, 1, 1, 1))
	if err := e.SetMode(engine.EventTime); err != nil {
		t.Fatal(err)
	}
	expectDrain(t, e) // same mode: nothing happens
	if err := e.SetMode(engine.ProcessingTime); err != nil {
		t.Fatal(err)
	}
	expectDrain(t, e, res("a", "cat-1", t0+10000, 2, 1, 1))
	s := e.Stats()
	if s.Mode != engine.ProcessingTime || e.Config().Mode != engine.ProcessingTime || s.OpenWindows != 0 || s.DedupIDs != 0 {
		t.Fatalf("after SetMode: Stats = %+v", s)
	}
	if e.Flushed() {
		t.Fatal("SetMode must not end the input")
	}
	// The new mode starts empty and windows by arrival; ids accepted before
	// the switch are still duplicates, and windows already emitted stay closed.
	expectOutcome(t, e.Ingest(0, t0+2000, ev("a-2", "a", t0+7000, "cat-1", 2, 1)), engine.Duplicate, "a-2 (open at the switch) again")
	expectOutcome(t, e.Ingest(0, t0+2000, ev("a-1", "a", t0+1000, "cat-1", 1, 1)), engine.Late, "a-1: arrival window t0+5000 was emitted")
	e.Advance(t0 + 10000)
	expectDrain(t, e)

	// Processing time → micro-batch flushes the open arrival window.
	e.Ingest(0, t0+11000, ev("b-1", "b", 0, "cat-1", 3, 1))
	if err := e.SetMode(engine.MicroBatch); err != nil {
		t.Fatal(err)
	}
	expectDrain(t, e, res("b", "cat-1", t0+15000, 3, 1, 1))
	if got := e.Stats().DedupIDs; got != 0 {
		t.Fatalf("processing-time dedup memory kept in the new mode's own memory: %d ids", got)
	}
	expectOutcome(t, e.Ingest(0, t0+16000, ev("b-1", "b", 0, "cat-1", 3, 1)), engine.Duplicate, "b-1 carried over the switch")
	expectOutcome(t, e.Ingest(0, t0+16000, ev("b-2", "b", 0, "cat-1", 3, 1)), engine.Accepted, "b-2 in the next batch")
	expectOutcome(t, e.Ingest(0, t0+16001, ev("b-2", "b", 0, "cat-1", 3, 1)), engine.Duplicate, "b-2 same batch")

	// Back to event time: the watermark does not go back; windows by device time.
	if err := e.SetMode(engine.EventTime); err != nil {
		t.Fatal(err)
	}
	if e.Watermark() < t0+6000 {
		t.Fatalf("watermark went back to %s", wmStr(e.Watermark()))
	}
	if err := e.SetMode(engine.Mode(3)); !errors.Is(err, engine.ErrBadMode) {
		t.Fatalf("SetMode(3) error = %v", err)
	}
	if e.Config().Mode != engine.EventTime {
		t.Fatalf("bad SetMode changed the mode to %v", e.Config().Mode)
	}
}

func TestClosedBeforePerMode(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Lateness = 2 * time.Second })
	if e.ClosedBefore() != engine.None {
		t.Fatal("ClosedBefore before anything should be None")
	}
	e.Ingest(0, t0, ev("a-1", "a", t0+10000, "cat-1", 1, 1))
	if got := e.ClosedBefore(); got != t0+7000 { // wm t0+9000 − 2 s
		t.Fatalf("event time ClosedBefore = %s, want t0+7000", wmStr(got))
	}
	// Every key at or below ClosedBefore is final: an event there is late.
	expectOutcome(t, e.Ingest(0, t0, ev("a-2", "a", t0+2000, "cat-1", 1, 1)), engine.Late, "window t0+5000 ≤ ClosedBefore")

	p := newEngine(t, func(c *engine.Config) { c.Mode = engine.ProcessingTime })
	p.Advance(t0 + 12345)
	if got := p.ClosedBefore(); got != t0+12345 {
		t.Fatalf("processing ClosedBefore = %s, want now", wmStr(got))
	}
}

func TestDrainAppends(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Name = "eng-X" })
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 1, 1))
	e.Flush()
	pre := []engine.Result{{Engine: "keep"}}
	got := e.Drain(pre)
	want := res("a", "cat-1", t0+5000, 1, 1, 1)
	want.Engine = "eng-X"
	if len(got) != 2 || got[0].Engine != "keep" || got[1] != want {
		t.Fatalf("Drain(pre) = %s", fmtResults(got))
	}
	if rest := e.Drain(nil); len(rest) != 0 {
		t.Fatalf("second Drain = %s", fmtResults(rest))
	}
}

// A live mode switch closes the open windows for good: later events for
// them, in any mode, are late, so no partial sum overwrites the complete
// one downstream; and a duplicate of an id accepted before the switch is
// still a duplicate after it.
func TestSetModeNeverReemitsAPartialWindow(t *testing.T) {
	e := newEngine(t, nil)
	e.Assign(0)
	for i := range 10 {
		e.Ingest(0, t0+int64(i)*100, ev(fmt.Sprintf("a-%d", i), "a", t0+int64(i)*100, "cat-1", 10, 1))
	}
	expectDrain(t, e) // window t0+5000 still open
	for _, m := range []engine.Mode{engine.ProcessingTime, engine.MicroBatch, engine.EventTime} {
		if err := e.SetMode(m); err != nil {
			t.Fatal(err)
		}
	}
	expectDrain(t, e, res("a", "cat-1", t0+5000, 100, 10, 10)) // flushed once, complete
	expectOutcome(t, e.Ingest(0, t0+1000, ev("a-3", "a", t0+300, "cat-1", 10, 1)), engine.Duplicate, "a copy after the switch")
	expectOutcome(t, e.Ingest(0, t0+1100, ev("a-10", "a", t0+1000, "cat-1", 1, 1)), engine.Late, "a new event for the flushed window")
	e.Flush()
	expectDrain(t, e)

	// Processing time after event time: arrival windows whose label was
	// already emitted are closed too.
	p := newEngine(t, nil)
	p.Ingest(0, t0+4000, ev("b-0", "b", t0+4000, "cat-1", 7, 1))
	if err := p.SetMode(engine.ProcessingTime); err != nil {
		t.Fatal(err)
	}
	expectDrain(t, p, res("b", "cat-1", t0+5000, 7, 1, 1))
	expectOutcome(t, p.Ingest(0, t0+4500, ev("b-1", "b", t0+4500, "cat-1", 1, 1)), engine.Late, "arrival window already emitted")
	expectOutcome(t, p.Ingest(0, t0+5000, ev("b-2", "b", t0+5000, "cat-1", 2, 1)), engine.Accepted, "the next arrival window")
	expectOutcome(t, p.Ingest(0, t0+5100, ev("b-0", "b", t0+4000, "cat-1", 7, 1)), engine.Duplicate, "a copy of an id from before the switch")
	if cb := p.ClosedBefore(); cb < t0+5000 {
		t.Errorf("ClosedBefore %d went below the emitted window", cb-t0)
	}
}

func TestSetFloorClosesWindowsForOnePartition(t *testing.T) {
	e := newEngine(t, func(c *engine.Config) { c.Lateness = time.Minute })
	e.Assign(0, 1)
	e.SetCaughtUp(1, true)
	e.SetFloor(0, t0+10000) // another instance emitted p0's windows up to t0+10000
	e.SetFloor(0, t0+5000)  // never goes back
	expectOutcome(t, e.Ingest(0, t0, ev("a-1", "a", t0+9000, "cat-1", 1, 1)), engine.Late, "p0 event in a window at the floor")
	expectOutcome(t, e.Ingest(0, t0, ev("a-2", "a", t0+10000, "cat-1", 2, 1)), engine.Accepted, "p0 event after the floor")
	expectOutcome(t, e.Ingest(1, t0, ev("b-1", "b", t0+9000, "cat-1", 3, 1)), engine.Accepted, "p1 has no floor")
	if s := e.Stats(); s.Late != 1 || s.Accepted != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFlushIncompleteMarksResults(t *testing.T) {
	e := newEngine(t, nil)
	e.Ingest(0, t0, ev("a-1", "a", t0+1000, "cat-1", 4, 1))
	e.FlushIncomplete()
	got := e.Drain(nil)
	if len(got) != 1 || !got[0].Incomplete || got[0].M1 != 4 {
		t.Fatalf("FlushIncomplete emitted %s", fmtResults(got))
	}
	if !e.Flushed() {
		t.Error("FlushIncomplete must end the input")
	}
}

// A partition the engine learned of (assigned, caught up) while it knew
// the time is silent from then: it holds the watermark back for idle, so
// its first records, written a moment after another partition's, are not
// late; past idle it no longer holds it.
func TestPartitionAssignedBeforeItsRecordsIsNotIdleAtOnce(t *testing.T) {
	e, err := engine.New(engine.DefaultConfig()) // W 1 s, idle 6 s
	if err != nil {
		t.Fatal(err)
	}
	t0 := int64(1_767_225_600_000)
	e.Advance(t0)
	e.SetCaughtUp(0, false)
	e.SetCaughtUp(1, true) // assigned, nothing written to it yet
	expectOutcome(t, e.Ingest(0, t0+100, ev("a-1", "a", t0+60_000, "cat-1", 1, 1)), engine.Accepted, "partition 0's event")
	e.SetCaughtUp(0, true)
	e.Advance(t0 + 1000)
	expectOutcome(t, e.Ingest(1, t0+1000, ev("b-1", "b", t0+2000, "cat-1", 1, 1)), engine.Accepted,
		"partition 1's first event, 1 s after its assignment")

	f, _ := engine.New(engine.DefaultConfig())
	f.Advance(t0)
	f.SetCaughtUp(0, false)
	f.SetCaughtUp(1, true)
	f.Ingest(0, t0+100, ev("a-1", "a", t0+60_000, "cat-1", 1, 1)) // partition 0 still has more to read
	f.Advance(t0 + 7000)                                          // partition 1 silent for more than idle
	expectOutcome(t, f.Ingest(1, t0+7000, ev("b-1", "b", t0+2000, "cat-1", 1, 1)), engine.Late,
		"an event of a partition idle since its assignment, behind the watermark")
}
