package engine

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"time"
)

// Mode is how the engine assigns events to windows.
type Mode uint8

const (
	// EventTime windows on device time and fires on a watermark.
	EventTime Mode = iota
	// ProcessingTime windows on arrival time and fires when now passes a window's end.
	ProcessingTime
	// MicroBatch imitates Spark Streaming: batches of one window of arrival
	// time, aligned to the epoch, with dedup only within a batch.
	MicroBatch
)

var modeNames = [...]string{"event", "processing", "microbatch"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", m)
}

// Next cycles event → processing → microbatch → event.
func (m Mode) Next() Mode { return (m + 1) % Mode(len(modeNames)) }

// ErrBadMode is returned by ParseMode for an unknown name.
var ErrBadMode = errors.New("unknown engine mode (want event, processing or microbatch)")

// ParseMode parses "event", "processing" or "microbatch".
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("%q: %w", s, ErrBadMode)
}

// Config sets up an Engine. DefaultConfig gives SPEC §3's defaults.
type Config struct {
	Mode      Mode
	Window    time.Duration // tumbling window size [5s]
	Watermark time.Duration // W: watermark lag behind a partition's max device time [1s]
	Idle      time.Duration // a caught-up partition silent this long is idle [6s]
	Lateness  time.Duration // a fired window stays open this long past its end [0]
	Dedup     bool          // drop ids accepted before [true]
	DedupTTL  time.Duration // processing time: how long ids are remembered [10m]
	Name      string        // the engine field of results ["streamtop"]
}

// DefaultConfig returns SPEC §3's defaults.
func DefaultConfig() Config {
	return Config{
		Mode:      EventTime,
		Window:    5 * time.Second,
		Watermark: time.Second,
		Idle:      6 * time.Second,
		Lateness:  0,
		Dedup:     true,
		DedupTTL:  10 * time.Minute,
		Name:      "streamtop",
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Mode > MicroBatch:
		return fmt.Errorf("engine: %w", ErrBadMode)
	case c.Window < time.Millisecond || c.Window%time.Millisecond != 0:
		return fmt.Errorf("engine: window %v must be a positive whole number of milliseconds", c.Window)
	case c.Watermark < 0:
		return fmt.Errorf("engine: watermark lag %v must not be negative", c.Watermark)
	case c.Idle < time.Millisecond:
		return fmt.Errorf("engine: idle timeout %v must be at least 1ms", c.Idle)
	case c.Lateness < 0:
		return fmt.Errorf("engine: lateness %v must not be negative", c.Lateness)
	case c.DedupTTL < time.Millisecond:
		return fmt.Errorf("engine: dedup ttl %v must be at least 1ms", c.DedupTTL)
	case c.Name == "":
		return errors.New("engine: name must not be empty")
	}
	return nil
}

// Outcome says what Ingest did with an event.
type Outcome uint8

