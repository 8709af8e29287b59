package tui

import (
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/compare"
)

// peerSnapshot is testSnapshot with two peers: flink running, judged with
// exceptions (some at our keys, some its own), and kstreams failed before
// any verdict.
func peerSnapshot() bus.Snapshot {
	snap := testSnapshot()
	flink := &bus.CompareStatus{
		Run: 1, Engine: "flink", Downstream: "flink (topic aggregates.flink)", ResultRate: 1.4,
		LatencyP50: 40 * time.Millisecond, LatencyP99: 1250 * time.Millisecond, LatencySamples: 100,
		Report: compare.Report{
			Settled:     compare.Score{Exceptions: 2, Keys: 80},
			Provisional: compare.Score{Exceptions: 3, Keys: 94},
			Pending:     14,
			Exceptions: []compare.Row{
				withCause(row(20*time.Second, "dev-19c4", "cat-2", 312, 301, true, true, true), "unexplained"),
				withCause(row(35*time.Second, "dev-7f3a", "cat-1", 455, 0, true, false, true), "missing"),
				// Open on both sides: counted, not listed in flink's table.
				func() compare.Row {
					r := row(65*time.Second, "dev-7f3a", "cat-4", 260, 250, true, true, false)
					r.DownFinal = false
					return r
				}(),
			},
		},
		SendTime: compare.Score{Exceptions: 20, Keys: 98},
		Horizon:  ms(55 * time.Second), Results: 84,
	}
	snap.PeerCompares = map[string]*bus.CompareStatus{"flink": flink}
	snap.Peers = map[string]*bus.PeerStatus{
		"flink": {Name: "flink", Engine: "Apache Flink 2.2.1", Output: "aggregates.flink", State: bus.PeerReady,
			Settings: "window 5s · W 1s · idle 6s · lateness 0s · dedup keyed state", Cannot: []string{"dedup outside a window"},
			Started: wallStart.Add(3 * time.Second), ReadyIn: 7200 * time.Millisecond, PID: 4242,
			CPU: 23400 * time.Millisecond, RSS: 412 << 20, PeakRSS: 440 << 20,
			Log: []string{"INFO  MiniCluster started", "INFO  Source: events (1/2) switched to RUNNING"}},
		"kstreams": {Name: "kstreams", Engine: "Kafka Streams 4.3.1", Output: "aggregates.kstreams", State: bus.PeerFailed,
			Settings: "window 5s · grace 0s · at-least-once", Started: wallStart.Add(3 * time.Second), PID: 4243,
			CPU: 3100 * time.Millisecond, PeakRSS: 301 << 20, Exit: "exited with status 1",
			Log: []string{"INFO  State transition from CREATED to REBALANCING",
				"ERROR org.apache.kafka.common.errors.TimeoutException: Timeout expired while fetching topic metadata", ""}},
	}
	return snap
}
