package bus

import "github.com/streamtop/streamtop/engine"

// SentEvent is one event as the injector sent it.
type SentEvent struct {
	Event engine.Event
	Send  int64 // send time, ms: the Kafka record timestamp
}

// SentBatch carries the events of one injector batch in send order,
// duplicates included, right after the TruthBatch that counts them. The
// injector publishes it only when asked (inject.Config.PublishSent): a
// writer of the original's raw_events needs every event sent.
type SentBatch struct {
	Run    int
	Tag    string // the run's tag, as in TruthBatch
	Events []SentEvent
}
