package enginerun

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

func queued(p *partition, tss ...int64) {
	for i, ts := range tss {
		p.queue.push(queuedEvent{part: p.id, offset: int64(i), ts: ts, key: "k"})
	}
}

// release runs the merge to where it must wait and returns the timestamps
// released, with the partition each came from.
func release(m *merger, ps partitions) (out [][2]int64) {
	for p := m.next(ps); p != nil; p = m.next(ps) {
		rec := pop(ps, p, func(int32, bool) {})
		out = append(out, [2]int64{int64(rec.part), rec.ts})
	}
	return out
}

func TestMergerReleasesInTimestampOrderAsBoundsAllow(t *testing.T) {
	ps := partitions{newPartition(0, 0, true, true), newPartition(1, 0, true, true)}
	queued(ps[0], 10, 30)
	queued(ps[1], 20)
	var m merger
	// Partition 1 may still deliver something before 30 once its queue is
	// empty (its bound is unknown): the merge stops there.
	if got, want := release(&m, ps), [][2]int64{{0, 10}, {1, 20}}; !slices.Equal(got, want) {
		t.Fatalf("released %v, want %v", got, want)
	}
	ps[1].bound, ps[1].marked = 40, true // a clock marker: nothing before 40 is left there
	if got, want := release(&m, ps), [][2]int64{{0, 30}}; !slices.Equal(got, want) {
		t.Fatalf("after the marker: released %v, want %v", got, want)
	}
}

// SPEC §6: the merged read never waits on a partition that has nothing
// unread and was never marked (one added during the run), while the
// partitions there at the start are waited for.
func TestMergerDoesNotWaitOnANewUnmarkedCaughtUpPartition(t *testing.T) {
	ps := partitions{newPartition(0, 0, true, true)}
	added := ps.grow(2, true)[0]
	queued(ps[0], 10)
	var m merger
	if got := release(&m, ps); len(got) != 0 {
		t.Fatalf("released %v while the new partition's end was unknown", got)
	}
	added.sawEnd(0) // nothing to read there
	if got := release(&m, ps); len(got) != 1 {
		t.Fatalf("released %v: the new, empty, unmarked partition held the merge", got)
	}
	queued(ps[0], 20)
	ps = append(ps[:1:1], newPartition(2, 0, true, true)) // one there at the start, empty
	ps[1].sawEnd(0)
	if got := release(&m, ps); len(got) != 0 {
		t.Fatalf("released %v without waiting for a start partition's marker", got)
	}
}

type flakySink struct {
	fail    bool
	results int
}

func (s *flakySink) WriteResults(_ context.Context, _ string, rs []engine.Result) error {
	if s.fail {
		return errors.New("down")
	}
	s.results += len(rs)
	return nil
}

func (s *flakySink) WriteProgress(context.Context, string, map[int32]int64) error {
	if s.fail {
		return errors.New("down")
	}
	return nil
}

// A sink that fails keeps everything buffered; nothing is lost.
func TestSinkBufferKeepsWhatFailed(t *testing.T) {
	s := &flakySink{fail: true}
	b := newSinkBuffer(s)
	b.add(make([]engine.Result, 3), map[int32]int64{0: 5})
	if err := b.drain(context.Background(), "r"); err == nil || b.pending() != 3 {
		t.Fatalf("failed drain: err %v, pending %d", err, b.pending())
	}
	b.add(make([]engine.Result, 2), nil)
	s.fail = false
	if err := b.drain(context.Background(), "r"); err != nil || b.pending() != 0 || s.results != 5 {
		t.Fatalf("drain: err %v, pending %d, written %d", err, b.pending(), s.results)
	}
}
