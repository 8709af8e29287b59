package inject

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Deps are what the injector works with.
type Deps struct {
	Client   *kgo.Client // produces to Config.Topic
	Bus      *bus.Bus
	Controls *bus.Controls
	Now      func() time.Time // [time.Now]
}

var errReset = errors.New("run reset")

// Run produces until the input ends (then waits for a reset) or ctx ends.
// The run changes only through the controls.
func (in *Injector) Run(ctx context.Context) error {
	parts, err := kafka.PartitionCount(ctx, in.deps.Client, in.cfg.Topic)
	if err != nil {
		return fmt.Errorf("injector: %w", err)
	}
	for {
		run := in.deps.Controls.Load().Run
		err := in.runOnce(ctx, run, &parts)
		if errors.Is(err, errReset) {
			continue
		}
		if err != nil || ctx.Err() != nil {
			return err
		}
		for in.deps.Controls.Load().Run == run { // finished: wait for a reset
			select {
			case <-ctx.Done():
				return nil
			case <-in.deps.Controls.Changed():
			}
		}
	}
}

// runOnce produces run until its input ends (nil), a reset (errReset) or
// ctx ends. parts is the topic's partition count, kept up to date.
func (in *Injector) runOnce(ctx context.Context, run int, parts *int32) error {
	r, err := in.newRun(run, *parts)
	if err != nil {
		return err
	}
	defer func() { *parts = r.parts; r.close() }()
	changed := in.deps.Controls.Changed() // before: a reset meanwhile is seen
	if in.cfg.PublishStart {
		if err := r.publishStart(ctx); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
			changed = in.deps.Controls.Changed()
			if r.applyControls(ctx) {
				return errReset
			}
			continue
		case <-in.stop:
			continue
		default:
		}
		if in.stopped(run) {
			return r.finish(ctx)
		}
		if in.deps.Now().Sub(r.lastParts) >= in.cfg.PartitionCheck {
			r.checkPartitions(ctx)
		} else if r.parts < r.known {
			r.adopt()
		}
		wait, end := r.step(ctx)
		if end {
			return r.finish(ctx)
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
			case <-changed:
			case <-in.stop:
			case <-time.After(wait):
			}
		}
	}
}

// applyControls takes the controls' new settings; it reports a reset.
func (r *injRun) applyControls(ctx context.Context) bool {
	s := r.in.deps.Controls.Load()
	if s.Run != r.run {
		r.flush(ctx)
		return true
	}
	now := r.in.deps.Now()
	if s.Paused && !r.settings.Paused {
		r.pausedAt = now
		r.flush(ctx)
	} else if !s.Paused && r.settings.Paused {
		d := now.Sub(r.pausedAt)
		r.wallStart = r.wallStart.Add(d)
		if r.gen != nil && r.in.cfg.Clock == bus.RealClock {
			r.gen.Shift(d.Milliseconds())
		}
	}
	r.settings = s
	if r.gen != nil {
		if err := r.gen.SetKnobs(knobsOf(s)); err != nil {
			r.in.log(bus.Warn, err.Error())
		}
	}
	return false
}

// step sends the next event when it is due. It returns how long to wait
// before the next step, and whether the input has ended.
func (r *injRun) step(ctx context.Context) (wait time.Duration, end bool) {
	in := r.in
	now := in.deps.Now()
	if r.settings.Paused {
		r.status(false)
		return 100 * time.Millisecond, false
	}
	due, ok := r.src.peek()
	if !ok || (in.cfg.Clock == bus.VirtualClock && in.cfg.Duration > 0 && due >= r.origin+in.cfg.Duration.Milliseconds()) {
		return 0, true
	}
	switch {
	case in.cfg.Clock == bus.RealClock && r.gen != nil:
		wait = time.UnixMilli(due).Sub(now)
	case in.cfg.Speed > 0:
		wait = r.wallStart.Add(time.Duration(float64(due-r.origin)/in.cfg.Speed) * time.Millisecond).Sub(now)
	}
	if wait > 0 {
		if wait >= 2*time.Millisecond || now.Sub(r.lastFlush) >= 20*time.Millisecond {
			r.flush(ctx)
		}
		if now.Sub(r.lastStatus) >= bus.StatusPeriod {
			r.status(false)
		}
		return min(wait, bus.StatusPeriod), false
	}
	if in.cfg.Read != nil && r.st.Sent%256 == 0 && in.produced.Load()-in.cfg.Read() > in.cfg.MaxBacklog {
		r.flush(ctx)
		return time.Millisecond, false // the reader is behind: let it catch up
	}
	s, _ := r.src.next()
	r.add(s)
	if len(r.batch) >= 1024 || (!r.unthrottled && now.Sub(r.lastFlush) >= 20*time.Millisecond) {
		r.flush(ctx)
	}
	if now.Sub(r.lastStatus) >= bus.StatusPeriod {
		r.status(false)
	}
	return 0, false
}

