package engine_test

import (
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// t0 is 2026-01-01T00:00:00Z, the virtual clock's default start; it is a
// multiple of 5 s, so it is itself a window boundary.
const t0 int64 = 1767225600000

func TestWindowEnd(t *testing.T) {
	tests := []struct {
		t, size, want int64
	}{
		{0, 5000, 5000},
		{1, 5000, 5000},
		{4999, 5000, 5000},
		{5000, 5000, 10000}, // a boundary belongs to the window that starts there
		{5001, 5000, 10000},
		{9999, 5000, 10000},
		{10000, 5000, 15000},
		{t0, 5000, t0 + 5000},
		{t0 + 4999, 5000, t0 + 5000},
		{t0 + 5000, 5000, t0 + 10000},
		{t0 - 1, 5000, t0},
		// Before 1970: floor, not truncation.
		{-1, 5000, 0},
		{-4999, 5000, 0},
		{-5000, 5000, 0},
		{-5001, 5000, -5000},
		{-9999, 5000, -5000},
		{-10000, 5000, -5000},
		{-10001, 5000, -10000},
		// Other sizes.
		{7, 1, 8},
		{-7, 1, -6},
		{59999, 60000, 60000},
		{60000, 60000, 120000},
		{-1, 60000, 0},
		{-60001, 60000, -60000},
	}
	for _, tc := range tests {
		if got := engine.WindowEnd(tc.t, tc.size); got != tc.want {
			t.Errorf("WindowEnd(%d, %d) = %d, want %d", tc.t, tc.size, got, tc.want)
		}
	}
	// Exhaustive property over a range crossing the epoch: t is in
	// [end-size, end) and end is a multiple of size.
	for _, size := range []int64{1, 3, 1000, 5000} {
		for ts := -3*size - 7; ts <= 3*size+7; ts++ {
			end := engine.WindowEnd(ts, size)
			if end%size != 0 || !(end-size <= ts && ts < end) {
				t.Fatalf("WindowEnd(%d, %d) = %d: not the window holding t", ts, size, end)
			}
		}
	}
}

func TestFormatAndParseWindow(t *testing.T) {
	tests := []struct {
		end  int64
		want string
	}{
		{0, "1970-01-01 00:00:00"},
		{5000, "1970-01-01 00:00:05"},
		{-5000, "1969-12-31 23:59:55"},
		{-10000, "1969-12-31 23:59:50"},
		{t0, "2026-01-01 00:00:00"},
		{t0 + 5000, "2026-01-01 00:00:05"},
		{t0 - 5000, "2025-12-31 23:59:55"},
		{1709210405000, "2024-02-29 12:40:05"},
	}
	for _, tc := range tests {
		if got := engine.FormatWindow(tc.end); got != tc.want {
			t.Errorf("FormatWindow(%d) = %q, want %q", tc.end, got, tc.want)
		}
		back, err := engine.ParseWindow(tc.want)
		if err != nil {
			t.Errorf("ParseWindow(%q) error: %v", tc.want, err)
			continue
		}
		if back != tc.end {
			t.Errorf("ParseWindow(%q) = %d, want %d", tc.want, back, tc.end)
		}
	}
	for _, bad := range []string{"", "2026-01-01", "2026-01-01T00:00:05Z", "2026-13-01 00:00:00", "yesterday", "1767225605000"} {
		if v, err := engine.ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) = %d, want an error", bad, v)
		}
	}
	// FormatWindow(WindowEnd(t)) for a pre-1970 time.
	if got := engine.FormatWindow(engine.WindowEnd(-5001, 5000)); got != "1969-12-31 23:59:55" {
		t.Errorf("FormatWindow(WindowEnd(-5001)) = %q", got)
	}
}
