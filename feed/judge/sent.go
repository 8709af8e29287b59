package judge

import (
	"context"
	"strings"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The events as they were sent: the evidence SPEC §4's causes are derived
// from. In one process the injector publishes them on the bus (BusSent);
// a distributed judge reads them from the events topic in its downstream's
// poll loop (KafkaConfig.ReadEvents).

// SentSource delivers what the injector sent, in send order, until ctx ends.
type SentSource interface {
	Run(ctx context.Context, out chan<- *bus.SentBatch) error
}

// BusSent is the sent events of an injector in the same process (which
// must publish them: inject.Config.PublishSent).
type BusSent struct {
	bus *bus.Bus
	sub *bus.Sub
}

// NewBusSent subscribes at once, so nothing published later is missed.
func NewBusSent(eventBus *bus.Bus) *BusSent {
	return &BusSent{bus: eventBus, sub: eventBus.Subscribe(64, func(m any) bool { _, ok := m.(*bus.SentBatch); return ok })}
}

// Run forwards the sent events until ctx ends, then unsubscribes.
func (s *BusSent) Run(ctx context.Context, out chan<- *bus.SentBatch) error {
	defer s.bus.Unsubscribe(s.sub)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-s.sub.C():
			select {
			case out <- m.(*bus.SentBatch):
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// TaggedSent is an event read from the events topic and the run tag it came
// with: "" for external data (no streamtop header), else a verified tag.
type TaggedSent struct {
	Tag string
	bus.SentEvent
}

// addSent feeds one batch of the injector's sends to the device-time
// comparator, following the run as addTruth does.
func (j *Judge) addSent(sb *bus.SentBatch) {
	if !j.follow(sb.Run, sb.Tag) {
		return
	}
	for i := range sb.Events {
		s := &sb.Events[i]
		j.dev.Sent(s.Event, s.Send)
		j.lat.sent(&s.Event, s.Send)
	}
	j.dirty = true
}

// addTaggedSent feeds events read from the events topic: those of the run
// judged, and external ones (aggregated by engines as usual).
func (j *Judge) addTaggedSent(sent []TaggedSent) {
	for _, s := range sent {
		if s.Tag == "" || s.Tag == j.tag {
			j.dev.Sent(s.Event, s.Send)
			j.lat.sent(&s.Event, s.Send)
			j.dirty = true
		}
	}
}

// downstreamSettings returns what is known of the downstream now: its
// configured settings, with the mode and dedup of the controls when the
// downstream is the engine they steer.
func (j *Judge) downstreamSettings() compare.Downstream {
	d := compare.DefaultDownstream()
	if j.cfg.Settings != nil {
		d = *j.cfg.Settings
	}
	if j.cfg.FollowControls && j.deps.Controls != nil {
		s := j.deps.Controls.Load()
		d.Mode, d.Dedup, d.ModeKnown = s.Mode, s.Dedup, true
	}
	return d
}

// eventRecord books one record of the events topic: an event of a run
// (its header verified, as the engine does) or external data; markers and
// records with other streamtop headers are skipped.
func (k *KafkaDown) eventRecord(rec *kgo.Record, db *DownBatch) {
	if k.evRead.next == nil {
		k.evRead.next = make(map[int32]int64)
	}
	k.evRead.next[rec.Partition] = rec.Offset + 1
	if len(rec.Value) == 0 {
		return // a marker
	}
	tag, tagged := "", false
	for _, h := range rec.Headers {
		switch {
		case !strings.HasPrefix(h.Key, "streamtop-"):
		case h.Key == kafka.HeaderRun && !tagged:
			v := string(h.Value)
			if v != k.lastEvent.value || v == "" {
				t, ok := k.cfg.RunKey.VerifyEvent(v)
				k.lastEvent = lastVerdict{value: v, tag: t, ok: ok}
			}
			if !k.lastEvent.ok {
				return
			}
			tag, tagged = k.lastEvent.tag, true
		default:
			return // a marker or a foreign record
		}
	}
	if k.dec == nil {
		k.dec = engine.NewDecoder()
	}
	ev, err := k.dec.Decode(rec.Value)
	if err != nil {
		return // the engine counts it as malformed; it explains nothing
	}
	db.Sent = append(db.Sent, TaggedSent{Tag: tag, SentEvent: bus.SentEvent{Event: ev, Send: rec.Timestamp.UnixMilli()}})
}

// eventsRead reports whether the evidence is complete enough for a final
// verdict: always, unless the downstream reads the events topic and has
// not yet read what was written before the truth was done.
func (j *Judge) eventsRead() bool {
	er, ok := j.deps.Down.(eventsReader)
	if !ok || !er.readsEvents() {
		return true
	}
	return !j.eventsReadAt.Before(j.truthDoneAt)
}

// eventsReader is a DownSource that may also read the events topic.
type eventsReader interface {
	readsEvents() bool
}

func (k *KafkaDown) readsEvents() bool { return k.cfg.ReadEvents }
