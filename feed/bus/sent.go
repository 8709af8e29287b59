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

// RunStart says where run Run begins on the events topic: the end offsets
// of Topic's partitions before the run's first record, after every record
// of the runs before it. A peer (SPEC §9) restarted for the run reads from
// there. The injector publishes it only when asked (inject.Config.PublishStart).
type RunStart struct {
	Run     int
	Tag     string
	Topic   string
	Offsets map[int32]int64
}
