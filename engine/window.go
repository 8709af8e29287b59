package engine

import "time"

// WindowEnd returns the end label of the tumbling window of size ms that
// holds t: floor(t/size)*size + size, flooring also before 1970 (SPEC §2).
// size must be positive.
func WindowEnd(t, size int64) int64 {
	q := t / size
	if t%size != 0 && t < 0 {
		q--
	}
	return q*size + size
}

// WindowLayout is how window labels are shown: UTC, second precision.
const WindowLayout = "2006-01-02 15:04:05"

// FormatWindow renders a window end (ms since the epoch) as YYYY-MM-DD HH:MM:SS UTC.
func FormatWindow(end int64) string {
	return time.UnixMilli(end).UTC().Format(WindowLayout)
}

// ParseWindow is the inverse of FormatWindow.
func ParseWindow(s string) (int64, error) {
	t, err := time.Parse(WindowLayout, s)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}