const (
	Accepted  Outcome = iota // counted in a window
	Duplicate                // its id was accepted before; dropped
	Late                     // its window had closed; dropped (side output)
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Duplicate:
		return "duplicate"
	case Late:
		return "late"
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// None is the watermark (and time) before anything is known.
const None = math.MinInt64

// Stats are the engine's counters and clocks.
type Stats struct {
	Mode        Mode
	Accepted    int64
	Duplicates  int64
	Late        int64
	Emitted     int64
	OpenWindows int
	OpenKeys    int
	DedupIDs    int   // ids remembered for dedup
	Watermark   int64 // None until known
	Now         int64 // None until the first arrival
	Partitions  int
	Idle        int // partitions currently idle
}

// Engine aggregates events into tumbling windows per device and category.
// It is not safe for concurrent use; one goroutine owns it.
type Engine struct {
	cfg                                 Config
	win, wlag, idle, lateness, dedupTTL int64 // ms

	now     int64
	wm      int64
	closed  int64 // windows ending at or before this are closed; never goes back
	emitted int64 // the largest window end ever fired
	floor   int64 // after a mode switch: windows ending at or before this are closed in any mode
	flushed bool
	parts   []partition

	windows map[int64]*window
	ends    []int64 // open window ends, ascending
	nFired  int     // ends[:nFired] have fired (event time)

	seen  *idSet     // dedup: id → window end (event time) or arrival (processing)
	cellT *cellTable // (device, category) pairs, numbered
	// The window of the previous event: most events fall in the same one.
	lastEnd int64
	lastWin *window
	free    []*window // closed windows, for reuse
	// carry holds the ids remembered when the mode last switched, so a
	// duplicate is still caught in the new mode; dropped after DedupTTL.
	carry      map[fingerprint]struct{}
	carryUntil int64

	out        []Result
	stats      Stats
	incomplete bool // emissions are marked Incomplete (FlushIncomplete)
}

type partition struct {
	id          int32
	maxTime     int64 // max device time read; None if nothing read
	lastArrival int64 // arrival of the last record read; None if nothing read
	caughtUp    bool
	floor       int64 // windows ending at or before this are closed for this partition's events
}

// cell is a (device, category) pair, with the window it last went to: a
// cell's events nearly all go to the newest window, so its position there
// is remembered instead of looked up.
type cell struct {
	device, category string
	lastEnd          int64
	lastPos          int32
}

type window struct {
	end   int64
	fired bool
	index map[int32]int32 // cell number → position in cells/aggs
	cells []int32
	aggs  []Agg
	batch map[string]struct{} // micro-batch: ids seen in this batch
}

// New returns an engine for cfg, or the reason cfg cannot work.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:     cfg,
		now:     None,
		wm:      None,
		closed:  None,
		emitted: None,
		floor:   None,
		windows: make(map[int64]*window),
		lastEnd: None,
	}
	seed := maphash.MakeSeed()
	e.seen, e.cellT = newIDSet(seed, maphash.MakeSeed()), newCellTable(seed)
	e.setDurations()
	return e, nil
}

func (e *Engine) setDurations() {
	e.win = e.cfg.Window.Milliseconds()
	e.wlag = e.cfg.Watermark.Milliseconds()
	e.idle = e.cfg.Idle.Milliseconds()
	e.lateness = e.cfg.Lateness.Milliseconds()
	e.dedupTTL = e.cfg.DedupTTL.Milliseconds()
}

// Config returns the current settings.
func (e *Engine) Config() Config { return e.cfg }

// Assign registers partitions the engine reads. A new partition is not
// caught up until SetCaughtUp says so, so it holds the watermark back until
// its position is known. Partitions seen in Ingest are registered too.
func (e *Engine) Assign(ps ...int32) {
	for _, p := range ps {
		e.partition(p)
	}
}

// Revoke forgets partitions (a rebalance moved them elsewhere).
func (e *Engine) Revoke(ps ...int32) {
	e.parts = slices.DeleteFunc(e.parts, func(q partition) bool { return slices.Contains(ps, q.id) })
	e.updateWatermark()
}

// SetFloor closes, for partition p's events, every window ending at or
// before floor: another engine instance owned p before and emitted those
// windows final (a consumer-group rebalance), so re-reading p from its
// committed offset must not emit them again partially. It never goes back.
func (e *Engine) SetFloor(p int32, floor int64) {
	part := e.partition(p)
	part.floor = max(part.floor, floor)
}

// SetCaughtUp records whether partition p has nothing left to read. A
// partition the engine cannot reach must be reported as not caught up:
// an outage is not idleness.
func (e *Engine) SetCaughtUp(p int32, caughtUp bool) {
	e.partition(p).caughtUp = caughtUp
}

