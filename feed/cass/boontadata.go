package cass

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// The original's truth column pairs in agg_events.
const (
	deviceSuffix = "ingest_devicetime"
	sendSuffix   = "ingest_sendtime"
)

// DefaultSuffix is the downstream column pair the original's compare.py
// reads (m1_sum_downstream, m2_sum_downstream).
const DefaultSuffix = "downstream"

func checkSuffix(suffix string) error {
	if !suffixRE.MatchString(suffix) {
		return fmt.Errorf("column suffix %q: want a lower-case letter then up to 40 of a-z, 0-9, _", suffix)
	}
	return nil
}

// checkPair fails with ErrSchema unless agg_events has m1_sum_<suffix>
// bigint and m2_sum_<suffix> double. It never alters the table.
func (s *Store) checkPair(ctx context.Context, suffix string) error {
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	have, err := s.columns(ctx, s.bks, "agg_events")
	if err != nil {
		return err
	}
	if len(have) == 0 {
		return fmt.Errorf("%w: table %s.agg_events does not exist", ErrSchema, s.bks)
	}
	t := table{name: "agg_events", cols: []column{{"m1_sum_" + suffix, "bigint", reg}, {"m2_sum_" + suffix, "double", reg}}}
	if p := t.check(s.bks, have); len(p) > 0 {
		return fmt.Errorf("%w: %s (streamtop does not add columns to the original's table; use ALTER TABLE)", ErrSchema, p[0])
	}
	return nil
}

// upsertPair writes the m1_sum_<suffix>/m2_sum_<suffix> pair of each row:
// an upsert of those columns only, in single-partition (device) batches.
func (s *Store) upsertPair(ctx context.Context, suffix string, rows []Row) error {
	rows = lastPerKey(rows)
	byDevice := map[string][]Row{}
	for _, r := range rows {
		byDevice[r.Key.Device] = append(byDevice[r.Key.Device], r)
	}
	var chunks [][]Row
	for _, d := range slices.Sorted(maps.Keys(byDevice)) {
		rs := byDevice[d]
		for len(rs) > 0 {
			n := min(len(rs), batchRows)
			chunks = append(chunks, rs[:n])
			rs = rs[n:]
		}
	}
	stmt := fmt.Sprintf("INSERT INTO %s.agg_events (device_id, category, window_time, m1_sum_%s, m2_sum_%s) VALUES (?, ?, ?, ?, ?)",
		s.bks, suffix, suffix)
	return each(ctx, len(chunks), 8, func(ctx context.Context, i int) error {
		args := make([][]any, len(chunks[i]))
		for j, r := range chunks[i] {
			a, err := pairValues(r, s.zone)
			if err != nil {
				return err
			}
			args[j] = a
		}
		return s.execBatch(ctx, stmt, args)
	})
}

// UpsertBoontadataTruth writes the device-time and send-time truths into
// the original's agg_events (the *_ingest_devicetime and *_ingest_sendtime
// columns). Count and Incomplete have no place there and are dropped.
func (s *Store) UpsertBoontadataTruth(ctx context.Context, byDevice, bySend []Row) error {
	if err := s.upsertPair(ctx, deviceSuffix, byDevice); err != nil {
		return fmt.Errorf("cassandra: upsert boontadata truth by device time: %w", err)
	}
	if err := s.upsertPair(ctx, sendSuffix, bySend); err != nil {
		return fmt.Errorf("cassandra: upsert boontadata truth by send time: %w", err)
	}
	return nil
}

// UpsertBoontadataDownstream writes an engine's results into the
// m1_sum_<suffix>/m2_sum_<suffix> columns of agg_events (suffix
// DefaultSuffix for compare.py). ErrSchema when those columns do not exist.
func (s *Store) UpsertBoontadataDownstream(ctx context.Context, suffix string, rows []Row) error {
	if err := s.checkPair(ctx, suffix); err != nil {
		return fmt.Errorf("cassandra: upsert boontadata downstream: %w", err)
	}
	if err := s.upsertPair(ctx, suffix, rows); err != nil {
		return fmt.Errorf("cassandra: upsert boontadata downstream %s: %w", suffix, err)
	}
	return nil
}

