package tui

import (
	"math"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/engine"
)

// Times on the screen are compact where room is short (the time of day)
// only while they fall in the year of the run's own clock: a time in
// another year (a future-dated event's watermark in 9999, a window before
// 1970) always shows its date, or it would pass for one of today's.

// fmtTime renders ms since the epoch in UTC as FormatWindow does, or only
// the time of day when short and in year (0: unknown, always the date).
// engine.None is "—".
func fmtTime(ms int64, short bool, year int) string {
	switch ms {
	case engine.None:
		return "—"
	case math.MaxInt64:
		return "end"
	}
	t := time.UnixMilli(ms).UTC()
	if short && t.Year() == year {
		return t.Format(time.TimeOnly)
	}
	return t.Format(engine.WindowLayout)
}

// fmtWallTime renders a wall-clock instant (a log entry's) in loc as the
// time of day, with its date when not in year.
func fmtWallTime(t time.Time, year int, loc *time.Location) string {
	if t.IsZero() {
		return "--:--:--"
	}
	t = t.In(loc)
	if t.Year() == year {
		return t.Format(time.TimeOnly)
	}
	return t.Format(engine.WindowLayout)
}

// clockYear is the year of the run's own clock, in which event times
// (watermarks, window ends, alerts) are shown compact: the injector's
// clock origin, else its clock, else the run's wall-clock start, else
// now's. 0 when nothing is known.
func clockYear(s bus.Snapshot, now time.Time) int {
	if in := s.Injector; in != nil {
		for _, ms := range []int64{in.Start, in.Clock} {
			if ms != engine.None && ms != 0 { // 0: not set
				return time.UnixMilli(ms).UTC().Year()
			}
		}
	}
	if s.Run != nil && !s.Run.Started.IsZero() {
		return s.Run.Started.UTC().Year()
	}
	return wallYear(s, now)
}

// wallYear is the year of the run's wall clock, in which log times are
// shown compact: now's (the frame's), else the run's start. 0 when unknown.
func wallYear(s bus.Snapshot, now time.Time) int {
	switch {
	case !now.IsZero():
		return now.UTC().Year()
	case s.Run != nil && !s.Run.Started.IsZero():
		return s.Run.Started.UTC().Year()
	}
	return 0
}

// fmtClock renders a duration as mm:ss or h:mm:ss.
func fmtClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	pad := func(v int64) string {
		if v < 10 {
			return "0" + itoa(v)
		}
		return itoa(v)
	}
	if h > 0 {
		return itoa(h) + ":" + pad(m) + ":" + pad(sec)
	}
	return pad(m) + ":" + pad(sec)
}
