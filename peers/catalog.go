// Package peers holds streamtop's reference jobs for real stream engines
// (SPEC §9) and knows how to fetch, build and launch them: the job sources
// and pinned dependency lists are embedded, so an installed binary needs no
// repository. Running and watching a peer process is feed/peerrun's job.
package peers

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

// files are the peers' sources and locks (the folders beside this file).
//
//go:embed */*
var files embed.FS

// Kind is how a peer is built and launched.
type Kind int

const (
	// Java: compiled with javac against its locked jars, run with java.
	Java Kind = iota
	// Python: a venv from its requirements lock, plus locked jars (Spark).
	Python
)

// Peer is one runnable reference job.
type Peer struct {
	Name   string   // what users type: flink, kstreams-eos, …
	Engine string   // what it is, with its pinned version
	Dir    string   // its folder here
	Kind   Kind     //
	Main   string   // Java main class, or the Python script
	Rates  bool     // the rate topology (SPEC §5), not windowed sums
	Args   []string // fixed arguments: a guarantee, a variant
	Heavy  bool     // a large download: opt-in in tests
	// NoPosition: it commits no read position to its consumer group, so
	// the embedded broker's backpressure cannot wait for it (Spark).
	NoPosition bool
	Teaches    string // for a variant: what it reproduces
}

// catalog lists every peer. Variants share a folder (and a build) with
// their engine's job.
var catalog = []Peer{
	{Name: "flink", Engine: "Apache Flink 2.2.1 DataStream", Dir: "flink", Main: "streamtop.peers.FlinkPeer"},
	{Name: "flink-chained", Engine: "Apache Flink 2.2.1 DataStream", Dir: "flink", Main: "streamtop.peers.FlinkPeer",
		Args:    []string{"--variant", "chained-processing-windows"},
		Teaches: "the 2017 processing-time job: two chained 5 s windows shift every key by one window"},
	{Name: "flink-no-idle", Engine: "Apache Flink 2.2.1 DataStream", Dir: "flink", Main: "streamtop.peers.FlinkPeer",
		Args:    []string{"--variant", "no-idle-fallback"},
		Teaches: "the 2017 event-time job: no idle fallback, the last window is never emitted"},
	{Name: "kstreams", Engine: "Kafka Streams 4.3.1 DSL, at-least-once", Dir: "kstreams", Main: "streamtop.peers.KStreamsPeer",
		Args: []string{"--guarantee", "at_least_once"}},
	{Name: "kstreams-eos", Engine: "Kafka Streams 4.3.1 DSL, exactly_once_v2", Dir: "kstreams", Main: "streamtop.peers.KStreamsPeer",
		Args: []string{"--guarantee", "exactly_once_v2"}},
	{Name: "spark", Engine: "Spark Structured Streaming 4.2.0 (pyspark)", Dir: "spark", Kind: Python, Main: "spark_peer.py", Heavy: true, NoPosition: true},
	{Name: "storm", Engine: "Apache Storm 2.8.3 rate topology", Dir: "storm", Main: "streamtop.peers.StormRatePeer", Rates: true},
}

// All returns the peers whose job is in this build, by name.
func All() []Peer {
	var out []Peer
	for _, p := range catalog {
		if p.present() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a peer by name; the error lists the names there are.
func Lookup(name string) (Peer, error) {
	for _, p := range All() {
		if p.Name == name {
			return p, nil
		}
	}
	var names []string
	for _, p := range All() {
		names = append(names, p.Name)
	}
	return Peer{}, fmt.Errorf("no peer named %q (there are: %s)", name, strings.Join(names, ", "))
}

// present: the job's main source is embedded.
func (p Peer) present() bool {
	_, err := files.Open(p.Dir + "/" + p.mainFile())
	return err == nil
}

func (p Peer) mainFile() string {
	if p.Kind == Python {
		return p.Main
	}
	return p.Main[strings.LastIndexByte(p.Main, '.')+1:] + ".java"
}

// Output is the peer's results topic for events topic names: aggregates.NAME.
func (p Peer) Output(results string) string { return results + "." + p.Name }

// Heavy reports whether the named peer is a large download (opt-in in
// tests), whether or not its job is in this build.
func Heavy(name string) bool {
	for _, p := range catalog {
		if p.Name == name {
			return p.Heavy
		}
	}
	return false
}