// checkPartitions reads the topic's partition count again: markers go to
// partitions added during the run too (SPEC §6), from when the producer
// knows them (a record for a partition it does not know is refused).
func (r *injRun) checkPartitions(ctx context.Context) {
	r.lastParts = r.in.deps.Now()
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	n, err := kafka.PartitionCount(cctx, r.in.deps.Client, r.in.cfg.Topic)
	cancel()
	if err == nil && n > r.known {
		r.in.log(bus.Info, fmt.Sprintf("%s has %d partitions now (%d before): markers go to every one", r.in.cfg.Topic, n, r.known))
		r.known = n
		r.in.deps.Client.ForceMetadataRefresh()
	}
	r.adopt()
}

// adopt marks the partitions the producer knows of now.
func (r *injRun) adopt() {
	for r.parts < r.known {
		if leader, _, _ := r.in.deps.Client.PartitionLeader(r.in.cfg.Topic, r.parts); leader < 0 {
			return
		}
		r.parts++
	}
}

// awaitPartitions waits (up to a few seconds) for the producer to know
// every partition read, so the end markers reach them all.
func (r *injRun) awaitPartitions(ctx context.Context) {
	r.checkPartitions(ctx)
	for deadline := time.After(10 * time.Second); r.parts < r.known; r.adopt() {
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			r.in.log(bus.Warn, fmt.Sprintf("%s: partitions %d..%d unknown to the producer: no end marker there", r.in.cfg.Topic, r.parts, r.known-1))
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// event produces one event record.
func (r *injRun) event(ctx context.Context, s sim.Sent, value []byte) {
	rec := &kgo.Record{Topic: r.in.cfg.Topic, Key: []byte(s.Event.Device), Value: value, Timestamp: time.UnixMilli(s.Send)}
	if r.tag != "" {
		if r.eventHeader == nil {
			r.eventHeader = []byte(r.in.cfg.RunKey.EventHeader(r.tag))
		}
		rec.Headers = []kgo.RecordHeader{{Key: kafka.HeaderRun, Value: r.eventHeader}}
	}
	r.in.produce(ctx, rec)
}

// markers produces a keyless, empty marker record with header k=v to every
// partition, after everything produced before it; its run header is bound
// to the marker (kind, value, partition) by the run key.
func (r *injRun) markers(ctx context.Context, k, v string) {
	for p := range r.parts {
		rec := &kgo.Record{Topic: r.in.cfg.Topic, Partition: p, Value: []byte{},
			Timestamp: time.UnixMilli(max(r.st.Clock, 0)),
			Headers:   []kgo.RecordHeader{{Key: k, Value: []byte(v)}}}
		if r.tag != "" {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: kafka.HeaderRun,
				Value: []byte(r.in.cfg.RunKey.MarkerHeader(r.tag, k, v, p))})
		}
		r.in.produce(ctx, rec)
	}
}

func (in *Injector) produce(ctx context.Context, rec *kgo.Record) {
	in.produced.Add(1)
	in.deps.Client.Produce(ctx, rec, in.promise)
}

func (in *Injector) flushClient(ctx context.Context) error { return in.deps.Client.Flush(ctx) }

func (in *Injector) promise(_ *kgo.Record, err error) {
	if err != nil {
		in.failed.Add(1)
		msg := err.Error()
		if p := in.lastErr.Swap(&msg); p == nil || *p != msg {
			in.log(bus.Error, "produce: "+msg)
		}
	}
}
