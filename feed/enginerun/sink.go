package enginerun

import (
	"context"
	"fmt"

	"github.com/streamtop/streamtop/engine"
)

// ResultSink is a second destination for an engine's results (Cassandra).
// Writes are upserts: repeating one is harmless.
type ResultSink interface {
	WriteResults(ctx context.Context, run string, rs []engine.Result) error
	WriteProgress(ctx context.Context, run string, closed map[int32]int64) error
}

// sinkBuffer holds what the sink has not taken yet: on a failed write
// everything stays (nothing is lost) and is written again next time.
type sinkBuffer struct {
	sink     ResultSink
	results  []engine.Result
	progress map[int32]int64
}

func newSinkBuffer(s ResultSink) *sinkBuffer {
	return &sinkBuffer{sink: s, progress: map[int32]int64{}}
}

// add buffers results and progress.
func (b *sinkBuffer) add(rs []engine.Result, closed map[int32]int64) {
	if b == nil {
		return
	}
	b.results = append(b.results, rs...)
	for p, c := range closed {
		b.progress[p] = c
	}
}

// pending counts the results not written yet.
func (b *sinkBuffer) pending() int {
	if b == nil {
		return 0
	}
	return len(b.results)
}

// drain writes what is buffered, results before progress (progress claims
// the results are there).
func (b *sinkBuffer) drain(ctx context.Context, run string) error {
	if b == nil {
		return nil
	}
	if len(b.results) > 0 {
		if err := b.sink.WriteResults(ctx, run, b.results); err != nil {
			return fmt.Errorf("results sink: %w", err)
		}
		clear(b.results)
		b.results = b.results[:0]
	}
	if len(b.progress) > 0 {
		if err := b.sink.WriteProgress(ctx, run, b.progress); err != nil {
			return fmt.Errorf("progress sink: %w", err)
		}
		clear(b.progress)
	}
	return nil
}
