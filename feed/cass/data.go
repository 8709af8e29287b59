package cass

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/streamtop/streamtop/engine"
)

// Row is one windowed aggregate as stored.
type Row struct {
	Key        engine.Key
	Agg        engine.Agg
	Incomplete bool
}

func compareRows(a, b Row) int { return a.Key.Compare(b.Key) }

// lastPerKey drops all but the last row of each key, keeping order, so a
// key's latest value wins whatever batch it lands in.
func lastPerKey(rows []Row) []Row {
	last := make(map[engine.Key]int, len(rows))
	for i, r := range rows {
		last[r.Key] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]Row, 0, len(last))
	for i, r := range rows {
		if last[r.Key] == i {
			out = append(out, r)
		}
	}
	return out
}

// UpsertAggregates writes rows of (run, source): unlogged single-partition
// batches of up to 100 rows, a few at a time. Rows are full-value upserts,
// so writing them again never double counts. When a key appears more than
// once, its last row wins.
func (s *Store) UpsertAggregates(ctx context.Context, run, source string, rows []Row) error {
	if run == "" || source == "" {
		return errors.New("cassandra: upsert aggregates: empty run or source")
	}
	rows = lastPerKey(rows)
	stmt := fmt.Sprintf("INSERT INTO %s.aggregates (run, source, window_end, device, category, m1_sum, m2_sum, count, incomplete, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s.ks)
	now := time.Now().UnixMilli()
	n := (len(rows) + batchRows - 1) / batchRows
	err := each(ctx, n, 8, func(ctx context.Context, i int) error {
		chunk := rows[i*batchRows : min(len(rows), (i+1)*batchRows)]
		args := make([][]any, len(chunk))
		for j, r := range chunk {
			args[j] = []any{run, source, r.Key.WindowEnd, r.Key.Device, r.Key.Category,
				r.Agg.M1, r.Agg.M2, r.Agg.Count, r.Incomplete, now}
		}
		return s.execBatch(ctx, stmt, args)
	})
	if err != nil {
		return fmt.Errorf("cassandra: upsert aggregates %s/%s: %w", run, source, err)
	}
	return nil
}

// Aggregates reads all rows of (run, source), sorted by key (window end,
// device, category).
func (s *Store) Aggregates(ctx context.Context, run, source string) ([]Row, error) {
	stmt := fmt.Sprintf("SELECT window_end, device, category, m1_sum, m2_sum, count, incomplete FROM %s.aggregates WHERE run = ? AND source = ?", s.ks)
	sc := s.sess.Query(stmt, run, source).PageSize(5000).IterContext(ctx).Scanner()
	var out []Row
	for sc.Next() {
		var r Row
		if err := sc.Scan(&r.Key.WindowEnd, &r.Key.Device, &r.Key.Category, &r.Agg.M1, &r.Agg.M2, &r.Agg.Count, &r.Incomplete); err != nil {
			_ = sc.Err()
			return nil, fmt.Errorf("cassandra: aggregates %s/%s: %w", run, source, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cassandra: aggregates %s/%s: %w", run, source, err)
	}
	slices.SortFunc(out, compareRows)
	return out, nil
}

// Run describes one run (the runs table).
type Run struct {
	ID             string
	Started        time.Time // stored with millisecond precision; zero is stored as null
	Seed           int64
	Devices        int
	Events         int
	WindowMs       int64
	Source         string
	Horizon, Clock int64
	Done           bool
}

const runColumns = "run, started, seed, devices, events, window_ms, source, horizon, clock, done"

// UpsertRun writes all of a run's fields.
func (s *Store) UpsertRun(ctx context.Context, r Run) error {
	if r.ID == "" {
		return errors.New("cassandra: upsert run: empty id")
	}
	var started any // nil: null
	if !r.Started.IsZero() {
		started = r.Started.UnixMilli()
	}
	stmt := fmt.Sprintf("INSERT INTO %s.runs (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s.ks, runColumns)
	err := s.sess.Query(stmt, r.ID, started, r.Seed, r.Devices, r.Events, r.WindowMs, r.Source, r.Horizon, r.Clock, r.Done).
		Idempotent(true).ExecContext(ctx)
	if err != nil {
		return fmt.Errorf("cassandra: upsert run %s: %w", r.ID, err)
	}
	return nil
}

func scanRun(sc func(...any) error) (Run, error) {
	var r Run
	var started *time.Time
	err := sc(&r.ID, &started, &r.Seed, &r.Devices, &r.Events, &r.WindowMs, &r.Source, &r.Horizon, &r.Clock, &r.Done)
	if started != nil {
		r.Started = *started
	}
	return r, err
}

// Run reads one run; ErrNotFound when there is none with that id.
func (s *Store) Run(ctx context.Context, id string) (Run, error) {
	stmt := fmt.Sprintf("SELECT %s FROM %s.runs WHERE run = ?", runColumns, s.ks)
	q := s.sess.Query(stmt, id)
	r, err := scanRun(func(dest ...any) error { return q.ScanContext(ctx, dest...) })
	if errors.Is(err, gocql.ErrNotFound) {
		return Run{}, fmt.Errorf("cassandra: run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("cassandra: run %s: %w", id, err)
	}
	return r, nil
}

// LatestRun returns the run with the latest Started (ties: the greatest id);
// ErrNotFound when there is none. It reads the whole runs table.
func (s *Store) LatestRun(ctx context.Context) (Run, error) {
	stmt := fmt.Sprintf("SELECT %s FROM %s.runs", runColumns, s.ks)
	sc := s.sess.Query(stmt).IterContext(ctx).Scanner()
	var best Run
	found := false
	for sc.Next() {
		r, err := scanRun(sc.Scan)
		if err != nil {
			_ = sc.Err()
			return Run{}, fmt.Errorf("cassandra: latest run: %w", err)
		}
		if !found || r.Started.After(best.Started) || (r.Started.Equal(best.Started) && r.ID > best.ID) {
			best, found = r, true
		}
	}
	if err := sc.Err(); err != nil {
		return Run{}, fmt.Errorf("cassandra: latest run: %w", err)
	}
	if !found {
		return Run{}, fmt.Errorf("cassandra: latest run: %w", ErrNotFound)
	}
	return best, nil
}

// UpsertProgress records that engine has closed every window before
// closedBefore (ms) on one input partition.
func (s *Store) UpsertProgress(ctx context.Context, run, engine string, partition int32, closedBefore int64) error {
	if run == "" || engine == "" {
		return errors.New("cassandra: upsert progress: empty run or engine")
	}
	stmt := fmt.Sprintf("INSERT INTO %s.progress (run, engine, partition, closed_before, updated) VALUES (?, ?, ?, ?, ?)", s.ks)
	err := s.sess.Query(stmt, run, engine, partition, closedBefore, time.Now().UnixMilli()).Idempotent(true).ExecContext(ctx)
	if err != nil {
		return fmt.Errorf("cassandra: upsert progress %s/%s/%d: %w", run, engine, partition, err)
	}
	return nil
}

// Progress reads partition → closed_before of (run, engine).
func (s *Store) Progress(ctx context.Context, run, engine string) (map[int32]int64, error) {
	stmt := fmt.Sprintf("SELECT partition, closed_before FROM %s.progress WHERE run = ? AND engine = ?", s.ks)
	sc := s.sess.Query(stmt, run, engine).IterContext(ctx).Scanner()
	out := map[int32]int64{}
	var p int32
	var c int64
	for sc.Next() {
		if err := sc.Scan(&p, &c); err != nil {
			_ = sc.Err()
			return nil, fmt.Errorf("cassandra: progress %s/%s: %w", run, engine, err)
		}
		out[p] = c
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cassandra: progress %s/%s: %w", run, engine, err)
	}
	return out, nil
}
