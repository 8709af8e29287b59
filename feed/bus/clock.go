package bus

import (
	"fmt"
	"strconv"
	"strings"
)

// Clock is where time comes from (SPEC §2, §3).
type Clock uint8

const (
	// RealClock: send times are the wall clock and the injector paces
	// itself; the engine's arrival is its wall clock when it reads.
	RealClock Clock = iota
	// VirtualClock: send times are computed from a start instant and the
	// gaps, nothing sleeps (unless a speed is set), arrival is the record
	// timestamp, and a run is reproducible byte for byte.
	VirtualClock
)

func (c Clock) String() string {
	if c == VirtualClock {
		return "virtual"
	}
	return "real"
}

// ParseClock parses "real" or "virtual".
func ParseClock(s string) (Clock, error) {
	switch s {
	case "real":
		return RealClock, nil
	case "virtual":
		return VirtualClock, nil
	}
	return 0, fmt.Errorf("unknown clock %q (want real or virtual)", s)
}

// RunTag is the value of the run header for run number n of a session.
func RunTag(session string, n int) string { return fmt.Sprintf("%s/%d", session, n) }

// RunOf parses a run header: the run number, if the tag belongs to session.
func RunOf(tag, session string) (int, bool) {
	rest, ok := strings.CutPrefix(tag, session+"/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == rest // one spelling per run
}