func (e *Engine) partition(p int32) *partition {
	for i := range e.parts {
		if e.parts[i].id == p {
			return &e.parts[i]
		}
	}
	// A partition is silent from when the engine learns of it (its
	// assignment), if it knows the time then: one assigned a moment before
	// its first records are written is not idle yet (SPEC §3: silent for
	// idle of now).
	e.parts = append(e.parts, partition{id: p, maxTime: None, lastArrival: e.now, floor: None})
	return &e.parts[len(e.parts)-1]
}

// Ingest processes one event read from partition p at arrival time (ms).
// Arrival also advances the engine's notion of now (never backwards).
func (e *Engine) Ingest(p int32, arrival int64, ev Event) Outcome {
	return e.ingest(e.partition(p), arrival, &ev, fingerprint{})
}

// batchRun is how many ids IngestBatch looks up together.
const batchRun = 16

// IngestBatch is Ingest of consecutive events of partition p, the i-th
// read at arrivals[i] (or all at arrivals[0] when there is one arrival),
// appending their outcomes to out: the same outcomes, and faster, as it
// fetches the dedup slots of a run of events together (their cache misses
// overlap instead of coming one after the other).
func (e *Engine) IngestBatch(p int32, arrivals []int64, evs []Event, out []Outcome) []Outcome {
	if len(evs) == 0 {
		return out
	}
	if len(arrivals) != len(evs) && len(arrivals) != 1 {
		panic("engine: IngestBatch wants one arrival, or one per event")
	}
	arrival := func(i int) int64 {
		if len(arrivals) == 1 {
			return arrivals[0]
		}
		return arrivals[i]
	}
	part := e.partition(p)
	done := 0
	var fps [batchRun]fingerprint
	for len(evs) > 0 {
		n := min(batchRun, len(evs))
		if e.cfg.Dedup && e.cfg.Mode == EventTime {
			for i := range n {
				fps[i] = e.seen.fingerprint(evs[i].ID)
			}
			// The loads back to back, so they are all in flight at once.
			e.seen.touch(fps[:n])
		}
		for i := range n {
			out = append(out, e.ingest(part, arrival(done+i), &evs[i], fps[i]))
		}
		evs, done = evs[n:], done+n
	}
	return out
}

// ingest is Ingest, given the id's fingerprint when it is already known.
func (e *Engine) ingest(part *partition, arrival int64, ev *Event, f fingerprint) Outcome {
	if arrival > e.now {
		e.now = arrival
	}
	part.lastArrival = e.now
	if ev.Time > part.maxTime {
		part.maxTime = ev.Time
	}
	var o Outcome
	if e.cfg.Mode == EventTime {
		o = e.ingestEventTime(ev, part.floor, f)
		e.updateWatermark()
	} else {
		o = e.ingestArrival(ev, part.floor)
		e.fireArrival()
	}
	switch o {
	case Accepted:
		e.stats.Accepted++
	case Duplicate:
		e.stats.Duplicates++
	case Late:
		e.stats.Late++
	}
	return o
}

func (e *Engine) ingestEventTime(ev *Event, floor int64, f fingerprint) Outcome {
	end := e.lastEnd
	if ev.Time < end-e.win || ev.Time >= end || end == None {
		end = WindowEnd(ev.Time, e.win)
	}
	var slot uint64
	if e.cfg.Dedup {
		if f.h == 0 {
			f = e.seen.fingerprint(ev.ID)
		}
		var found bool
		if slot, found = e.seen.Lookup(f); found || e.carried(f) {
			return Duplicate
		}
	}
	if e.flushed || end <= e.closed || end <= e.floor || end <= floor {
		return Late
	}
	w := e.window(end)
	i := e.add(w, ev)
	if e.cfg.Dedup {
		e.seen.insertAt(slot, f, end) // forgotten when the window closes
	}
	if w.fired {
		e.emit(w, i)
	}
	return Accepted
}

