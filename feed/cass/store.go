// Package cass stores streamtop's truths, engine results, runs and progress
// in Cassandra, and reads and writes the original boontadata-streams schema
// (SPEC §6).
//
// Keyspace names are used unquoted, so Cassandra folds them to lower case.
// Window ends are CQL timestamps written and read as int64 milliseconds, so
// any window, before 1970 too, round-trips exactly.
package cass

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"golang.org/x/sync/errgroup"
)

// ErrNotFound is returned when a requested run does not exist.
var ErrNotFound = errors.New("not found")

// ErrSchema is wrapped, with details, when an existing table lacks a column
// or has one of the wrong type or kind.
var ErrSchema = errors.New("schema mismatch")

// Store is a connected session plus where our tables live.
type Store struct {
	sess *gocql.Session
	cfg  Config
	ks   string         // our keyspace, lower case
	bks  string         // the original's keyspace, lower case
	zone *time.Location // of the original's window_time
}

// Open connects, retrying with exponential backoff (0.5 s doubling to 8 s)
// until ctx ends. Before each retry it calls onRetry(err, wait), if not nil.
// When ctx ends it returns an error wrapping the last connection error.
// A configuration error is returned at once.
func Open(ctx context.Context, cfg Config, onRetry func(err error, wait time.Duration)) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	zone, err := zoneOf(cfg.BoontadataZone)
	if err != nil {
		return nil, err
	}
	hosts := cfg.hostList()
	wait := 500 * time.Millisecond
	var last error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if last == nil {
				return nil, fmt.Errorf("cassandra: open %s: %w", hosts, err)
			}
			return nil, fmt.Errorf("cassandra: unavailable at %s: %w (gave up after %d attempts: %w)", hosts, last, attempt, err)
		}
		d := newDialer(ctx, cfg.Timeout)
		sess, err := cfg.cluster(tc, d).CreateSession()
		if d.done() && err == nil { // ctx ended as the session came up
			sess.Close()
			continue
		}
		if err == nil {
			return &Store{sess: sess, cfg: cfg, ks: strings.ToLower(cfg.Keyspace), bks: strings.ToLower(cfg.BoontadataKeyspace), zone: zone}, nil
		}
		last = err
		if ctx.Err() != nil {
			continue
		}
		if onRetry != nil {
			onRetry(fmt.Errorf("cassandra unavailable at %s: %w", hosts, err), wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		wait = min(2*wait, 8*time.Second)
	}
}

// Keyspace is our keyspace's name, lower case.
func (s *Store) Keyspace() string { return s.ks }

// Close ends the session.
func (s *Store) Close() { s.sess.Close() }

// column is one column a table needs. kind is as in system_schema.columns.
type column struct{ name, typ, kind string }

type table struct {
	name    string
	cols    []column
	key     string // PRIMARY KEY clause
	options string // WITH …, or ""
}

const (
	pk  = "partition_key"
	ck  = "clustering"
	reg = "regular"
)

var ourTables = []table{
	{name: "aggregates", cols: []column{
		{"run", "text", pk}, {"source", "text", pk},
		{"window_end", "timestamp", ck}, {"device", "text", ck}, {"category", "text", ck},
		{"m1_sum", "bigint", reg}, {"m2_sum", "double", reg}, {"count", "bigint", reg},
		{"incomplete", "boolean", reg}, {"updated", "timestamp", reg},
	}, key: "PRIMARY KEY ((run, source), window_end, device, category)"},
	{name: "runs", cols: []column{
		{"run", "text", pk}, {"started", "timestamp", reg}, {"seed", "bigint", reg},
		{"devices", "int", reg}, {"events", "int", reg}, {"window_ms", "bigint", reg},
		{"source", "text", reg}, {"horizon", "bigint", reg}, {"clock", "bigint", reg},
		{"done", "boolean", reg},
	}, key: "PRIMARY KEY (run)"},
	{name: "progress", cols: []column{
		{"run", "text", pk}, {"engine", "text", pk}, {"partition", "int", ck},
		{"closed_before", "bigint", reg}, {"updated", "timestamp", reg},
	}, key: "PRIMARY KEY ((run, engine), partition)"},
}

var boontadataTables = []table{
	{name: "agg_events", cols: []column{
		{"window_time", "text", ck}, {"device_id", "text", pk}, {"category", "text", ck},
		{"m1_sum_ingest_sendtime", "bigint", reg}, {"m1_sum_ingest_devicetime", "bigint", reg},
		{"m1_sum_downstream", "bigint", reg},
		{"m2_sum_ingest_sendtime", "double", reg}, {"m2_sum_ingest_devicetime", "double", reg},
		{"m2_sum_downstream", "double", reg},
	}, key: "PRIMARY KEY (device_id, category, window_time)",
		options: "WITH CLUSTERING ORDER BY (category ASC, window_time ASC)"},
	{name: "raw_events", cols: []column{
		{"message_id", "text", pk}, {"device_id", "text", reg}, {"device_time", "timestamp", reg},
		{"send_time", "timestamp", ck}, {"category", "text", reg},
		{"measure1", "bigint", reg}, {"measure2", "double", reg},
	}, key: "PRIMARY KEY (message_id, send_time)"},
}

