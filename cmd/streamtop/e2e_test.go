package main

import (
	"bytes"
	"context"
	"net"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/sim"

	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/streamtop/streamtop/engine"
)

// These tests run the whole program in process: the embedded Kafka-protocol
// broker (kfake), the injector producing with franz-go, the engine consuming
// and producing results, and the comparator consuming them.

type jsonReport struct {
	Score         jsonScore `json:"score"`
	SendTimeScore jsonScore `json:"send_time_score"`
	Pending       int       `json:"pending"`
	Exceptions    []jsonRow `json:"exceptions"`
	Summary       string    `json:"summary"`
	Injector      map[string]int64
	Engine        map[string]int64
}

func runJSON(t *testing.T, args ...string) jsonReport {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"--headless", "--clock", "virtual", "--report", "json"}, args...)
	if code := run(args, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("streamtop %v: exit %d\nstderr: %s", args, code, errb.String())
	}
	var r jsonReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	return r
}

// injected regenerates the events a headless run with these settings sends.
func injected(t *testing.T, seed int64, devices, events int) []sim.Sent {
	return generated(t, seed, devices, events, sim.StartInstant)
}

// lateKeys returns, per device-time key, the m1 sum of the late originals.
func lateKeys(sent []sim.Sent) map[engine.Key]int64 {
	out := map[engine.Key]int64{}
	for _, s := range sent {
		if s.Kind == sim.Original && s.Late {
			k := engine.Key{Device: s.Event.Device, Category: s.Event.Category, WindowEnd: engine.WindowEnd(s.Event.Time, 5000)}
			out[k] += s.Event.M1
		}
	}
	return out
}

func deref(p *int64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprint(*p)
}

func rowKey(r jsonRow) engine.Key {
	return engine.Key{Device: r.Device, Category: r.Category, WindowEnd: r.WindowEndMs}
}

func TestPipelineThreeCases(t *testing.T) {
	for _, devices := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d devices over 4 partitions", devices), func(t *testing.T) {
			sent := injected(t, 34, devices, 1000)
			late := lateKeys(sent)
			if len(late) == 0 {
				t.Fatal("the scenario has no late events: it proves nothing")
			}
			base := []string{"--seed", "34", "--events", "1000", "--devices", fmt.Sprint(devices), "--partitions", "4"}

			t.Run("event time, lateness 10m: no exception", func(t *testing.T) {
				r := runJSON(t, append(base, "--engine", "event", "--lateness", "10m")...)
				if r.Score.Keys == 0 || r.Score.Exceptions != 0 {
					t.Fatalf("score %+v, want 0 exceptions out of M > 0; rows %+v", r.Score, r.Exceptions)
				}
				if r.Summary != fmt.Sprintf("0 exceptions out of %d", r.Score.Keys) {
					t.Errorf("summary %q", r.Summary)
				}
				if r.Injector["originals"] != int64(1000*devices) {
					t.Errorf("originals %d, want %d", r.Injector["originals"], 1000*devices)
				}
			})

			t.Run("event time, lateness 0: exceptions exactly at late events' keys", func(t *testing.T) {
				r := runJSON(t, append(base, "--engine", "event")...)
				got := map[engine.Key]jsonRow{}
				for _, row := range r.Exceptions {
					k := rowKey(row)
					got[k] = row
					if _, ok := late[k]; !ok {
						t.Errorf("exception at %v, which holds no late event", k)
					}
				}
				for k, m1 := range late {
					row, ok := got[k]
					if m1 == 0 {
						continue
					}
					if !ok {
						t.Errorf("late events with m1 %d at %v: no exception", m1, k)
						continue
					}
					if row.M1Downstream != nil && *row.M1Truth-*row.M1Downstream != m1 {
						t.Errorf("%v: downstream short by %d, want the late events' m1 %d", k, *row.M1Truth-*row.M1Downstream, m1)
					}
				}
				if r.Score.Exceptions != len(got) || r.Score.Exceptions == 0 {
					t.Errorf("score %+v with %d rows", r.Score, len(got))
				}
			})

			t.Run("processing time: exceptions", func(t *testing.T) {
				r := runJSON(t, append(base, "--engine", "processing")...)
				if r.Score.Exceptions == 0 {
					t.Fatalf("processing time gave %+v: late events should land in their arrival windows", r.Score)
				}
			})
		})
	}
}

