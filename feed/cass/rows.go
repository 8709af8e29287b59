package cass

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// ExternalRun is the run id under which results of external data are kept
// in our keyspace: events that carry no streamtop run tag (the original
// boontadata injector's, another producer's; SPEC §6). They are aggregated
// and judged like our own; `compare --run external` judges them.
const ExternalRun = "external"

// zoneOf resolves a window_time zone name: "" and "UTC" are UTC, "Local"
// is the host's zone, anything else an IANA name such as "Europe/Paris".
func zoneOf(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("cassandra: boontadata zone %q: %w", name, err)
	}
	return loc, nil
}

// formatWindowTime renders a window end as the original's window_time
// (YYYY-MM-DD HH:MM:SS on the wall clock of loc: the original's ingest.py
// used the host's local time). Ends the text form cannot carry exactly
// (sub-second, or beyond years 0–9999) are refused, never rounded.
func formatWindowTime(end int64, loc *time.Location) (string, error) {
	s := time.UnixMilli(end).In(loc).Format(engine.WindowLayout)
	if _, err := parseWindowTime(s, loc); err != nil || end%1000 != 0 {
		return "", fmt.Errorf("window end %d cannot be written exactly as window_time (%s in %s)", end, engine.WindowLayout, loc)
	}
	return s, nil
}

// parseWindowTime reads a window_time written on the wall clock of loc. Only
// the canonical text is accepted (what formatWindowTime writes: no fraction,
// no padding, no time that loc's clock skips), so one row never stands for
// two window ends. A wall time that loc's clock shows twice (the hour a
// daylight-saving change repeats) reads as one of the two, as the original,
// which wrote both the same, cannot tell them apart either.
func parseWindowTime(s string, loc *time.Location) (int64, error) {
	t, err := time.ParseInLocation(engine.WindowLayout, s, loc)
	if err != nil {
		return 0, err
	}
	if t.Format(engine.WindowLayout) != s {
		return 0, fmt.Errorf("not canonical (reads as %s)", t.Format(engine.WindowLayout))
	}
	end := t.UnixMilli()
	if end < -engine.MaxTime || end > engine.MaxTime {
		return 0, errors.New("out of range")
	}
	return end, nil
}

// aggEventRow is one row of the original's agg_events as read: the key's
// text columns and three column pairs (truth by send time, truth by device
// time, a downstream); nil is a null cell.
type aggEventRow struct {
	WindowTime, Device, Category string
	M1Send, M1Device, M1Down     *int64
	M2Send, M2Device, M2Down     *float64
}

// decode turns the row into the rows of each column pair that is set (its
// m1 not null; a null m2 reads as 0). Count is 0: the original has none.
func (a aggEventRow) decode(loc *time.Location) (bySend, byDevice, down *Row, err error) {
	end, err := parseWindowTime(a.WindowTime, loc)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("device_id=%q category=%q: window_time %q is not %s (%v)",
			a.Device, a.Category, a.WindowTime, engine.WindowLayout, err)
	}
	k := engine.Key{Device: a.Device, Category: a.Category, WindowEnd: end}
	return pairRow(k, a.M1Send, a.M2Send), pairRow(k, a.M1Device, a.M2Device), pairRow(k, a.M1Down, a.M2Down), nil
}

func pairRow(k engine.Key, m1 *int64, m2 *float64) *Row {
	if m1 == nil {
		return nil
	}
	r := &Row{Key: k, Agg: engine.Agg{M1: *m1}}
	if m2 != nil {
		r.Agg.M2 = *m2
	}
	return r
}

// pairValues are the bound values of one column pair's upsert: device_id,
// category, window_time, m1_sum_X, m2_sum_X.
func pairValues(r Row, loc *time.Location) ([]any, error) {
	wt, err := formatWindowTime(r.Key.WindowEnd, loc)
	if err != nil {
		return nil, err
	}
	return []any{r.Key.Device, r.Key.Category, wt, r.Agg.M1, r.Agg.M2}, nil
}
