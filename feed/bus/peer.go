package bus

import "time"

// PeerState is where a peer process is in its life.
type PeerState uint8

const (
	PeerFetching PeerState = iota // downloading or building
	PeerStarting                  // launched, not consuming yet
	PeerReady                     // consuming
	PeerDone                      // a bounded run ended by itself
	PeerStopped                   // stopped by streamtop
	PeerFailed                    // could not start, or exited on its own with an error
)

func (s PeerState) String() string {
	switch s {
	case PeerFetching:
		return "fetching"
	case PeerStarting:
		return "starting"
	case PeerReady:
		return "running"
	case PeerDone:
		return "done"
	case PeerStopped:
		return "stopped"
	case PeerFailed:
		return "failed"
	}
	return "?"
}

// PeerStatus is one reference engine process (SPEC §9), as a screen shows it.
type PeerStatus struct {
	Name     string // flink, kstreams-eos, …
	Engine   string // what it is, with its version
	Output   string // the topic it writes
	State    PeerState
	Settings string   // what it says it runs with
	Cannot   []string // settings it says it cannot honour
	Started  time.Time
	ReadyIn  time.Duration // from launch to consuming; 0 until then
	PID      int
	CPU      time.Duration // user + system of its process tree
	RSS      int64         // bytes, its process tree, at the last look
	PeakRSS  int64         // the most RSS seen
	Exit     string        // how it ended, when it did
	Log      []string      // the tail of its log, printable
	Progress string        // while fetching
}
