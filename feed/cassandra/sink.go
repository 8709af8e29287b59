package cassandra

import (
	"context"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/cass"
)

// Sink writes an engine's results and progress to Cassandra (our
// aggregates table, source = the engine's name; and the original's
// agg_events downstream columns when Boontadata is set). Results of
// external data (run "": events with no streamtop run tag, such as the
// original injector's) are written under run cass.ExternalRun in our
// keyspace; agg_events has no runs.
type Sink struct {
	Store      *cass.Store
	Engine     string
	Boontadata bool
	Suffix     string // boontadata column pair [downstream]
}

// WriteResults upserts the latest result of each key.
func (s *Sink) WriteResults(ctx context.Context, run string, rs []engine.Result) error {
	latest := map[engine.Key]cass.Row{}
	for _, r := range rs {
		latest[r.Key] = cass.Row{Key: r.Key, Agg: r.Agg, Incomplete: r.Incomplete}
	}
	rows := make([]cass.Row, 0, len(latest))
	for _, r := range latest {
		rows = append(rows, r)
	}
	if err := s.Store.UpsertAggregates(ctx, runID(run), s.Engine, rows); err != nil {
		return err
	}
	if s.Boontadata {
		suffix := s.Suffix
		if suffix == "" {
			suffix = cass.DefaultSuffix
		}
		return s.Store.UpsertBoontadataDownstream(ctx, suffix, rows)
	}
	return nil
}

// WriteProgress upserts each partition's closed horizon.
func (s *Sink) WriteProgress(ctx context.Context, run string, closed map[int32]int64) error {
	for p, c := range closed {
		if err := s.Store.UpsertProgress(ctx, runID(run), s.Engine, p, c); err != nil {
			return err
		}
	}
	return nil
}

// runID is the run id results of run tag are stored under.
func runID(tag string) string {
	if tag == "" {
		return cass.ExternalRun
	}
	return tag
}
