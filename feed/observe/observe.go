package observe

import (
	"context"
	"errors"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/sim"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The observers feed a screen that watches a distributed run from the
// outside (streamtop watch): each publishes the status of a role from what
// the topics show, since the role itself is on another host.

// Config is what the observers read.
type Config struct {
	Kafka   kafka.Config
	Events  string        // the events topic
	Results string        // the engine's results topic
	Group   string        // the engine's consumer group, for its lag
	Window  time.Duration // the truth's windows
	// RunKey verifies the markers' run headers (SPEC §6); nil takes
	// unsigned ones at their word, as the roles do.
	RunKey kafka.RunKey
}

// Events reads the events topic from its end and publishes an
// InjectorStatus: events/s, duplicates (ids seen again, over the last
// ObservedIDs ids), late events (device time more than a minute behind the
// record's timestamp), out-of-order ones (behind the device's previous
// event) and malformed records. An end marker counts only when its run
// header verifies; others are counted as unverified.
func Events(ctx context.Context, cfg Config, eventBus *bus.Bus) error {
	truth, err := sim.NewTruth(cfg.Window, true)
	if err != nil {
		return err
	}
	cl, err := cfg.Kafka.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	loop, err := fromEnd(ctx, cl, cfg.Events, eventBus, "injector")
	if err != nil {
		return ignoreEnd(ctx, err)
	}
	o := &eventsObserver{st: bus.InjectorStatus{Clock: engine.None, Horizon: engine.None, Start: engine.None},
		ids: newIDWindow(ObservedIDs), dec: engine.NewDecoder(), lastDT: map[string]int64{}, truth: truth,
		mark: time.Now(), key: cfg.RunKey}
	return loop.Run(ctx, func(fs kgo.Fetches) {
		fs.EachRecord(o.record)
		o.publish(time.Now(), eventBus)
	})
}

// verified reports whether marker kind=value on rec has a run header that
// key verifies, as the roles judge it: an untagged end or clock marker
// never counts (the engine's rule), an untagged progress record only when
// there is no key (the comparator's).
func verified(key kafka.RunKey, rec *kgo.Record, kind, value string) bool {
	run, tagged := kafka.Header(rec, kafka.HeaderRun)
	if !tagged {
		return key == nil && kind == kafka.HeaderProgress
	}
	_, ok := key.VerifyMarker(run, kind, value, rec.Partition)
	return ok
}

// fromEnd is a Loop reading topic from its end (partitions added later
// from their start), waking every 200 ms. Until the broker answers and the
// topic exists it asks again every RetryEvery, saying once per new reason
// why it waits (a watcher outlives the brokers it watches).
func fromEnd(ctx context.Context, cl *kgo.Client, topic string, eventBus *bus.Bus, role string) (kafka.Loop, error) {
	adm := kadm.NewClient(cl)
	said := ""
	for {
		ends, err := kafka.EndOffsets(ctx, adm, topic)
		if err == nil {
			if said != "" {
				eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Info, Role: role, Text: "reading " + topic})
			}
			return kafka.Loop{Client: cl, Assign: []string{topic}, Wait: 200 * time.Millisecond,
				Start: func(_ string, p int32) int64 { return ends[p] }}, nil
		}
		if why := err.Error(); why != said && ctx.Err() == nil {
			said = why
			eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: role,
				Text: "waiting for " + topic + ": " + why + " (asking again every " + RetryEvery.String() + ")"})
		}
		select {
		case <-ctx.Done():
			return kafka.Loop{}, ctx.Err()
		case <-time.After(RetryEvery):
		}
	}
}

// ignoreEnd is err, or nil when ctx ended: a watcher stopped while it
// waited has not failed.
func ignoreEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// RetryEvery is how often an observer asks again for a broker or a topic
// it cannot read yet.
const RetryEvery = 2 * time.Second

// eventsObserver is what Events has seen.
type eventsObserver struct {
	st      bus.InjectorStatus
	ids     *idWindow
	dec     *engine.Decoder
	lastDT  map[string]int64
	truth   *sim.Truth
	mark    time.Time
	count   int64
	lastPub time.Time
	key     kafka.RunKey
}

func (o *eventsObserver) record(rec *kgo.Record) {
	for _, kind := range []string{kafka.HeaderEnd, kafka.HeaderClock} {
		if v, ok := kafka.Header(rec, kind); ok {
			switch {
			case !verified(o.key, rec, kind, v):
				o.st.Unverified++
			case kind == kafka.HeaderEnd:
				o.st.Done = true
			}
			return
		}
	}
	ev, err := o.dec.Decode(rec.Value)
	if err != nil {
		o.st.Malformed++
		return
	}
	send := rec.Timestamp.UnixMilli()
	st := &o.st
	st.Sent++
	o.count++
	st.Clock = max(st.Clock, send)
	if st.Start == engine.None {
		st.Start = send
	}
	if o.ids.seen(ev.ID) {
		st.Duplicates++
		return
	}
	st.Originals++
	switch {
	case send-ev.Time > 60_000:
		st.Late++
	case ev.Time < o.lastDT[ev.Device]:
		st.OutOfOrder++
	}
	if len(o.lastDT) < 100_000 || o.lastDT[ev.Device] != 0 {
		o.lastDT[ev.Device] = max(o.lastDT[ev.Device], ev.Time)
	}
	o.truth.Add(sim.Sent{Event: ev, Send: send})
}

