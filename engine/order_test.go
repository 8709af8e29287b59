package engine_test

import (
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// SPEC §3, order of steps for each record: the arrival advances now, then
// idleness is evaluated at that now, and only then is the record judged.
// SPEC's example: one partition, idle 6 s, W 1 s, lateness 0; A sent at 1 s
// with device time 1 s, B sent at 200 s with device time 50 s. At B's
// arrival the partition has been silent 199 s, the watermark moves to
// 194 s, and B is late. Ingest and IngestBatch (both events in one batch,
// or one batch each) give the same verdict.
func TestIdlenessIsEvaluatedBeforeTheRecordIsJudged(t *testing.T) {
	a := ev("a-1", "a", t0+1000, "cat-1", 3, 1)
	b := ev("a-2", "a", t0+50_000, "cat-1", 4, 1)
	runs := map[string]func(e *engine.Engine) []engine.Outcome{
		"Ingest": func(e *engine.Engine) []engine.Outcome {
			return []engine.Outcome{e.Ingest(0, t0+1000, a), e.Ingest(0, t0+200_000, b)}
		},
		"IngestBatch of both": func(e *engine.Engine) []engine.Outcome {
			return e.IngestBatch(0, []int64{t0 + 1000, t0 + 200_000}, []engine.Event{a, b}, nil)
		},
		"IngestBatch of each": func(e *engine.Engine) []engine.Outcome {
			out := e.IngestBatch(0, []int64{t0 + 1000}, []engine.Event{a}, nil)
			return e.IngestBatch(0, []int64{t0 + 200_000}, []engine.Event{b}, out)
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, func(c *engine.Config) {
				c.Idle, c.Watermark, c.Lateness = 6*time.Second, time.Second, 0
			})
			e.SetCaughtUp(0, true) // one partition, nothing else to read
			got := run(e)
			if len(got) != 2 || got[0] != engine.Accepted || got[1] != engine.Late {
				t.Fatalf("outcomes %v, want [accepted late]", got)
			}
			expectWM(t, e, t0+194_000)
			expectDrain(t, e, res("a", "cat-1", t0+5000, 3, 1, 1))
			if s := e.Stats(); s.Late != 1 || s.Accepted != 1 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}
