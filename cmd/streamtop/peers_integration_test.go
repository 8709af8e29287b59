package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/peers"
)

// itPeers gates a test on the peers: with STREAMTOP_REQUIRE_PEERS (CI) a
// peer that cannot be fetched or started fails the test; otherwise it is
// skipped, saying why. Spark (a 0.5 GB download) runs only with
// STREAMTOP_PEERS_SPARK=1.
func itPeers(t *testing.T, e itEnv, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		if peers.Heavy(n) && os.Getenv("STREAMTOP_PEERS_SPARK") != "1" {
			t.Logf("peer %s skipped: a heavy download; set STREAMTOP_PEERS_SPARK=1 to run it", n)
			fmt.Fprintf(os.Stderr, "integration: peer %s SKIPPED (set STREAMTOP_PEERS_SPARK=1 to run it)\n", n)
			continue
		}
		if _, err := peers.Lookup(n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	_, errs, code := e.run(t, 15*time.Minute, "peers fetch", append([]string{"peers", "fetch"}, out...)...)
	if code != 0 {
		if os.Getenv("STREAMTOP_REQUIRE_PEERS") != "" {
			t.Fatalf("peers fetch %v: exit %d (STREAMTOP_REQUIRE_PEERS is set)\n%s", out, code, errs)
		}
		t.Skipf("peers fetch %v failed (exit %d): %s", out, code, tail(errs, 2000))
	}
	t.Logf("peers fetch: %s", strings.TrimSpace(tail(errs, 1000)))
	return out
}

// runPeer runs one peer --bounded over n's topics and expects it to finish
// by itself.
func (e itEnv) runPeer(t *testing.T, n itNames, name string, extra ...string) {
	t.Helper()
	start := time.Now()
	args := append([]string{"peers", "run", name, "--brokers", e.kafka, "--topic-events", n.events, "--topic-results", n.results, "--bounded"}, extra...)
	_, errs, code := e.run(t, 6*time.Minute, "peer "+name, args...)
	if code != 0 {
		t.Fatalf("peers run %s: exit %d\n%s", name, code, tail(errs, 4000))
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	t.Logf("peer %s %v in %v: %s", name, extra, time.Since(start).Round(100*time.Millisecond), lines[len(lines)-1])
}

// TestIntegrationPeersJudged: real engines beside ours on one 10 K-event
// virtual-clock run (seed 34, 10 devices, late, duplicate and
// out-of-order events): with lateness 10 min and dedup on, Flink and
// Kafka Streams (at-least-once and exactly_once_v2) are judged 0
// exceptions by `streamtop compare`, like our engine; at lateness 0 their
// scores are shown, never asserted (SPEC §9: they legitimately differ).
func TestIntegrationPeersJudged(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	names := itPeers(t, e, "flink", "kstreams", "kstreams-eos", "spark")
	n := newNames()
	e.dropKeyspaceAfter(t, n.keyspace)
	line, _ := e.itInject(t, n, 34, 10, 1000, "--speed", "0")
	if line.late == 0 || line.duplicates == 0 {
		t.Fatalf("the run has no late or duplicate events: it proves nothing (%+v)", line)
	}
	l0 := n
	l0.results = n.results + "l0"
	var downs, downsL0 []string
	for _, name := range names {
		e.runPeer(t, n, name, "--lateness", "10m")
		e.runPeer(t, l0, name, "--lateness", "0")
		downs = append(downs, "--downstream", "topic:"+n.results+"."+name)
		downsL0 = append(downsL0, "--downstream", "topic:"+l0.results+"."+name)
	}
	r := e.compareJSON(t, n, 0, append(downs, "--idle-final", "5s")...)
	if len(r.Downstreams) != len(names) {
		t.Fatalf("%d downstreams judged, want %d", len(r.Downstreams), len(names))
	}
	for _, d := range r.Downstreams {
		if !d.Final || d.Score.Exceptions != 0 || d.Score.Keys != line.truthKeys {
			t.Errorf("%s at lateness 10 min: final %v, %s, want 0 exceptions out of %d; e.g. %+v",
				d.Downstream, d.Final, d.Summary, line.truthKeys, d.Exceptions[:min(len(d.Exceptions), 3)])
		}
	}
	out, errs, code := e.run(t, 4*time.Minute, "compare lateness 0",
		e.compareArgs(n, append(downsL0, "--idle-final", "5s", "--report", "json")...)...)
	if code != 0 {
		t.Fatalf("compare at lateness 0: exit %d\n%s", code, errs)
	}
	var r0 itReport
	if err := json.Unmarshal([]byte(out), &r0); err != nil {
		t.Fatal(err)
	}
	for _, d := range r0.Downstreams {
		causes := map[string]int{}
		for _, x := range d.Exceptions {
			causes[strings.Fields(x.Cause + " ?")[0]]++
		}
		t.Logf("%s at lateness 0 (shown, not asserted): %s; causes %v", d.Downstream, d.Summary, causes)
	}
}

// TestIntegrationStormRatesJudged: the Storm rate topology over our rate
// pipeline's input, judged record by record against ours (SPEC §9).
func TestIntegrationStormRatesJudged(t *testing.T) {
	e := integration(t, false)
	itTimed(t)
	itPeers(t, e, "storm")
	n := newNames()
	topics := []string{"--partitions", "1", "--topic-rate-input", "ri" + n.suffix, "--topic-rate", "rr" + n.suffix,
		"--topic-gap", "rg" + n.suffix, "--topic-alert", "ra" + n.suffix}
	_, errs, code := e.run(t, 2*time.Minute, "rates", append([]string{"rates", "--brokers", e.kafka, "--interval", "20ms",
		"--duration", "8s"}, topics...)...)
	if code != 0 {
		t.Fatalf("rates: exit %d\n%s", code, errs)
	}
	_, errs, code = e.run(t, 6*time.Minute, "peer storm", append([]string{"peers", "run", "storm", "--brokers", e.kafka, "--bounded"}, topics...)...)
	if code != 0 {
		t.Fatalf("peers run storm: exit %d\n%s", code, tail(errs, 4000))
	}
	out, errs, code := e.run(t, 3*time.Minute, "compare rates", append([]string{"compare", "--brokers", e.kafka,
		"--downstream", "rates:storm", "--idle-final", "3s", "--report", "json", "--fail-on-exceptions"}, topics[2:]...)...)
	if code != 0 {
		t.Fatalf("compare rates: exit %d\n%s\n%s", code, out, errs)
	}
	var r struct {
		Rates []struct {
			Downstream  string `json:"downstream"`
			Records     int    `json:"records"`
			Differences int    `json:"differences"`
			Ours        [3]int `json:"ours"`
		} `json:"rates"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Rates) != 1 {
		t.Fatalf("report %q: %v", out, err)
	}
	v := r.Rates[0]
	if v.Differences != 0 || v.Ours[0] < 100 || v.Ours[2] == 0 {
		t.Fatalf("storm: %+v, want 0 differences over at least 100 rates and some alerts", v)
	}
	t.Logf("storm: 0 differences out of %d records (rate, variation, alert: %v)", v.Records, v.Ours)
}

// TestIntegrationPeersOneProcess: `streamtop --peer kstreams --peer flink`
// runs both beside our engine on the embedded broker and judges all three:
// at lateness 10 min every engine scores 0 exceptions out of the truth's
// keys, and nothing the run started is left running.
func TestIntegrationPeersOneProcess(t *testing.T) {
	e := itEnv{bin: itBinary(t)}
	itTimed(t)
	itPeers(t, e, "kstreams", "flink")
	out, errs, code := e.run(t, 6*time.Minute, "one process", "--headless", "--clock", "virtual", "--seed", "34",
		"--events", "300", "--devices", "5", "--lateness", "10m", "--peer", "kstreams", "--peer", "flink", "--report", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, tail(errs, 4000))
	}
	var r itReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if len(r.Downstreams) != 3 {
		t.Fatalf("%d verdicts, want ours, kstreams and flink: %s", len(r.Downstreams), out)
	}
	for _, d := range r.Downstreams {
		if !d.Final || d.Score.Exceptions != 0 || d.Score.Keys != r.Downstreams[0].Score.Keys || d.Score.Keys == 0 {
			t.Errorf("%s: final %v, %s; want 0 exceptions out of %d", d.Downstream, d.Final, d.Summary, r.Downstreams[0].Score.Keys)
		}
	}
	if pids, _ := exec.Command("pgrep", "-f", "streamtop.peers.(KStreams|Flink)Peer").Output(); len(pids) > 0 {
		t.Errorf("peer processes left running: %s", pids)
	}
}
