package enginerun

import (
	"slices"
	"testing"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
)

// A partition far ahead of the merge is not fetched until the merge has
// drained its queue; one no longer owned is fetched again (by whoever owns
// it next).
func TestMergedReadPausesPartitionsFarAhead(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kafka.Config{Brokers: c.ListenAddrs()}.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cfg := DefaultConfig()
	cfg.Events, cfg.Session, cfg.Clock, cfg.Merge = "ev", "s", bus.VirtualClock, true
	r := offline(t, cfg, 2, testControls(t))
	r.cl = cl
	paused := func() []int32 { return cl.PauseFetchPartitions(nil)["ev"] }
	for i := range pauseAbove + 1 {
		r.parts[0].queue.push(queuedEvent{part: 0, offset: int64(i), ts: int64(i)})
	}
	r.parts[1].queue.push(queuedEvent{part: 1, ts: 1})
	r.throttle()
	if got := paused(); !slices.Equal(got, []int32{0}) {
		t.Fatalf("paused %v with %d records queued in partition 0: want [0]", got, r.parts[0].queue.len())
	}
	for r.parts[0].queue.len() >= resumeBelow {
		r.parts[0].queue.pop()
	}
	r.throttle()
	if got := paused(); len(got) != 0 {
		t.Fatalf("paused %v once partition 0's queue drained", got)
	}
	for range pauseAbove + 1 {
		r.parts[1].queue.push(queuedEvent{part: 1})
	}
	r.throttle()
	r.parts[1].owned = false // revoked
	r.throttle()
	if got := paused(); len(got) != 0 {
		t.Fatalf("paused %v after partition 1 was revoked", got)
	}
}
