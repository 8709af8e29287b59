package enginerun

import (
	"context"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// This file is what the runner writes: results and progress records to the
// results topic, and to the sink.

// emit produces the engine's new results and, when the closed horizon of a
// partition moved, one progress record to every results partition.
func (r *Runner) emit(ctx context.Context) {
	r.results = r.eng.Drain(r.results[:0])
	for _, res := range r.results {
		if !r.cfg.NoKafkaResults {
			key, value := r.resultBytes(&res)
			rec := &kgo.Record{Topic: r.cfg.Results, Key: key, Value: value}
			if r.tag != "" {
				rec.Headers = r.resultHeaders()
			}
			r.cl.Produce(r.produceCtx, rec, r.promise)
		}
		r.book.st.Produced++
		r.book.rateResults++
	}
	var closed map[int32]int64
	if r.book.st.Consumed > 0 || r.finished { // no progress to claim before the run's first event
		closed = r.progress.moved(r.parts, horizon(r.eng.ClosedBefore(), r.cfg.Engine.Window.Milliseconds()),
			func(p int32) (int64, bool) { return r.commits.floor(p, r.tag) })
	}
	r.sink.add(r.results, closed)
	if len(closed) == 0 || r.cfg.NoKafkaResults {
		return
	}
	value := kafka.ProgressValue(r.eng.Config().Name, closed)
	for q := range r.resParts {
		rec := &kgo.Record{Topic: r.cfg.Results, Partition: q, Value: value,
			Headers: []kgo.RecordHeader{{Key: kafka.HeaderProgress, Value: []byte("1")}}}
		if r.tag != "" {
			v := r.cfg.RunKey.MarkerHeader(r.tag, kafka.HeaderProgress, "1", q)
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: kafka.HeaderRun, Value: []byte(v)})
		}
		r.cl.Produce(r.produceCtx, rec, r.promise)
	}
}

// resultBlock is the size of the blocks the results' record keys and
// values are written into.
const resultBlock = 64 << 10

// resultBytes renders res's record key (Key.String) and value (AppendJSON)
// into the runner's current block: one allocation per few hundred results
// instead of about ten per result (a string, its copy, a value grown from
// nothing). Nothing handed out is written again: a result grows the block
// only past its length, or moves on to a new one; the collector frees a
// block once the client holds none of its results.
func (r *Runner) resultBytes(res *engine.Result) (key, value []byte) {
	if cap(r.resBlock)-len(r.resBlock) < resultBlock/64 {
		r.resBlock = make([]byte, 0, resultBlock)
	}
	b, start := r.resBlock, len(r.resBlock)
	b = append(b, res.Device...)
	b = append(b, '|')
	b = append(b, res.Category...)
	b = append(b, '|')
	b = strconv.AppendInt(b, res.WindowEnd, 10)
	mid := len(b)
	b = res.AppendJSON(b)
	r.resBlock = b
	return b[start:mid:mid], b[mid:len(b):len(b)]
}

// resultHeaders are the headers of a result of the current run: computed
// once per run (a MAC per result cost a tenth of the role's CPU per result)
// and shared by its results (the client only reads them).
func (r *Runner) resultHeaders() []kgo.RecordHeader {
	if r.resultHdrTag != r.tag || r.resultHdr == nil {
		r.resultHdrTag = r.tag
		r.resultHdr = []kgo.RecordHeader{{Key: kafka.HeaderRun, Value: []byte(r.cfg.RunKey.EventHeader(r.tag))}}
	}
	return r.resultHdr
}

// drainSink hands buffered results and progress to the sink; on failure
// they stay buffered (nothing is lost) and are retried next tick. A failure
// is logged once per distinct error.
func (r *Runner) drainSink(ctx context.Context) {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.sink.drain(wctx, r.tag); err != nil {
		r.book.st.Err = err.Error()
		if r.book.st.Err != r.book.lastSinkErr {
			r.book.lastSinkErr = r.book.st.Err
			r.log(bus.Warn, r.book.st.Err+" (kept, retrying)")
		}
		return
	}
	if r.book.lastSinkErr != "" {
		r.book.lastSinkErr = ""
		r.log(bus.Info, "results sink: written again")
	}
}

// promise reports a result the broker did not take: it is lost.
func (r *Runner) promise(_ *kgo.Record, err error) {
	if err != nil {
		r.log(bus.Error, "produce result (lost): "+err.Error())
	}
}
