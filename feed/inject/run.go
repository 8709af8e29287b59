package inject

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"
)

// injRun is one run of the injector: its source, truth and status.
type injRun struct {
	in       *Injector
	run      int
	tag      string // "" writes no run header
	parts    int32  // the topic's partitions the producer knows: markers go to each
	known    int32  // the topic's partitions as last read
	gen      *sim.Generator
	replay   *sim.Replay
	file     *os.File
	scan     sim.ReplayScan
	horizonR int64 // a replay's truth horizon (monotone); None until known
	src      source
	origin   int64 // the source's first send time
	truth    *sim.Truth
	settings bus.Settings

	batch       []sim.Sent
	devDirty    map[engine.Key]struct{} // truth keys changed since the last flush
	sendDirty   map[engine.Key]struct{}
	st          bus.InjectorStatus
	lastStatus  time.Time
	lastFlush   time.Time
	lastParts   time.Time // when the partition count was last read
	wallStart   time.Time
	pausedAt    time.Time
	eventHeader []byte // the run header of this run's events
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

// newRun prepares run: its truth and its source (the replay file opened and
// scanned, or a generator). close releases the file.
func (in *Injector) newRun(run int, parts int32) (*injRun, error) {
	now := in.deps.Now()
	r := &injRun{in: in, run: run, parts: parts, known: parts, settings: in.deps.Controls.Load(),
		devDirty: make(map[engine.Key]struct{}), sendDirty: make(map[engine.Key]struct{}),
		unthrottled: in.cfg.Clock == bus.VirtualClock && in.cfg.Speed == 0,
		wallStart:   now, rateMark: now, lastEvict: now, lastParts: now}
	if in.cfg.Session != "" {
		r.tag = bus.RunTag(in.cfg.Session, run)
	}
	var err error
	if r.truth, err = sim.NewTruth(in.cfg.Window, false); err != nil {
		return nil, err
	}
	if in.cfg.Replay != "" {
		err = r.openReplay()
	} else {
		err = r.openGenerator()
	}
	if err != nil {
		r.close()
		return nil, err
	}
	r.st.Run, r.st.Start = run, r.origin
	r.st.Clock, r.st.Horizon = engine.None, engine.None
	return r, nil
}

func (r *injRun) openReplay() error {
	in := r.in
	f, err := os.Open(in.cfg.Replay)
	if err != nil {
		return fmt.Errorf("injector: replay: %w", err)
	}
	r.file = f
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
	r.origin, _ = rs.peek()
	r.st.Replay = in.cfg.Replay
	r.st.Devices = r.scan.Devices
	return nil
}

func (r *injRun) openGenerator() error {
	gc := r.in.cfg.Generator
	gc.Run = r.run
	if r.in.cfg.Clock == bus.RealClock {
		gc.Start = r.wallStart.UnixMilli()
	}
	var err error
	if r.gen, err = sim.NewGenerator(gc, knobsOf(r.settings)); err != nil {
		return fmt.Errorf("injector: %w", err)
	}
	r.src = genSource{r.gen}
	r.origin = gc.Start
	r.st.Devices = gc.Devices
	return nil
}

func (r *injRun) close() {
	if r.file != nil {
		r.file.Close()
	}
	r.stopRecording()
}

// stopRecording closes the recorder after the first run (its end, reset or
// stop) and says what it holds.
func (r *injRun) stopRecording() {
	rec := r.in.cfg.Record
	if rec == nil || r.in.recordClosed {
		return
	}
	r.in.recordClosed = true
	logged := rec.Err() != nil // a write error was logged when it happened
	if err := rec.Close(); err != nil {
		if !logged {
			r.in.log(bus.Error, err.Error())
		}
		return
	}
	r.in.log(bus.Info, fmt.Sprintf("recorded %d events of run %d to %s (later runs are not recorded)", rec.Events(), r.run, rec.Name()))
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
// produces the events (and clock markers after them).
func (r *injRun) flush(ctx context.Context) {
	r.lastFlush = r.in.deps.Now()
	if len(r.batch) == 0 {
		return
	}
	tb := &bus.TruthBatch{Run: r.run, Tag: r.tag, Horizon: r.horizon(), Clock: r.st.Clock,
		ByDevice: values(r.devDirty, r.truth.ByDevice()), BySend: values(r.sendDirty, r.truth.BySend())}
	clear(r.devDirty)
	clear(r.sendDirty)
	r.in.deps.Bus.Publish(tb)
	if r.in.cfg.PublishSent {
		sb := &bus.SentBatch{Run: r.run, Tag: string(r.tag), Events: make([]bus.SentEvent, len(r.batch))}
		for i, s := range r.batch {
			sb.Events[i] = bus.SentEvent{Event: s.Event, Send: s.Send}
		}
		r.in.deps.Bus.Publish(sb)
	}
	for _, s := range r.batch {
		r.buf = r.buf[:0]
		if r.in.cfg.Pipe {
			r.buf = s.Event.AppendPipe(r.buf)
		} else {
			r.buf = s.Event.AppendJSON(r.buf)
		}
		r.event(ctx, s, append([]byte(nil), r.buf...))
	}
	if rec := r.in.cfg.Record; rec != nil && rec.write(r.batch) {
		r.in.log(bus.Error, rec.Err().Error()+": recording stopped, the run goes on")
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

// finish ends the input: flush, end markers on every partition (read
// again now: one added since the last check gets its marker too), final
// truth.
func (r *injRun) finish(ctx context.Context) error {
	r.flush(ctx)
	if err := r.in.flushClient(ctx); err != nil {
		return fmt.Errorf("injector: flush: %w", err)
	}
	r.stopRecording() // complete before the truth is final
	if r.in.cfg.EndMarker {
		r.awaitPartitions(ctx)
		r.markers(ctx, kafka.HeaderEnd, strconv.Itoa(r.run))
		if err := r.in.flushClient(ctx); err != nil {
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
	r.in.deps.Bus.Publish(&bus.TruthBatch{Run: r.run, Tag: r.tag, Horizon: bus.Final, Clock: bus.Final, Done: true})
	r.in.finOnce.Do(func() { close(r.in.finished) })
	return nil
}

// status publishes the injector's status.
func (r *injRun) status(done bool) {
	now := r.in.deps.Now()
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
	r.in.deps.Bus.Publish(&st)
	r.lastStatus = now
}
