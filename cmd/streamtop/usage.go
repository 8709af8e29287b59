package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// cmdText is what a command's help says about it.
type cmdText struct {
	use, short, long, example, group string
}

var commandText = map[string]cmdText{
	"": {use: "streamtop", short: "Run, watch and judge stream processing live", long: `streamtop — run, watch and judge stream processing live.

With no flags it runs everything in one process on an embedded Kafka-protocol broker: simulated IoT devices (with duplicates, late and out-of-order events) → Kafka → a windowing engine → a comparator judging it against the devices' own truth, plus a BTC→CNY rate pipeline, in a full-screen terminal UI. --headless runs to the end and prints the report.

Exit status: 0 done; 1 a failure; 2 bad usage; 3 --fail-on-exceptions and the score is not 0.

Keys in the terminal UI: d l o duplicates, late, out-of-order on/off · t engine time mode · u dedup on/off · [ ] watermark lag −/+ · + - injection rate · space pause/resume · r reset the run (y confirms) · tab shift+tab focus · ↑ ↓ j k g G move · / filter the focused list (regexp, ! inverts) · s S sort · enter a row in full · y Y copy · e export CSV/JSON · n next engine · f freeze · ? keys and what every figure means · q ctrl+c quit (the report follows).

Settings for every run can live in ~/.config/streamtop/config (name = value lines of long flags, [profile NAME] sections for --profile).`,
		example: `# the live demo in the terminal
streamtop
# run to the end and print the report
streamtop --headless --clock virtual -s 34 -e 1000 --engine event -l 10m
# every role in one process against a cluster
streamtop -b k1:9092 -c c1`},
	"inject": {use: "inject", group: "roles", short: "Simulated devices to the events topic, their truths to Cassandra",
		long:    `streamtop inject — simulated devices (or --replay FILE) to the events topic, their truths to Cassandra (--cassandra). Runs until the input ends, --duration passes, or SIGINT/SIGTERM/SIGHUP (then it flushes, marks the end of the input and records the truth as final).`,
		example: `streamtop inject -b k1:9092,k2:9092 -c c1,c2 -e 1000 -n 3`},
	"engine": {use: "engine", group: "roles", short: "The windowing engine as a Kafka consumer group member",
		long: `streamtop engine — the windowing engine as a Kafka consumer group member: several instances share the partitions. Results go to the aggregates topic and/or a Cassandra table. SIGINT/SIGTERM/SIGHUP emits open windows as incomplete, commits and leaves the group.`,
		example: `streamtop engine -b k1:9092 -g streamtop-engine -l 10m
streamtop engine -b k1:9092 -c c1 --results-to both`},
	"rates": {use: "rates", group: "roles", short: "The BTC→CNY rate pipeline between its four topics",
		long:    `streamtop rates — the BTC→CNY rate pipeline between its four topics: ticks in, rates, variations and alerts out (docs/semantics.md §5).`,
		example: `streamtop rates -b k1:9092 --source https://example.org/btc-cny.json --interval 10s`},
	"compare": {use: "compare", group: "roles", short: "Judge downstreams against the truth in Cassandra",
		long: `streamtop compare — judges one or more downstreams against the truth in Cassandra: "N exceptions out of M" each. Waits for the verdict to be final (or --timeout), or with --follow keeps judging live.`,
		example: `streamtop compare -b k1:9092 -c c1 -D topic:aggregates -D table:streamtop -o json --fail-on-exceptions
streamtop compare -b k1:9092 -c c1 --follow`},
	"watch": {use: "watch", group: "roles", short: "The terminal UI as a pure watcher of a distributed run",
		long:    `streamtop watch — the terminal UI as a pure watcher of a distributed run: every pane shows what it can observe from the topics and tables.`,
		example: `streamtop watch -b k1:9092 -c c1`},
	"bench": {use: "bench", group: "tools", short: "How fast streamtop is on this machine",
		long: `streamtop bench — how fast streamtop is on this machine: the engine alone against a naive aggregator, decoding against encoding/json, decode + engine against decoding alone, the whole pipeline in one process (injector → broker → engine → comparator, the screen attached and drawing to a counter) at --target events/s for --duration, and the screen idle and busy. Prints a table of events/s, time and allocations per event, CPU, resident size and latency, with the ratios and the targets met; --report json for machines. The embedded broker by default; --brokers for a real Kafka cluster (topics streamtop-bench-*, created and left for inspection).`,
		example: `streamtop bench --quick
streamtop bench -b k1:9092 --target 200000`},
}

// versionInfo is what the binary knows of its build.
type versionInfo struct {
	module, version, commit, goVersion string
	modified                           bool
}

// buildVersion reads the module version and VCS commit the binary was
// built from (runtime/debug.ReadBuildInfo).
func buildVersion() versionInfo {
	v := versionInfo{module: "github.com/streamtop/streamtop", version: "(devel)", goVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if info.Main.Path != "" {
		v.module = info.Main.Path
	}
	if info.Main.Version != "" {
		v.version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.commit = s.Value
		case "vcs.modified":
			v.modified = s.Value == "true"
		}
	}
	return v
}

// short is the version with the commit's first 12 digits.
func (v versionInfo) short() string {
	s := v.version
	if v.commit != "" {
		s += " (" + v.commit[:min(len(v.commit), 12)]
		if v.modified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

// newVersionCommand is `streamtop version`.
func newVersionCommand(s streams) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "The module version and VCS commit of this binary", Args: noArgs,
		GroupID: "tools",
		RunE: func(c *cobra.Command, _ []string) error {
			v := buildVersion()
			commit := v.commit
			if commit == "" {
				commit = "unknown (built without VCS stamping)"
			} else if v.modified {
				commit += " (modified)"
			}
			_, err := fmt.Fprintf(s.out, "streamtop %s\nmodule  %s\ncommit  %s\ngo      %s\n", v.version, v.module, commit, v.goVersion)
			return err
		}}
}
