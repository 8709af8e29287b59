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
	"github.com/twmb/franz-go/pkg/kgo"
)

// The observers feed a screen that watches a distributed run from the
// outside (streamtop watch): each publishes the status of a role from what
// the topics show, since the role itself is on another host.

// Events reads the events topic from its end and publishes an
// InjectorStatus: events/s, duplicates (ids seen again, over the last
// ObservedIDs ids), late events (device time more than a minute behind the
// record's timestamp), out-of-order ones (behind the device's previous
// event) and malformed records.
func Events(ctx context.Context, kc kafka.Config, topic string, window time.Duration, eventBus *bus.Bus) error {
	cl, err := kc.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		return err
	}
	defer cl.Close()
	st := bus.InjectorStatus{Clock: engine.None, Horizon: engine.None, Start: engine.None}
	ids := newIDWindow(ObservedIDs)
	dec := engine.NewDecoder()
	lastDT := map[string]int64{}
	truth, err := sim.NewTruth(window, true)
	if err != nil {
		return err
	}
	mark, count := time.Now(), int64(0)
	lastPub := time.Time{}
	for {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fs.EachRecord(func(rec *kgo.Record) {
			if _, ok := kafka.Header(rec, kafka.HeaderEnd); ok {
				st.Done = true
				return
			}
			if _, ok := kafka.Header(rec, kafka.HeaderClock); ok {
				return
			}
			ev, err := dec.Decode(rec.Value)
			if err != nil {
				st.Malformed++
				return
			}
			send := rec.Timestamp.UnixMilli()
			st.Sent++
			count++
			st.Clock = max(st.Clock, send)
			if st.Start == engine.None {
				st.Start = send
			}
			if ids.seen(ev.ID) {
				st.Duplicates++
				return
			}
			st.Originals++
			switch {
			case send-ev.Time > 60_000:
				st.Late++
			case ev.Time < lastDT[ev.Device]:
				st.OutOfOrder++
			}
			if len(lastDT) < 100_000 || lastDT[ev.Device] != 0 {
				lastDT[ev.Device] = max(lastDT[ev.Device], ev.Time)
			}
			truth.Add(sim.Sent{Event: ev, Send: send})
		})
		now := time.Now()
		if d := now.Sub(mark); d >= time.Second {
			st.Rate = float64(count) / d.Seconds()
			series := append([]float64(nil), st.RateSeries...)
			if len(series) >= 120 {
				series = series[1:]
			}
			st.RateSeries = append(series, st.Rate)
			mark, count = now, 0
			if h := st.Clock; h != engine.None {
				truth.Evict(h - 30*60*1000) // lags are unknown here: keep half an hour
			}
		}
		if now.Sub(lastPub) >= 200*time.Millisecond {
			out := st
			out.Devices = len(lastDT)
			out.TruthKeys, out.SendTruthKeys, out.TruthDiffer = truth.DeviceKeys(), truth.SendKeys(), truth.Differ()
			eventBus.Publish(&out)
			lastPub = now
		}
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
// topic the results rate and the closed horizon of their progress records.
func Engines(ctx context.Context, kc kafka.Config, group, events, results string, eventBus *bus.Bus) error {
	cl, err := kc.NewClient(kgo.ConsumeTopics(results), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	st := bus.EngineStatus{Config: engine.DefaultConfig(), ClosedBefore: engine.None}
	st.Stats.Watermark, st.Stats.Now = engine.None, engine.None
	closed := map[int32]int64{}
	mark, count := time.Now(), int64(0)
	lastLag := time.Time{}
	for {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fs.EachRecord(func(rec *kgo.Record) {
			if _, ok := kafka.Header(rec, kafka.HeaderProgress); ok {
				if c, err := kafka.ParseProgress(rec.Value); err == nil {
					for p, v := range c {
						closed[p] = max(closed[p], v)
					}
				}
				return
			}
			res, err := engine.DecodeResult(rec.Value)
			if err != nil {
				st.Malformed++
				return
			}
			if res.Engine != "" {
				st.Config.Name = res.Engine
			}
			st.Produced++
			count++
		})
		now := time.Now()
		if d := now.Sub(mark); d >= time.Second {
			st.ResultRate = float64(count) / d.Seconds()
			mark, count = now, 0
		}
		if len(closed) > 0 {
			h := int64(bus.Final)
			for _, v := range closed {
				h = min(h, v)
			}
			st.ClosedBefore = h
		}
		if now.Sub(lastLag) >= time.Second {
			lctx, lcancel := context.WithTimeout(ctx, 2*time.Second)
			lags, err := adm.Lag(lctx, group)
			lcancel()
			st.Err = ""
			if err != nil {
				st.Err = "lag: " + err.Error()
			} else if l, ok := lags[group]; ok {
				if e := l.Error(); e != nil && !errors.Is(e, context.Canceled) {
					st.Err = "lag: " + e.Error()
				}
				st.Lag, st.PartitionLag = 0, nil
				for p := int32(0); ; p++ {
					m, ok := l.Lag.Lookup(events, p)
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
			lastLag = now
			out := st
			out.PartitionLag = append([]int64(nil), st.PartitionLag...)
			eventBus.Publish(&out)
		}
	}
}