func TestHeadlessVirtualRunIsByteIdentical(t *testing.T) {
	// Long enough to span many producer batches and wall-clock ticks.
	args := []string{"--headless", "--clock", "virtual", "--seed", "7", "--events", "20000", "--devices", "3", "--ooo", "0.1", "--report", "json"}
	var first string
	for i := range 2 {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		both := out.String() + "\x00" + errb.String()
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, both)
		}
		if !strings.Contains(out.String(), "exceptions out of") || !strings.Contains(out.String(), `"consumed": 6`) {
			t.Fatalf("no score or no consumed count in the report:\n%s", out.String())
		}
		if i == 0 {
			first = both
		} else if both != first {
			t.Fatalf("two virtual-clock runs differ:\n--- first\n%s\n--- second\n%s", first, both)
		}
	}
}

func TestReplayBothFormsMatchGenerating(t *testing.T) {
	sent := injected(t, 34, 2, 500)
	dir := t.TempDir()
	var jsonl, printed, pipe []byte
	for _, s := range sent {
		jsonl = append(sim.AppendRecorded(jsonl, s), '\n')
		printed = append(sim.AppendPrinted(printed, s, false), '\n')
		pipe = append(sim.AppendPrinted(pipe, s, true), '\n')
	}
	files := map[string][]byte{"events.jsonl": jsonl, "printed.txt": printed, "pipe.txt": pipe}
	common := []string{"--engine", "event", "--devices", "2"}
	want := runJSON(t, append(common, "--seed", "34", "--events", "500")...)
	if want.Score.Exceptions == 0 {
		t.Fatal("the generated run has no exception: the comparison would prove little")
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			got := runJSON(t, append(common, "--replay", path)...)
			if got.Score != want.Score || got.SendTimeScore != want.SendTimeScore {
				t.Errorf("replay score %+v / %+v, generated %+v / %+v", got.Score, got.SendTimeScore, want.Score, want.SendTimeScore)
			}
			for _, k := range []string{"originals", "sent", "duplicates", "truth_keys", "send_truth_keys", "truth_differ"} {
				if got.Injector[k] != want.Injector[k] {
					t.Errorf("%s: replay %d, generated %d", k, got.Injector[k], want.Injector[k])
				}
			}
			if len(got.Exceptions) != len(want.Exceptions) {
				t.Fatalf("%d exception rows, generated %d", len(got.Exceptions), len(want.Exceptions))
			}
			for i := range got.Exceptions {
				g, w := got.Exceptions[i], want.Exceptions[i]
				if rowKey(g) != rowKey(w) || deref(g.M1Truth) != deref(w.M1Truth) || deref(g.M1Downstream) != deref(w.M1Downstream) {
					t.Errorf("row %d: replay %v %s/%s, generated %v %s/%s", i, rowKey(g), deref(g.M1Truth), deref(g.M1Downstream),
						rowKey(w), deref(w.M1Truth), deref(w.M1Downstream))
				}
			}
		})
	}
}

func TestTextReportEndsWithScore(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--headless", "--clock", "virtual", "--events", "200"}, strings.NewReader(""), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	var n, m int
	if _, err := fmt.Sscanf(last, "%d exceptions out of %d", &n, &m); err != nil || m == 0 {
		t.Fatalf("last line %q is not \"N exceptions out of M\"", last)
	}
}

func TestFailOnExceptionsExitStatus(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--headless", "--clock", "virtual", "--events", "1000", "--engine", "processing", "--fail-on-exceptions"},
		strings.NewReader(""), &out, &errb)
	if code != exitExceptions {
		t.Fatalf("exit %d, want %d (processing time has exceptions)\n%s%s", code, exitExceptions, out.String(), errb.String())
	}
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--dup", "2"}, {"--engine", "nope"}, {"--clock", "sundial"}, {"--devices", "0"}, {"--report", "xml"},
		{"--replay", "/does/not/exist"}, {"--window", "0s"}, {"--rate", "-1"}, {"extra"}, {"--no-such-flag"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), "streamtop:") {
			t.Errorf("%v: no clear message on stderr: %q", args, errb.String())
		}
	}
}