func (e *Engine) ingestArrival(ev *Event, floor int64) Outcome {
	end := WindowEnd(e.now, e.win)
	if e.cfg.Dedup {
		if e.cfg.Mode == ProcessingTime {
			e.expireSeen()
		}
		f := e.seen.fingerprint(ev.ID)
		if e.seen.HasPrint(f) || e.carried(f) {
			return Duplicate
		}
		if e.cfg.Mode == ProcessingTime && !e.flushed && end > e.floor && end > floor {
			e.seen.PutPrint(f, e.now) // forgotten after the dedup TTL
		}
	}
	if e.flushed || end <= e.floor || end <= floor {
		return Late
	}
	w := e.window(end)
	if e.cfg.Dedup && e.cfg.Mode == MicroBatch {
		if w.batch == nil {
			w.batch = make(map[string]struct{})
		}
		if _, ok := w.batch[ev.ID]; ok {
			return Duplicate
		}
		w.batch[ev.ID] = struct{}{}
	}
	e.add(w, ev)
	return Accepted
}

// carried reports whether the id was remembered when the mode last switched.
func (e *Engine) carried(f fingerprint) bool {
	if e.carry != nil {
		if e.now > e.carryUntil {
			e.carry = nil
		} else if _, ok := e.carry[f]; ok {
			return true
		}
	}
	return false
}

// expireSeen forgets processing-time ids older than the dedup TTL.
func (e *Engine) expireSeen() { e.seen.Expire(e.now - e.dedupTTL) }

// window returns the open window ending at end, creating it in order.
func (e *Engine) window(end int64) *window {
	if end == e.lastEnd && e.lastWin != nil {
		return e.lastWin
	}
	if w, ok := e.windows[end]; ok {
		e.lastEnd, e.lastWin = end, w
		return w
	}
	var w *window
	if n := len(e.free); n > 0 {
		w, e.free = e.free[n-1], e.free[:n-1]
		w.end = end
	} else {
		w = &window{end: end, index: make(map[int32]int32)}
	}
	e.windows[end] = w
	i, _ := slices.BinarySearch(e.ends, end)
	e.ends = slices.Insert(e.ends, i, end)
	if e.cfg.Mode == EventTime && e.wm != None && end <= e.wm {
		// A window first seen after the watermark passed its end (but
		// before it closed) is born fired.
		w.fired = true
		e.nFired++
	}
	e.lastEnd, e.lastWin = end, w
	return w
}

// add folds ev into its cell of w and returns the cell's position in w.
func (e *Engine) add(w *window, ev *Event) int {
	c := e.cellT.ID(ev.Device, ev.Category)
	cl := &e.cellT.cells[c]
	i := cl.lastPos
	if cl.lastEnd != w.end || int(i) >= len(w.cells) || w.cells[i] != c {
		var ok bool
		if i, ok = w.index[c]; !ok {
			i = int32(len(w.cells))
			w.index[c] = i
			w.cells = append(w.cells, c)
			w.aggs = append(w.aggs, Agg{})
		}
		cl.lastEnd, cl.lastPos = w.end, i
	}
	w.aggs[i].Add(ev.M1, ev.M2)
	return int(i)
}

func (e *Engine) emit(w *window, i int) {
	c := e.cellT.Cell(w.cells[i])
	e.out = append(e.out, Result{
		Key:        Key{Device: c.device, Category: c.category, WindowEnd: w.end},
		Agg:        w.aggs[i],
		Engine:     e.cfg.Name,
		Incomplete: e.incomplete,
	})
	e.stats.Emitted++
}

// fire emits every cell of w, ordered by device then category.
func (e *Engine) fire(w *window) {
	order := make([]int, len(w.cells))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ca, cb := e.cellT.Cell(w.cells[a]), e.cellT.Cell(w.cells[b])
		if c := cmp.Compare(ca.device, cb.device); c != 0 {
			return c
		}
		return cmp.Compare(ca.category, cb.category)
	})
	for _, i := range order {
		e.emit(w, i)
	}
	w.fired = true
	e.emitted = max(e.emitted, w.end)
}