// Boontadata reads the whole agg_events table: the device-time truth (rows
// whose m1_sum_ingest_devicetime is set), the send-time truth, and the
// m1_sum_<suffix>/m2_sum_<suffix> results. Count is 0 (the original has
// none); each slice is sorted by key. window_time is read on the wall clock
// of Config.BoontadataZone. A row that does not decode (a window_time that
// does not parse, say) is skipped and counted, naming the row: one bad row
// written by another program never fails the whole read.
func (s *Store) Boontadata(ctx context.Context, suffix string) (BoontadataRows, error) {
	var out BoontadataRows
	if err := s.checkPair(ctx, suffix); err != nil {
		return out, fmt.Errorf("cassandra: boontadata: %w", err)
	}
	stmt := fmt.Sprintf("SELECT window_time, device_id, category, m1_sum_%[2]s, m1_sum_%[3]s, m1_sum_%[4]s, m2_sum_%[2]s, m2_sum_%[3]s, m2_sum_%[4]s FROM %[1]s.agg_events",
		s.bks, sendSuffix, deviceSuffix, suffix)
	sc := s.sess.Query(stmt).PageSize(5000).IterContext(ctx).Scanner()
	var a aggEventRow
	for sc.Next() {
		if err := sc.Scan(&a.WindowTime, &a.Device, &a.Category, &a.M1Send, &a.M1Device, &a.M1Down, &a.M2Send, &a.M2Device, &a.M2Down); err != nil {
			_ = sc.Err()
			return BoontadataRows{}, fmt.Errorf("cassandra: boontadata: %w", err)
		}
		send, dev, x, err := a.decode(s.zone)
		if err != nil {
			out.Skipped++
			out.Problem = fmt.Sprintf("%s.agg_events row %v skipped", s.bks, err)
			continue
		}
		out.ByDevice, out.BySend, out.Down = appendRow(out.ByDevice, dev), appendRow(out.BySend, send), appendRow(out.Down, x)
	}
	if err := sc.Err(); err != nil {
		return BoontadataRows{}, fmt.Errorf("cassandra: boontadata: %w", err)
	}
	for _, rs := range [][]Row{out.ByDevice, out.BySend, out.Down} {
		slices.SortFunc(rs, compareRows)
	}
	return out, nil
}

// BoontadataRows is one read of the original's agg_events.
type BoontadataRows struct {
	ByDevice, BySend, Down []Row
	Skipped                int    // rows that did not decode: counted, not judged
	Problem                string // the last such row, and why
}

func appendRow(rows []Row, r *Row) []Row {
	if r == nil {
		return rows
	}
	return append(rows, *r)
}

// RawEvent is one row of the original's raw_events: an event as sent.
// Times are ms since the epoch.
type RawEvent struct {
	ID, Device           string
	DeviceTime, SendTime int64
	Category             string
	M1                   int64
	M2                   float64
}

// UpsertRawEvents writes events to the original's raw_events, one row per
// (id, send time), so a duplicate sent again is its own row as in the
// original. Each event is its own partition: concurrent single inserts.
func (s *Store) UpsertRawEvents(ctx context.Context, events []RawEvent) error {
	for _, e := range events {
		if e.ID == "" {
			return errors.New("cassandra: upsert raw events: an event has an empty id")
		}
	}
	stmt := fmt.Sprintf("INSERT INTO %s.raw_events (message_id, device_id, device_time, send_time, category, measure1, measure2) VALUES (?, ?, ?, ?, ?, ?, ?)", s.bks)
	err := each(ctx, len(events), 32, func(ctx context.Context, i int) error {
		e := events[i]
		return s.sess.Query(stmt, e.ID, e.Device, e.DeviceTime, e.SendTime, e.Category, e.M1, e.M2).
			Idempotent(true).ExecContext(ctx)
	})
	if err != nil {
		return fmt.Errorf("cassandra: upsert raw events: %w", err)
	}
	return nil
}