func TestHelpListsEveryFlagWithDefaults(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--help"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, f := range []string{"-seed", "-devices", "-events", "-rate", "-dup", "-late", "-ooo", "-engine", "-dedup",
		"-watermark", "-idle", "-lateness", "-window", "-partitions", "-clock", "-start", "-replay", "-duration",
		"-auto-stop", "-confirm-stop", "-listen", "-headless", "-report", "-fail-on-exceptions", "(default 34)", "(default 20)"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("--help does not mention %q", f)
		}
	}
}

func TestM2SumsAreBitIdenticalToTheTruth(t *testing.T) {
	// With a zero m2 tolerance, any floating-point drift between the
	// injector's and the engine's sums would be an exception.
	r := runJSON(t, "--events", "5000", "--devices", "3", "--lateness", "10m", "--m2-tolerance", "0")
	if r.Score.Exceptions != 0 || r.Score.Keys == 0 {
		t.Fatalf("score %+v with m2 judged exactly: %+v", r.Score, r.Exceptions)
	}
}

func TestStartupErrorsAreMessagesNotPanics(t *testing.T) {
	var out, errb bytes.Buffer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code := run([]string{"--headless", "--listen", ln.Addr().String()}, strings.NewReader(""), &out, &errb)
	if code != exitFailure || !strings.Contains(errb.String(), "streamtop: embedded broker") {
		t.Fatalf("port in use: exit %d, stderr %q", code, errb.String())
	}
	for _, bad := range []string{"bad", "127.0.0.1:99999", ":x"} {
		errb.Reset()
		if code := run([]string{"--listen", bad}, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("--listen %s: exit %d, stderr %q", bad, code, errb.String())
		}
	}
}

func TestResetJudgesTheNewRunAgainstItsOwnTruth(t *testing.T) {
	cfg := defaultAppConfig()
	if err := parseCommand([]string{"--headless", "--clock", "virtual", "--events", "500", "--devices", "2", "--lateness", "10m"}, &cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, nil, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	var g errgroup.Group
	if err := a.start(ctx, &g, false); err != nil {
		t.Fatal(err)
	}
	waitFinal := func(run int) *bus.CompareStatus {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if f := a.judge.Final(); f != nil && f.Run == run {
				return f
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no final verdict for run %d", run)
		return nil
	}
	first := waitFinal(0)
	if s := a.controls.Apply(bus.Reset); s.Run != 1 {
		t.Fatalf("reset gave run %d", s.Run)
	}
	second := waitFinal(1)

	// Run 1 draws new devices: its verdict covers exactly run 1's truth.
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events, gc.Run = 2, 500, 1
	g1, err := sim.NewGenerator(gc, sim.DefaultKnobs())
	if err != nil {
		t.Fatal(err)
	}
	truth, _ := sim.NewTruth(5*time.Second, false)
	for s, ok := g1.Next(); ok; s, ok = g1.Next() {
		truth.Add(s)
	}
	want := len(truth.ByDevice())
	if second.Report.Settled.Exceptions != 0 || second.Report.Settled.Keys != want {
		t.Errorf("run 1: %v, want 0 exceptions out of %d (its own keys only)", second.Report.Settled, want)
	}
	if first.Report.Settled.Exceptions != 0 || first.Report.Settled.Keys == 0 {
		t.Errorf("run 0: %v", first.Report.Settled)
	}
	cancel()
	if err := g.Wait(); err != nil {
		t.Errorf("roles: %v", err)
	}
}

func TestJSONReportEscapesTerminalControls(t *testing.T) {
	in := []byte("{\"device\":\"a\u0085b\u202ec\"}")
	got := escapeTerminalRunes(in)
	if string(got) != `{"device":"a\u0085b\u202ec"}` {
		t.Fatalf("got %s", got)
	}
	var v struct{ Device string }
	if err := json.Unmarshal(got, &v); err != nil || v.Device != "a\u0085b\u202ec" {
		t.Fatalf("escaped JSON does not mean the same: %q, %v", v.Device, err)
	}
}
