package inject

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Config sets up the injector role.
type Config struct {
	Topic     string              // events topic [sampletopic]
	Generator sim.GeneratorConfig // devices, events, seed …; Start is the wall clock under RealClock
	Replay    string              // replay this file instead of generating
	Clock     bus.Clock
	Speed     float64       // virtual clock pacing: 0 unthrottled, 1 real time
	Window    time.Duration // truth windows [5s]
	Pipe      bool          // write events in the original text form
	Session   string        // run header prefix; "" writes no run header
	EndMarker bool          // mark the end of a bounded input on every partition
	// Duration bounds a virtual-clock run in virtual time: the input ends
	// once the injector's clock passes its start plus Duration. 0 = no bound.
	// (A real-clock run is bounded by the caller calling Stop.)
	Duration time.Duration
	// ClockMarkers writes the injector's clock to every partition after
	// each batch (generated input only: send times never go back), so a
	// reader can merge partitions in timestamp order as it goes.
	ClockMarkers bool
	// Read, if set, counts the records of Topic a reader has read; the
	// injector then waits while more than MaxBacklog of the records it
	// produced are unread, so a broker with size-bounded retention (the
	// embedded one) never drops a record before it is read.
	Read       func() int64
	MaxBacklog int64
	// PublishSent also publishes each batch's events as a *bus.SentBatch,
	// for a writer of the original's raw_events.
	PublishSent bool
}

// Injector is the injector role: simulated devices (or a replayed file)
// producing events to Kafka, keeping their truth and publishing it on the
// bus for comparators.
type Injector struct {
	cfg      Config
	cl       *kgo.Client
	adm      *kadm.Client
	bus      *bus.Bus
	controls *bus.Controls

	stopRun  atomic.Int64 // run+1 whose input must end; 0 none
	finished chan struct{}
	finOnce  sync.Once
	stop     chan struct{} // wakes runOnce after Stop
	failed   atomic.Int64
	lastErr  atomic.Pointer[string]
	produced atomic.Int64 // records handed to the client, markers included
}

// New validates cfg. The client must be able to produce to cfg.Topic.
func New(cfg Config, cl *kgo.Client, eventBus *bus.Bus, controls *bus.Controls) (*Injector, error) {
	if cl == nil || eventBus == nil || controls == nil {
		return nil, errors.New("injector: client, bus and controls are required")
	}
	if cfg.Topic == "" {
		return nil, errors.New("injector: topic must not be empty")
	}
	if cfg.Window < time.Millisecond {
		return nil, fmt.Errorf("injector: window %v must be at least 1ms", cfg.Window)
	}
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("injector: speed %v must not be negative", cfg.Speed)
	}
	if cfg.Replay != "" {
		if _, err := os.Stat(cfg.Replay); err != nil {
			return nil, fmt.Errorf("injector: replay: %w", err)
		}
	} else if _, err := sim.NewGenerator(cfg.Generator, knobsOf(controls.Load())); err != nil {
		return nil, fmt.Errorf("injector: %w", err)
	}
	if cfg.Duration < 0 {
		return nil, fmt.Errorf("injector: duration %v must not be negative", cfg.Duration)
	}
	return &Injector{cfg: cfg, cl: cl, adm: kadm.NewClient(cl), bus: eventBus, controls: controls,
		stop: make(chan struct{}, 1), finished: make(chan struct{})}, nil
}

func knobsOf(s bus.Settings) sim.Knobs {
	return sim.Knobs{Dup: s.Dup.Effective(), Late: s.Late.Effective(), OOO: s.OOO.Effective(), Rate: s.Rate}
}

// Stop ends run's input as if it were exhausted: what was generated is
// flushed, end markers are written and the truth is declared final. Run then
// waits for a reset or its context. Stopping a run that is over does nothing.
func (in *Injector) Stop(run int) {
	in.stopRun.Store(int64(run) + 1)
	select {
	case in.stop <- struct{}{}:
	default:
	}
}

// Finished is closed when the first run's input has ended: every event
// flushed, the end markers written, the final truth published.
func (in *Injector) Finished() <-chan struct{} { return in.finished }

func (in *Injector) stopped(run int) bool { return in.stopRun.Load() == int64(run)+1 }

var errReset = errors.New("run reset")

// Run produces until the input ends (then waits for a reset) or ctx ends.
func (in *Injector) Run(ctx context.Context) error {
	parts, err := kafka.PartitionCount(ctx, in.cl, in.cfg.Topic)
	if err != nil {
		return fmt.Errorf("injector: %w", err)
	}
	for {
		run := in.controls.Load().Run
		err := in.runOnce(ctx, run, parts)
		if errors.Is(err, errReset) {
			continue
		}
		if err != nil || ctx.Err() != nil {
			return err
		}
		for in.controls.Load().Run == run { // finished: wait for a reset
			select {
			case <-ctx.Done():
				return nil
			case <-in.controls.Changed():
			}
		}
	}
}

