package cass

import (
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has installed

	"github.com/streamtop/streamtop/engine"
)

// fuzzZones are the window_time zones the fuzz targets pick from: UTC, a
// fixed offset that is not whole hours, and two zones with daylight saving
// (one with a half-hour offset).
var fuzzZones = func() []*time.Location {
	out := []*time.Location{time.UTC, time.FixedZone("+05:30", 19800)}
	for _, name := range []string{"Europe/Paris", "America/St_Johns"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		out = append(out, loc)
	}
	return out
}()

func TestWindowTimeZone(t *testing.T) {
	paris := fuzzZones[2]
	end := time.Date(2026, 7, 1, 10, 0, 5, 0, time.UTC).UnixMilli()
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "2026-07-01 10:00:05"},
		{paris, "2026-07-01 12:00:05"}, // summer time: UTC+2, as ingest.py on a Paris host
		{fuzzZones[1], "2026-07-01 15:30:05"},
	} {
		got, err := formatWindowTime(end, tc.loc)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.loc, got, err, tc.want)
		}
		back, err := parseWindowTime(got, tc.loc)
		if err != nil || back != end {
			t.Errorf("%s: %q reads as %d, %v; want %d", tc.loc, got, back, err, end)
		}
	}
	if got, _ := formatWindowTime(end, time.UTC); got != engine.FormatWindow(end) {
		t.Errorf("UTC window_time %q differs from the window label %q", got, engine.FormatWindow(end))
	}
	// The hour Paris repeats (27 Oct 2024, 02:00–03:00 shown twice): both
	// instants write the same text, as the original did.
	first := time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC).UnixMilli() // 02:30 CEST
	second := first + time.Hour.Milliseconds()                          // 02:30 CET
	a, errA := formatWindowTime(first, paris)
	b, errB := formatWindowTime(second, paris)
	if errA != nil || errB != nil || a != b || a != "2024-10-27 02:30:00" {
		t.Errorf("repeated hour: %q %v, %q %v; want both 2024-10-27 02:30:00", a, errA, b, errB)
	}
	for _, bad := range []string{"2026-07-01 12:00:05.5", " 2026-07-01 12:00:05", "2026-7-01 12:00:05", "2026-03-29 02:30:00", "yesterday"} {
		if end, err := parseWindowTime(bad, paris); err == nil {
			t.Errorf("window_time %q read as %d in Paris, want an error (not the canonical text of any instant)", bad, end)
		}
	}
	if _, err := zoneOf("Mars/Olympus"); err == nil {
		t.Error("unknown zone accepted")
	}
}

// FuzzAggEventRow decodes one agg_events row as read from Cassandra
// (window_time text, key, one column pair whose cells may be null). It must
// never panic; a row that decodes must carry its cells unchanged, and
// writing it back (the upsert's bound values) must give the same cells.
func FuzzAggEventRow(f *testing.F) {
	f.Add("2026-01-01 00:00:05", "dev-1", "cat-1", int64(42), 1.5, uint8(0), uint8(0))
	f.Add("1969-12-31 23:59:55", "d", "c", int64(-1), -0.0, uint8(2), uint8(2))
	f.Add("2024-10-27 02:30:00", "d", "c", int64(math.MaxInt64), math.Inf(1), uint8(0), uint8(2))
	f.Add("2026-01-01 00:00:05.000", "", "", int64(0), math.NaN(), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, wt, device, category string, m1 int64, m2 float64, nulls, zone uint8) {
		loc := fuzzZones[int(zone)%len(fuzzZones)]
		a := aggEventRow{WindowTime: wt, Device: device, Category: category}
		if nulls&1 == 0 {
			a.M1Down = &m1
		}
		if nulls&2 == 0 {
			a.M2Down = &m2
		}
		send, dev, down, err := a.decode(loc)
		if send != nil || dev != nil {
			t.Fatalf("null truth pairs decoded as %+v, %+v", send, dev)
		}
		if err != nil {
			if down != nil || !strings.Contains(err.Error(), "window_time") {
				t.Fatalf("error %v (row %+v): want no row and an error naming window_time", err, down)
			}
			return
		}
		if (down == nil) != (a.M1Down == nil) {
			t.Fatalf("m1 null %v, row %+v", a.M1Down == nil, down)
		}
		if down == nil {
			return
		}
		wantM2 := 0.0
		if a.M2Down != nil {
			wantM2 = m2
		}
		if down.Key.Device != device || down.Key.Category != category || down.Agg.M1 != m1 ||
			math.Float64bits(down.Agg.M2) != math.Float64bits(wantM2) || down.Agg.Count != 0 || down.Incomplete {
			t.Fatalf("row %+v from cells %q %q %d %v", down, device, category, m1, wantM2)
		}
		vals, err := pairValues(*down, loc)
		if err != nil {
			t.Fatalf("%q decoded to window end %d, which cannot be written back: %v", wt, down.Key.WindowEnd, err)
		}
		if vals[0] != device || vals[1] != category || vals[2] != wt || vals[3] != m1 ||
			math.Float64bits(vals[4].(float64)) != math.Float64bits(wantM2) {
			t.Fatalf("written back as %v, read %q %q %q %d %v", vals, device, category, wt, m1, wantM2)
		}
	})
}

// FuzzWindowEnd writes a window end as window_time and reads it back: what
// is written reads back as the same end (in UTC exactly; with daylight
// saving, as an end that writes the same text), and in UTC exactly the
// whole-second ends in years 0–9999 are written.
func FuzzWindowEnd(f *testing.F) {
	f.Add(int64(1767225605000), uint8(0))
	f.Add(int64(-5000), uint8(1))
	f.Add(int64(1729989000000), uint8(2))
	f.Add(int64(253402300799000), uint8(3))
	f.Add(int64(1767225605500), uint8(0))
	f.Fuzz(func(t *testing.T, end int64, zone uint8) {
		loc := fuzzZones[int(zone)%len(fuzzZones)]
		s, err := formatWindowTime(end, loc)
		if loc == time.UTC {
			y := time.UnixMilli(end).UTC().Year()
			if want := end%1000 == 0 && y >= 0 && y <= 9999; want != (err == nil) {
				t.Fatalf("end %d (year %d): written %v (%v)", end, y, err == nil, err)
			}
		}
		if err != nil {
			return
		}
		back, err := parseWindowTime(s, loc)
		if err != nil {
			t.Fatalf("end %d written as %q, which does not read back: %v", end, s, err)
		}
		if loc == time.UTC && back != end {
			t.Fatalf("end %d written as %q reads as %d", end, s, back)
		}
		if again, err := formatWindowTime(back, loc); err != nil || again != s {
			t.Fatalf("end %d: %q reads as %d, which writes %q (%v)", end, s, back, again, err)
		}
	})
}