// publish updates the rate once a second and publishes the status at most
// every 200 ms.
func (o *eventsObserver) publish(now time.Time, eventBus *bus.Bus) {
	st := &o.st
	if d := now.Sub(o.mark); d >= time.Second {
		st.Rate = float64(o.count) / d.Seconds()
		series := append([]float64(nil), st.RateSeries...)
		if len(series) >= 120 {
			series = series[1:]
		}
		st.RateSeries = append(series, st.Rate)
		o.mark, o.count = now, 0
		if h := st.Clock; h != engine.None {
			o.truth.Evict(h - 30*60*1000) // lags are unknown here: keep half an hour
		}
	}
	if now.Sub(o.lastPub) >= 200*time.Millisecond {
		out := *st
		out.Devices = len(o.lastDT)
		out.TruthKeys, out.SendTruthKeys, out.TruthDiffer = o.truth.DeviceKeys(), o.truth.SendKeys(), o.truth.Differ()
		eventBus.Publish(&out)
		o.lastPub = now
	}
}

// ObservedIDs is how many recent ids the events observer remembers to spot
// duplicates.
const ObservedIDs = 200_000

// idWindow remembers the last n ids.
type idWindow struct {
	set  map[string]struct{}
	ring []string
	at   int
}

func newIDWindow(n int) *idWindow {
	return &idWindow{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// seen reports whether id is among the last n, and remembers it.
func (w *idWindow) seen(id string) bool {
	if _, ok := w.set[id]; ok {
		return true
	}
	if old := w.ring[w.at]; old != "" {
		delete(w.set, old)
	}
	w.ring[w.at] = id
	w.set[id] = struct{}{}
	w.at = (w.at + 1) % len(w.ring)
	return false
}

// Engines publishes an EngineStatus for engines seen from outside:
// their consumer group's lag per partition (kadm), and from the results
// topic the results rate and the closed horizon of the progress records
// whose run header verifies. It knows nothing else: the status says so
// (Observed).
func Engines(ctx context.Context, cfg Config, eventBus *bus.Bus) error {
	cl, err := cfg.Kafka.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	loop, err := fromEnd(ctx, cl, cfg.Results, eventBus, "engine")
	if err != nil {
		return ignoreEnd(ctx, err)
	}
	o := &enginesObserver{adm: kadm.NewClient(cl), group: cfg.Group, events: cfg.Events, closed: map[int32]int64{},
		st: bus.EngineStatus{Config: engine.DefaultConfig(), ClosedBefore: engine.None, Observed: true}, mark: time.Now(), key: cfg.RunKey}
	o.st.Stats.Watermark, o.st.Stats.Now = engine.None, engine.None
	return loop.Run(ctx, func(fs kgo.Fetches) {
		fs.EachRecord(o.record)
		o.publish(ctx, time.Now(), eventBus)
	})
}

// enginesObserver is what Engines has seen.
type enginesObserver struct {
	adm           *kadm.Client
	group, events string
	st            bus.EngineStatus
	closed        map[int32]int64
	mark          time.Time
	count         int64
	lastLag       time.Time
	key           kafka.RunKey
}

func (o *enginesObserver) record(rec *kgo.Record) {
	if v, ok := kafka.Header(rec, kafka.HeaderProgress); ok {
		if !verified(o.key, rec, kafka.HeaderProgress, v) {
			o.st.Unverified++
			return
		}
		if c, err := kafka.ParseProgress(rec.Value); err == nil {
			for p, v := range c {
				o.closed[p] = max(o.closed[p], v)
			}
		}
		return
	}
	res, err := engine.DecodeResult(rec.Value)
	if err != nil {
		o.st.Malformed++
		return
	}
	if res.Engine != "" {
		o.st.Config.Name = res.Engine
	}
	o.st.Produced++
	o.count++
}

// publish updates the rates and the closed horizon, and once a second
// reads the group's lag and publishes the status.
func (o *enginesObserver) publish(ctx context.Context, now time.Time, eventBus *bus.Bus) {
	st := &o.st
	if d := now.Sub(o.mark); d >= time.Second {
		st.ResultRate = float64(o.count) / d.Seconds()
		o.mark, o.count = now, 0
	}
	if len(o.closed) > 0 {
		h := int64(bus.Final)
		for _, v := range o.closed {
			h = min(h, v)
		}
		st.ClosedBefore = h
	}
	if now.Sub(o.lastLag) < time.Second {
		return
	}
	o.lag(ctx)
	o.lastLag = now
	out := *st
	out.PartitionLag = append([]int64(nil), st.PartitionLag...)
	eventBus.Publish(&out)
}

// lag reads the group's lag on the events topic.
func (o *enginesObserver) lag(ctx context.Context) {
	st := &o.st
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	lags, err := o.adm.Lag(lctx, o.group)
	cancel()
	st.Err = ""
	if err != nil {
		st.Err = "lag: " + err.Error()
		return
	}
	l, ok := lags[o.group]
	if !ok {
		return
	}
	st.LagUnknown = ""
	if errors.Is(l.DescribeErr, kerr.GroupIDNotFound) || errors.Is(l.FetchErr, kerr.GroupIDNotFound) || l.State == "Dead" {
		// No such group: an engine reading without one (one process) or
		// not started; its lag cannot be read from the brokers.
		st.LagUnknown, st.Lag, st.PartitionLag = "no consumer group "+o.group, 0, nil
		return
	}
	if e := l.Error(); e != nil && !errors.Is(e, context.Canceled) {
		st.Err = "lag: " + e.Error()
	}
	st.Lag, st.PartitionLag = 0, nil
	for p := int32(0); ; p++ {
		m, ok := l.Lag.Lookup(o.events, p)
		if !ok {
			break
		}
		st.PartitionLag = append(st.PartitionLag, m.Lag)
		if m.Lag > 0 {
			st.Lag += m.Lag
		}
	}
	st.Stats.Partitions = len(st.PartitionLag)
}