// source is what the injector sends: a generator or a replay.
type source interface {
	peek() (int64, bool)
	next() (sim.Sent, bool)
}

type genSource struct{ g *sim.Generator }

func (s genSource) peek() (int64, bool)    { return s.g.Peek() }
func (s genSource) next() (sim.Sent, bool) { return s.g.Next() }

type replaySource struct {
	r      *sim.Replay
	buf    sim.Sent
	hasBuf bool
}

func (s *replaySource) peek() (int64, bool) {
	if !s.hasBuf {
		s.buf, s.hasBuf = s.r.Next()
	}
	return s.buf.Send, s.hasBuf
}

func (s *replaySource) next() (sim.Sent, bool) {
	if _, ok := s.peek(); !ok {
		return sim.Sent{}, false
	}
	s.hasBuf = false
	return s.buf, true
}

type injRun struct {
	in       *Injector
	run      int
	tag      []byte
	parts    int32
	gen      *sim.Generator
	replay   *sim.Replay
	scan     sim.ReplayScan
	horizonR int64 // a replay's truth horizon (monotone); None until known
	src      source
	truth    *sim.Truth
	settings bus.Settings

	batch      []sim.Sent
	devDirty   map[engine.Key]struct{} // truth keys changed since the last flush
	sendDirty  map[engine.Key]struct{}
	st         bus.InjectorStatus
	lastStatus time.Time
	lastFlush  time.Time
	// unthrottled: virtual clock as fast as possible. Batches are then cut
	// by count only, so what reaches Kafka (and every sum) is the same
	// from run to run.
	unthrottled bool
	rateMark    time.Time
	rateCount   int64
	lastEvict   time.Time
	malfLogged  int64
	buf         []byte
}

func (in *Injector) runOnce(ctx context.Context, run int, parts int32) (err error) {
	r := &injRun{in: in, run: run, parts: parts, settings: in.controls.Load(),
		devDirty: make(map[engine.Key]struct{}), sendDirty: make(map[engine.Key]struct{}),
		unthrottled: in.cfg.Clock == bus.VirtualClock && in.cfg.Speed == 0}
	if in.cfg.Session != "" {
		r.tag = []byte(bus.RunTag(in.cfg.Session, run))
	}
	r.truth, err = sim.NewTruth(in.cfg.Window, false)
	if err != nil {
		return err
	}
	wallStart := time.Now()
	origin := int64(0)
	if in.cfg.Replay != "" {
		f, err := os.Open(in.cfg.Replay)
		if err != nil {
			return fmt.Errorf("injector: replay: %w", err)
		}
		defer f.Close()
		if r.scan, err = sim.ScanReplay(f, in.cfg.Replay); err != nil {
			return fmt.Errorf("injector: %w", err)
		}
		if !r.scan.Monotone {
			in.log(bus.Warn, "replay "+in.cfg.Replay+": send times go back; the truth settles and the engine reads at the end of the file")
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("injector: replay: %w", err)
		}
		r.horizonR = engine.None
		r.replay = sim.NewReplay(f, in.cfg.Replay)
		rs := &replaySource{r: r.replay}
		r.src = rs
		origin, _ = rs.peek()
		r.st.Replay = in.cfg.Replay
		r.st.Devices = r.scan.Devices
	} else {
		gc := in.cfg.Generator
		gc.Run = run
		if in.cfg.Clock == bus.RealClock {
			gc.Start = wallStart.UnixMilli()
		}
		if r.gen, err = sim.NewGenerator(gc, knobsOf(r.settings)); err != nil {
			return fmt.Errorf("injector: %w", err)
		}
		r.src = genSource{r.gen}
		origin = gc.Start
		r.st.Devices = gc.Devices
	}
	r.st.Run, r.st.Start = run, origin
	r.st.Clock, r.st.Horizon = engine.None, engine.None
	r.rateMark, r.lastEvict = wallStart, wallStart
	var pausedAt time.Time
	changed := in.controls.Changed()

	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
			changed = in.controls.Changed()
			s := in.controls.Load()
			if s.Run != run {
				r.flush(ctx)
				return errReset
			}
			if s.Paused && !r.settings.Paused {
				pausedAt = time.Now()
				r.flush(ctx)
			} else if !s.Paused && r.settings.Paused {
				d := time.Since(pausedAt)
				wallStart = wallStart.Add(d)
				if r.gen != nil && in.cfg.Clock == bus.RealClock {
					r.gen.Shift(d.Milliseconds())
				}
			}
			r.settings = s
			if r.gen != nil {
				if err := r.gen.SetKnobs(knobsOf(s)); err != nil {
					in.log(bus.Warn, err.Error())
				}
			}
			continue
		case <-in.stop:
			continue
		default:
		}
		if in.stopped(run) {
			return r.finish(ctx)
		}
		if r.settings.Paused {
			r.status(false)
			select {
			case <-ctx.Done():
			case <-changed:
			case <-in.stop:
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		due, ok := r.src.peek()
		if !ok || (in.cfg.Clock == bus.VirtualClock && in.cfg.Duration > 0 && due >= origin+in.cfg.Duration.Milliseconds()) {
			return r.finish(ctx)
		}
		var wait time.Duration
		switch {
		case in.cfg.Clock == bus.RealClock && r.gen != nil:
			wait = time.Until(time.UnixMilli(due))
		case in.cfg.Speed > 0:
			wait = time.Until(wallStart.Add(time.Duration(float64(due-origin)/in.cfg.Speed) * time.Millisecond))
		}
		if wait > 0 {
			if wait >= 2*time.Millisecond || time.Since(r.lastFlush) >= 20*time.Millisecond {
				r.flush(ctx)
			}
			if time.Since(r.lastStatus) >= bus.StatusPeriod {
				r.status(false)
			}
			select {
			case <-ctx.Done():
			case <-changed:
			case <-in.stop:
			case <-time.After(min(wait, bus.StatusPeriod)):
			}
			continue
		}
		if r.in.cfg.Read != nil && r.st.Sent%256 == 0 && r.in.produced.Load()-r.in.cfg.Read() > r.in.cfg.MaxBacklog {
			r.flush(ctx)
			select { // the reader is behind: let it catch up
			case <-ctx.Done():
			case <-changed:
			case <-in.stop:
			case <-time.After(time.Millisecond):
			}
			continue
		}
		s, _ := r.src.next()
		r.add(s)
		if len(r.batch) >= 1024 || (!r.unthrottled && time.Since(r.lastFlush) >= 20*time.Millisecond) {
			r.flush(ctx)
		}
		if time.Since(r.lastStatus) >= bus.StatusPeriod {
			r.status(false)
		}
	}
}