// close drops a window from the index (and the one-window cache), once
// it has fired or can no longer take events.
func (e *Engine) close(w *window) {
	delete(e.windows, w.end)
	if e.lastWin == w {
		e.lastWin, e.lastEnd = nil, None
	}
	// Recycled: a steady stream then allocates nothing per window.
	if len(e.free) < maxFree {
		clear(w.index)
		w.cells, w.aggs, w.batch, w.fired = w.cells[:0], w.aggs[:0], nil, false
		e.free = append(e.free, w)
	}
}

// maxFree bounds the windows kept for reuse.
const maxFree = 16

// Advance moves now forward (never back) and fires what time allows: in
// event time it re-evaluates idleness and the watermark, in processing time
// and micro-batch it fires windows that now has passed.
func (e *Engine) Advance(now int64) {
	if now > e.now {
		e.now = now
	}
	if e.cfg.Mode == EventTime {
		e.updateWatermark()
	} else {
		if e.cfg.Dedup && e.cfg.Mode == ProcessingTime {
			e.expireSeen()
		}
		e.fireArrival()
	}
}

func (e *Engine) isIdle(p *partition) bool {
	return p.caughtUp && (p.lastArrival == None || e.now-p.lastArrival >= e.idle)
}

// updateWatermark recomputes the event-time watermark: the minimum over
// non-idle partitions of max device time − W, or now − idle when every
// partition is idle. It never goes back.
func (e *Engine) updateWatermark() {
	if e.cfg.Mode != EventTime || e.flushed {
		return
	}
	cand, active := int64(math.MaxInt64), false
	for i := range e.parts {
		p := &e.parts[i]
		if e.isIdle(p) {
			continue
		}
		active = true
		if p.maxTime == None {
			cand = None // a live partition with nothing read yet holds it back
			break
		}
		cand = min(cand, p.maxTime-e.wlag)
	}
	if !active {
		if e.now == None {
			return
		}
		cand = e.now - e.idle
	}
	if cand == None || cand <= e.wm {
		return
	}
	e.wm = cand
	e.fireEventTime()
}

// fireEventTime fires windows whose end the watermark reached and closes
// those it passed by the allowed lateness.
func (e *Engine) fireEventTime() {
	for e.nFired < len(e.ends) && e.ends[e.nFired] <= e.wm {
		e.fire(e.windows[e.ends[e.nFired]])
		e.nFired++
	}
	e.closed = max(e.closed, e.wm-e.lateness)
	if e.closed != None {
		// Ids of closed windows: any copy is late anyway. Their values are
		// window ends, so the floor moves a window at a time.
		e.seen.Expire(WindowEnd(e.closed, e.win) - e.win)
	}
	n := 0
	for n < len(e.ends) && e.ends[n] <= e.closed {
		e.close(e.windows[e.ends[n]])
		n++
	}
	if n > 0 {
		e.ends = append(e.ends[:0], e.ends[n:]...)
		e.nFired -= n
	}
}

// fireArrival fires and closes arrival-time windows that now has passed.
func (e *Engine) fireArrival() {
	n := 0
	for n < len(e.ends) && e.ends[n] <= e.now {
		w := e.windows[e.ends[n]]
		e.fire(w)
		e.close(w)
		n++
	}
	if n > 0 {
		e.ends = append(e.ends[:0], e.ends[n:]...)
	}
}

// Flush fires and closes every open window: the end of a bounded input.
// Anything ingested afterwards is late.
func (e *Engine) Flush() {
	e.flushAll()
	e.seen.Clear() // every window is closed: no id needs remembering
	if e.cfg.Mode == EventTime {
		e.wm = math.MaxInt64
	}
	e.flushed = true
}

func (e *Engine) flushAll() {
	for _, end := range e.ends {
		w := e.windows[end]
		if !w.fired {
			e.fire(w)
		}
		if e.cfg.Mode == EventTime {
			e.close(w)
		}
	}
	clear(e.windows)
	e.lastWin, e.lastEnd = nil, None
	e.ends = e.ends[:0]
	e.nFired = 0
}

