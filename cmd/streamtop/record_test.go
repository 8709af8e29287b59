package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/feed/kafka"
)

// recordArgs: a small run with late events and duplicates (more of both
// than the defaults, so the round trip has something to get wrong).
var recordArgs = []string{"--seed", "34", "--devices", "3", "--events", "300", "--late", "0.05", "--dup", "0.1"}

// rawReport is a JSON report with its parts kept as written.
type rawReport map[string]json.RawMessage

func headlessJSON(t *testing.T, args ...string) (rawReport, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("streamtop %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errb.String())
	}
	var r rawReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	return r, errb.String()
}

// A recorded run replayed gives the recorded run's verdict: the same scores,
// pending count and exception rows (causes included), byte for byte. What
// may differ is inherent: the run's settings as given (--devices, --dup, …:
// the replay is given only the file) and the injector's late and
// out-of-order counters (the JSON-lines form carries no pattern word; a
// replay counts an event late only from one).
func TestRecordedRunReplaysToTheSameVerdict(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.jsonl")
	rec, _ := headlessJSON(t, append([]string{"--headless", "--clock", "virtual", "--report", "json", "--record", file}, recordArgs...)...)
	rep, _ := headlessJSON(t, "--headless", "--replay", file, "--report", "json")
	var score struct{ Exceptions, Keys int }
	if err := json.Unmarshal(rec["score"], &score); err != nil || score.Exceptions == 0 {
		t.Fatalf("recorded score %s (%v): want exceptions, or the round trip proves little", rec["score"], err)
	}
	for _, part := range []string{"final", "score", "send_time_score", "pending", "exceptions", "pending_rows", "summary", "downstream"} {
		if !bytes.Equal(rec[part], rep[part]) {
			t.Errorf("%s: recorded %.300s\nreplayed %.300s", part, rec[part], rep[part])
		}
	}
	var recInj, repInj map[string]any
	json.Unmarshal(rec["injector"], &recInj)
	json.Unmarshal(rep["injector"], &repInj)
	for _, k := range []string{"sent", "originals", "duplicates", "truth_keys", "send_truth_keys", "truth_differ"} {
		if recInj[k] != repInj[k] || recInj[k] == nil {
			t.Errorf("injector %s: recorded %v, replayed %v", k, recInj[k], repInj[k])
		}
	}
	if recInj["duplicates"] == 0.0 || recInj["late"] == 0.0 {
		t.Fatalf("recorded run: %v duplicates, %v late", recInj["duplicates"], recInj["late"])
	}
}

// `streamtop inject --record` writes the same file as the one-process run
// with the same injector settings.
func TestInjectRecordsWhatTheAppRecords(t *testing.T) {
	dir := t.TempDir()
	appFile, injFile := filepath.Join(dir, "app.jsonl"), filepath.Join(dir, "inject.jsonl")
	headlessJSON(t, append([]string{"--headless", "--clock", "virtual", "--report", "json", "--record", appFile}, recordArgs...)...)
	b, err := kafka.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	args := append([]string{"inject", "-b", b.Addr(), "--clock", "virtual", "--speed", "0", "--record", injFile}, recordArgs...)
	code, stdout, stderr := runCLI(args...)
	if code != exitOK {
		t.Fatalf("inject: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "recorded 972 events of run 0 to "+injFile) {
		t.Errorf("inject's log does not say what was recorded:\n%s", stderr)
	}
	want, err := os.ReadFile(appFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(injFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("inject recorded %d bytes, the app %d: want the same file", len(got), len(want))
	}
}

// A --record path that cannot be created is bad usage before anything
// starts (exit 2, the path named); so is the file being replayed.
func TestRecordPathIsCheckedBeforeTheRun(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "no such dir", "events.jsonl")
	for _, args := range [][]string{
		{"--headless", "--record", bad},
		{"inject", "-b", "127.0.0.1:1", "--record", bad},
	} {
		code, stdout, stderr := runCLI(args...)
		if code != exitUsage || !strings.Contains(stderr, "--record: open "+bad) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want exit 2 naming the path", args, code, stdout, stderr)
		}
	}
	replay := filepath.Join(t.TempDir(), "events.jsonl")
	line := `{"id":"d-0","di":"d","dt":1767225600000,"c":"cat-1","m1":1,"m2":1,"send":1767225600000}` + "\n"
	if err := os.WriteFile(replay, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("--headless", "--replay", replay, "--record", replay)
	if b, _ := os.ReadFile(replay); code != exitUsage || string(b) != line {
		t.Fatalf("--record the replayed file: exit %d (%s), file now %q", code, stderr, b)
	}
}

// A file that fills up is an error after the report (exit 1), not a panic
// nor a success.
func TestRecordWriteErrorFailsTheRun(t *testing.T) {
	var out, errb bytes.Buffer
	args := append([]string{"--headless", "--clock", "virtual", "--record", "/dev/full"}, recordArgs...)
	code := run(args, strings.NewReader(""), &out, &errb)
	if code != exitFailure || !strings.Contains(errb.String(), "record /dev/full: write /dev/full: no space left on device") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !strings.Contains(out.String(), "exceptions out of") {
		t.Fatalf("no report:\n%s", out.String())
	}
}

// The README's replay example works from a fresh clone: its exact command
// line, on the sample file shipped in docs/, ends with a verdict.
func TestReadmeReplayExampleRuns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const goRun = "go run ./cmd/streamtop "
	var example string
	for line := range strings.Lines(string(readme)) {
		if strings.HasPrefix(line, goRun) && strings.Contains(line, "--replay docs/sample-events.jsonl") {
			example = strings.TrimSpace(line)
		}
	}
	if example == "" {
		t.Fatal("README has no example replaying docs/sample-events.jsonl")
	}
	t.Chdir("../..") // where the README's commands run
	args := strings.Fields(strings.TrimPrefix(example, goRun))
	code, stdout, stderr := runCLI(args...)
	if code != exitOK || !strings.HasPrefix(stdout, "status,window_end,") || !strings.Contains(stderr, " exceptions out of ") {
		t.Fatalf("%s: exit %d\nstdout %s\nstderr %s", example, code, stdout, stderr)
	}
	var keys int
	if _, err := fmt.Sscanf(stderr[strings.Index(stderr, " exceptions out of ")+1:], "exceptions out of %d", &keys); err != nil || keys == 0 {
		t.Fatalf("verdict %q: want keys judged (%v)", stderr, err)
	}
}