// add counts one event into the truth and the pending batch.
func (r *injRun) add(s sim.Sent) {
	r.batch = append(r.batch, s)
	r.st.Sent++
	r.rateCount++
	r.st.Clock = max(r.st.Clock, s.Send)
	if dk, sk, ok := r.truth.Add(s); ok {
		r.st.Originals++
		r.devDirty[dk] = struct{}{}
		r.sendDirty[sk] = struct{}{}
		if s.Late {
			r.st.Late++
		} else if s.OutOfOrder {
			r.st.OutOfOrder++
		}
	} else {
		r.st.Duplicates++
	}
}

func (r *injRun) horizon() int64 {
	if r.gen != nil {
		return r.gen.Horizon()
	}
	if r.scan.Monotone && r.st.Clock != engine.None {
		// No later original lags more than the file's largest lag.
		r.horizonR = max(r.horizonR, r.st.Clock-r.scan.MaxLag)
	}
	return r.horizonR
}

// flush publishes the truth of the keys the pending events changed, then
// produces the events.
func (r *injRun) flush(ctx context.Context) {
	r.lastFlush = time.Now()
	if len(r.batch) == 0 {
		return
	}
	tb := &bus.TruthBatch{Run: r.run, Tag: string(r.tag), Horizon: r.horizon(), Clock: r.st.Clock,
		ByDevice: values(r.devDirty, r.truth.ByDevice()), BySend: values(r.sendDirty, r.truth.BySend())}
	clear(r.devDirty)
	clear(r.sendDirty)
	r.in.bus.Publish(tb)
	if r.in.cfg.PublishSent {
		sb := &bus.SentBatch{Run: r.run, Tag: string(r.tag), Events: make([]bus.SentEvent, len(r.batch))}
		for i, s := range r.batch {
			sb.Events[i] = bus.SentEvent{Event: s.Event, Send: s.Send}
		}
		r.in.bus.Publish(sb)
	}
	for _, s := range r.batch {
		r.buf = r.buf[:0]
		if r.in.cfg.Pipe {
			r.buf = s.Event.AppendPipe(r.buf)
		} else {
			r.buf = s.Event.AppendJSON(r.buf)
		}
		rec := &kgo.Record{
			Topic:     r.in.cfg.Topic,
			Key:       []byte(s.Event.Device),
			Value:     append([]byte(nil), r.buf...),
			Timestamp: time.UnixMilli(s.Send),
		}
		if r.tag != nil {
			rec.Headers = []kgo.RecordHeader{{Key: kafka.HeaderRun, Value: r.tag}}
		}
		r.in.produce(ctx, rec)
	}
	if r.in.cfg.ClockMarkers && (r.gen != nil || r.scan.Monotone) {
		r.markers(ctx, kafka.HeaderClock, strconv.FormatInt(r.st.Clock, 10))
	}
	clear(r.batch)
	r.batch = r.batch[:0]
}