func (t table) create(ks string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", ks, t.name)
	for _, c := range t.cols {
		fmt.Fprintf(&b, "%s %s, ", c.name, c.typ)
	}
	b.WriteString(t.key + ")")
	if t.options != "" {
		b.WriteString(" " + t.options)
	}
	return b.String()
}

// check compares a table's existing columns (name → [type, kind]) with what we need.
func (t table) check(ks string, have map[string][2]string) []string {
	var out []string
	for _, c := range t.cols {
		got, ok := have[c.name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("table %s.%s lacks column %s (%s)", ks, t.name, c.name, c.typ))
		case got[0] != c.typ:
			out = append(out, fmt.Sprintf("table %s.%s column %s is %s, want %s", ks, t.name, c.name, got[0], c.typ))
		case got[1] != c.kind:
			out = append(out, fmt.Sprintf("table %s.%s column %s is a %s column, want %s", ks, t.name, c.name, got[1], c.kind))
		}
	}
	return out
}

// EnsureSchema creates what is missing (keyspaces with cfg.Replication, then
// tables) and checks what exists: every column we need must be present with
// the right type and kind (extra columns are fine). A mismatch is an error
// wrapping ErrSchema that names each table and column.
func (s *Store) EnsureSchema(ctx context.Context) error {
	if err := s.ensure(ctx, s.ks, ourTables); err != nil {
		return fmt.Errorf("cassandra: ensure schema: %w", err)
	}
	if s.cfg.Boontadata {
		if err := s.ensure(ctx, s.bks, boontadataTables); err != nil {
			return fmt.Errorf("cassandra: ensure schema: %w", err)
		}
	}
	return nil
}

func (s *Store) ensure(ctx context.Context, ks string, tables []table) error {
	var n int
	err := s.sess.Query("SELECT count(*) FROM system_schema.keyspaces WHERE keyspace_name = ?", ks).ScanContext(ctx, &n)
	if err != nil {
		return fmt.Errorf("keyspace %s: %w", ks, err)
	}
	if n == 0 {
		stmt := fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", ks, s.cfg.Replication)
		if err := s.sess.Query(stmt).ExecContext(ctx); err != nil {
			return fmt.Errorf("create keyspace %s: %w", ks, err)
		}
	}
	var problems []string
	for _, t := range tables {
		have, err := s.columns(ctx, ks, t.name)
		if err != nil {
			return err
		}
		if len(have) == 0 {
			if err := s.sess.Query(t.create(ks)).ExecContext(ctx); err != nil {
				return fmt.Errorf("create table %s.%s: %w", ks, t.name, err)
			}
			if err := s.sess.AwaitSchemaAgreement(ctx); err != nil {
				return fmt.Errorf("create table %s.%s: %w", ks, t.name, err)
			}
			// Check what is there now: another process may have won the race.
			if have, err = s.columns(ctx, ks, t.name); err != nil {
				return err
			}
		}
		problems = append(problems, t.check(ks, have)...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrSchema, strings.Join(problems, "; "))
	}
	return nil
}

// columns reads a table's columns from system_schema: name → [type, kind].
// An empty map means the table does not exist.
func (s *Store) columns(ctx context.Context, ks, tbl string) (map[string][2]string, error) {
	sc := s.sess.Query("SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
		ks, tbl).IterContext(ctx).Scanner()
	have := map[string][2]string{}
	var name, typ, kind string
	for sc.Next() {
		if err := sc.Scan(&name, &typ, &kind); err != nil {
			_ = sc.Err()
			return nil, fmt.Errorf("columns of %s.%s: %w", ks, tbl, err)
		}
		have[name] = [2]string{typ, kind}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s.%s: %w", ks, tbl, err)
	}
	return have, nil
}

// batchRows is the most rows in one unlogged batch; every batch holds
// rows of a single partition, which Cassandra applies as one mutation.
const batchRows = 100

// each runs f(ctx, i) for i in [0, n), at most limit at a time, and
// returns the first error. No goroutine outlives it.
func each(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := 0; i < n && gctx.Err() == nil; i++ {
		g.Go(func() error { return f(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// execBatch runs one unlogged batch of idempotent statements.
func (s *Store) execBatch(ctx context.Context, stmt string, args [][]any) error {
	b := s.sess.Batch(gocql.UnloggedBatch)
	b.Entries = make([]gocql.BatchEntry, len(args))
	for i, a := range args {
		b.Entries[i] = gocql.BatchEntry{Stmt: stmt, Args: a, Idempotent: true}
	}
	return b.ExecContext(ctx)
}