// FlushIncomplete is Flush for an input that did not end (the engine is
// stopped early): open windows are emitted marked Incomplete, so a
// comparator keeps them pending rather than judging partial sums.
func (e *Engine) FlushIncomplete() {
	e.incomplete = true
	e.Flush()
	e.incomplete = false
}

// Flushed reports whether Flush has ended the input.
func (e *Engine) Flushed() bool { return e.flushed }

// SetMode switches the time mode live. Open windows are fired and closed as
// they stand, and stay closed in the new mode: an event whose window (in
// the new mode's time) ends at or before the last window emitted is late, so
// a partial sum never overwrites a complete one downstream. The ids
// remembered for dedup are carried over for DedupTTL.
func (e *Engine) SetMode(m Mode) error {
	if m > MicroBatch {
		return fmt.Errorf("engine: %w", ErrBadMode)
	}
	if m == e.cfg.Mode {
		return nil
	}
	if e.cfg.Dedup && e.seen.Len() > 0 {
		if e.carry == nil {
			e.carry = make(map[fingerprint]struct{}, e.seen.Len())
		}
		e.seen.Each(func(f fingerprint) { e.carry[f] = struct{}{} })
		e.carryUntil = e.now + e.dedupTTL
	}
	e.flushAll()
	e.floor = max(e.floor, e.emitted)
	e.seen.Clear()
	e.cfg.Mode = m
	e.updateWatermark()
	return nil
}

// SetDedup turns de-duplication on or off. Turning it on starts with an
// empty memory.
func (e *Engine) SetDedup(on bool) {
	if on && !e.cfg.Dedup {
		e.carry = nil
		e.seen.Clear()
		for _, w := range e.windows {
			w.batch = nil
		}
	}
	e.cfg.Dedup = on
}

// SetWatermarkLag changes W. The watermark never goes back, so a larger W
// holds it where it is until device time catches up.
func (e *Engine) SetWatermarkLag(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("engine: watermark lag %v must not be negative", d)
	}
	e.cfg.Watermark = d
	e.setDurations()
	e.updateWatermark()
	return nil
}

// SetLateness changes the allowed lateness; windows already closed stay closed.
func (e *Engine) SetLateness(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("engine: lateness %v must not be negative", d)
	}
	e.cfg.Lateness = d
	e.setDurations()
	if e.cfg.Mode == EventTime && e.wm != None {
		e.fireEventTime()
	}
	return nil
}

// Watermark returns the event-time watermark, or None.
func (e *Engine) Watermark() int64 { return e.wm }

// Now returns the engine's now, or None before any arrival.
func (e *Engine) Now() int64 { return e.now }

// ClosedBefore returns the end up to which windows are closed: every key
// with window end ≤ ClosedBefore is final downstream. None if nothing is.
func (e *Engine) ClosedBefore() int64 {
	switch {
	case e.flushed:
		return math.MaxInt64
	case e.cfg.Mode == EventTime:
		return max(e.closed, e.floor)
	default:
		return max(e.now, e.floor)
	}
}

// Drain appends the results emitted since the last Drain to dst.
func (e *Engine) Drain(dst []Result) []Result {
	dst = append(dst, e.out...)
	clear(e.out)
	e.out = e.out[:0]
	return dst
}

// Stats returns the counters and clocks.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Mode = e.cfg.Mode
	s.OpenWindows = len(e.windows)
	for _, w := range e.windows {
		s.OpenKeys += len(w.cells)
	}
	s.DedupIDs = e.seen.Len()
	s.Watermark = e.wm
	s.Now = e.now
	s.Partitions = len(e.parts)
	for i := range e.parts {
		if e.isIdle(&e.parts[i]) {
			s.Idle++
		}
	}
	return s
}