// values returns the current truth of the given keys.
func values(keys map[engine.Key]struct{}, truth map[engine.Key]engine.Agg) []bus.TruthValue {
	out := make([]bus.TruthValue, 0, len(keys))
	for k := range keys {
		out = append(out, bus.TruthValue{Key: k, Agg: truth[k]})
	}
	return out
}

// Produced counts the records handed to the Kafka client, markers
// included: safe to call from any goroutine.
func (in *Injector) Produced() int64 { return in.produced.Load() }

func (in *Injector) produce(ctx context.Context, rec *kgo.Record) {
	in.produced.Add(1)
	in.cl.Produce(ctx, rec, in.promise)
}

func (in *Injector) promise(_ *kgo.Record, err error) {
	if err != nil {
		in.failed.Add(1)
		msg := err.Error()
		if p := in.lastErr.Swap(&msg); p == nil || *p != msg {
			in.log(bus.Error, "produce: "+msg)
		}
	}
}

func (in *Injector) log(l bus.Level, text string) {
	in.bus.Publish(bus.LogEntry{Time: time.Now(), Level: l, Role: "injector", Text: text})
}

// markers produces a keyless, empty marker record with header k=v to every
// partition, after everything produced before it.
func (r *injRun) markers(ctx context.Context, k, v string) {
	for p := range r.parts {
		rec := &kgo.Record{Topic: r.in.cfg.Topic, Partition: p, Value: []byte{},
			Timestamp: time.UnixMilli(max(r.st.Clock, 0)),
			Headers:   []kgo.RecordHeader{{Key: k, Value: []byte(v)}}}
		if r.tag != nil {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: kafka.HeaderRun, Value: r.tag})
		}
		r.in.produce(ctx, rec)
	}
}

// finish ends the input: flush, end markers, final truth.
func (r *injRun) finish(ctx context.Context) error {
	r.flush(ctx)
	if err := r.in.cl.Flush(ctx); err != nil {
		return fmt.Errorf("injector: flush: %w", err)
	}
	if r.in.cfg.EndMarker {
		r.markers(ctx, kafka.HeaderEnd, strconv.Itoa(r.run))
		if err := r.in.cl.Flush(ctx); err != nil {
			return fmt.Errorf("injector: flush end markers: %w", err)
		}
	}
	if r.replay != nil {
		if err := r.replay.Err(); err != nil {
			r.in.log(bus.Error, err.Error())
		}
	}
	// The final status goes first: whoever sees the final truth also
	// finds the injector's final counters.
	r.status(true)
	r.in.bus.Publish(&bus.TruthBatch{Run: r.run, Tag: string(r.tag), Horizon: bus.Final, Clock: bus.Final, Done: true})
	r.in.finOnce.Do(func() { close(r.in.finished) })
	return nil
}

// status publishes the injector's status.
func (r *injRun) status(done bool) {
	now := time.Now()
	if d := now.Sub(r.rateMark); d >= time.Second {
		rate := float64(r.rateCount) / d.Seconds()
		r.st.Rate = rate
		series := append([]float64(nil), r.st.RateSeries...)
		if len(series) >= 120 {
			series = series[1:]
		}
		r.st.RateSeries = append(series, rate)
		r.rateMark, r.rateCount = now, 0
	}
	if r.gen != nil && r.in.cfg.Generator.Events == 0 && now.Sub(r.lastEvict) >= 10*time.Second {
		// Unbounded: keep in memory only the truth that can still change
		// (and a minute more); it was published as it changed.
		if h := r.gen.Horizon(); h != engine.None {
			r.truth.Evict(h - 60*1000)
		}
		r.lastEvict = now
	}
	st := r.st
	st.Settings = r.settings
	st.Horizon = r.horizon()
	st.Done = done
	st.Failed = r.in.failed.Load()
	if r.replay != nil {
		var last error
		st.Malformed, last = r.replay.Malformed()
		if st.Malformed > r.malfLogged && last != nil {
			// Shown once per status at most: the newest reason and the count.
			r.in.log(bus.Warn, fmt.Sprintf("%v (%d malformed lines skipped so far)", last, st.Malformed))
			r.malfLogged = st.Malformed
		}
	}
	st.TruthKeys = r.truth.DeviceKeys()
	st.SendTruthKeys = r.truth.SendKeys()
	st.TruthDiffer = r.truth.Differ()
	r.in.bus.Publish(&st)
	r.lastStatus = now
}
