package main

// Helpers of the integration tests (integration_test.go): the services'
// gating, the binary built once, role processes, kcat and CQL readers, and
// the expected aggregates computed from the generator.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// itEnv is what an integration test talks to.
type itEnv struct {
	kafka, cass string // host:port
	testenv     string // testenv/ (kafka.sh, cassandra.sh); "" when unset
	bin         string // the streamtop binary
	kcat        string
}

const itSkipMsg = "integration: set STREAMTOP_TESTENV_KAFKA and STREAMTOP_TESTENV_CASSANDRA (testenv/up.sh); CI runs these"

// itRequire skips (or, under STREAMTOP_REQUIRE_SERVICES, fails) when what
// the integration tests need is missing.
func itRequire(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("STREAMTOP_REQUIRE_SERVICES") != "" {
		t.Fatalf("missing %s (STREAMTOP_REQUIRE_SERVICES is set)", what)
	}
	t.Skip(itSkipMsg + " (missing: " + what + ")")
}

// integration gates a test on the services and returns its environment.
// faults: the test also needs testenv's scripts to stop and start them.
func integration(t *testing.T, faults bool) itEnv {
	t.Helper()
	e := itEnv{kafka: os.Getenv("STREAMTOP_TESTENV_KAFKA"), cass: os.Getenv("STREAMTOP_TESTENV_CASSANDRA"), testenv: os.Getenv("STREAMTOP_TESTENV")}
	if e.kafka == "" || e.cass == "" {
		itRequire(t, "STREAMTOP_TESTENV_KAFKA and STREAMTOP_TESTENV_CASSANDRA")
	}
	if faults {
		if e.testenv == "" || os.Getenv("STREAMTOP_TESTENV_DIR") == "" {
			itRequire(t, "STREAMTOP_TESTENV and STREAMTOP_TESTENV_DIR (fault tests stop and start the services)")
		}
	}
	k, err := exec.LookPath("kcat")
	if err != nil {
		itRequire(t, "kcat")
	}
	e.kcat = k
	e.bin = itBinary(t)
	return e
}

var (
	itBuildOnce sync.Once
	itBin       string
	itBuildErr  error
)

// itBinary builds streamtop once per test process, into a per-process
// path (another test process may be building a different tree at the same
// time); binaries of test processes that have ended are removed, so runs do
// not pile them up.
func itBinary(t *testing.T) string {
	t.Helper()
	itBuildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("streamtop-integration-%d", os.Getuid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			itBuildErr = err
			return
		}
		old, _ := filepath.Glob(filepath.Join(dir, "streamtop.*"))
		for _, f := range old {
			pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Ext(f), "."))
			if err == nil && syscall.Kill(pid, 0) != nil {
				os.Remove(f) // its test process is gone
			}
		}
		itBin = filepath.Join(dir, fmt.Sprintf("streamtop.%d", os.Getpid()))
		start := time.Now()
		out, err := exec.Command("go", "build", "-o", itBin, ".").CombinedOutput()
		if err != nil {
			itBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "integration: built %s in %v\n", itBin, time.Since(start).Round(time.Millisecond))
	})
	if itBuildErr != nil {
		t.Fatal(itBuildErr)
	}
	return itBin
}

// itNames are a test's own topics, group and keyspace.
type itNames struct{ suffix, events, results, group, keyspace string }

func newNames() itNames {
	s := fmt.Sprintf("%08x", rand.Uint32())
	return itNames{suffix: s, events: "ev" + s, results: "ag" + s, group: "g" + s, keyspace: "ks" + s}
}

// syncBuf is a goroutine-safe buffer.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one role running as its own process.
type proc struct {
	name     string
	args     []string
	cmd      *exec.Cmd
	stdout   syncBuf
	stderr   syncBuf
	started  time.Time
	done     chan struct{}
	exitCode int
	waitErr  error
}

// start runs the binary with args. The process is killed (SIGKILL) at the
// end of the test if it still runs; on failure its output is logged.
func (e itEnv) start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, args: args, done: make(chan struct{})}
	p.cmd = exec.Command(e.bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Stdin = nil
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	p.started = time.Now()
	go func() {
		p.waitErr = p.cmd.Wait()
		p.exitCode = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			errs := p.stderr.String()
			if i := strings.Index(errs, "SIGQUIT"); i >= 0 {
				errs = errs[:i] + "[goroutine dump cut]\n"
			}
			t.Logf("--- %s: streamtop %s\n--- stdout:\n%s--- stderr (tail):\n%s", name, strings.Join(args, " "),
				tail(p.stdout.String(), 3000), tail(errs, 3000))
		}
	})
	return p
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits for the exit and returns its status; after timeout it kills
// the process and fails the test.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.exitCode
	case <-time.After(timeout):
		p.quit() // where it hangs, in its stderr
		t.Fatalf("%s did not exit within %v (SIGQUIT, then killed)\nstdout:\n%s\nstderr:\n%s", p.name, timeout,
			tail(p.stdout.String(), 4000), tail(goroutines(p.stderr.String()), 8000))
		return -1
	}
}

// quit sends SIGQUIT (Go prints every goroutine to stderr and exits) and
// kills the process if it is still there 5 s later.
func (p *proc) quit() {
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// goroutines keeps, of a SIGQUIT dump in stderr, the goroutines that
// matter: ours and a consumer group's leave (stderr unchanged without one).
func goroutines(stderr string) string {
	i := strings.Index(stderr, "SIGQUIT")
	if i < 0 {
		return stderr
	}
	var keep []string
	for _, g := range strings.Split(stderr[i:], "\n\n") {
		if strings.Contains(g, "streamtop/feed") || strings.Contains(g, "streamtop/cmd") || strings.Contains(g, "LeaveGroup") || strings.Contains(g, "waitAndAddRebalance") {
			var fl []string
			for _, l := range strings.Split(g, "\n") {
				if !strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "runtime.") && !strings.HasPrefix(l, "sync.") {
					fl = append(fl, l)
				}
			}
			keep = append(keep, strings.Join(fl, "\n"))
		}
	}
	return stderr[:i] + "SIGQUIT goroutines (filtered):\n" + strings.Join(keep, "\n\n")
}

// stop sends SIGINT and expects a clean exit (status 0) within timeout, as
// the roles promise. A role that hangs is reported; it then gets a second
// SIGINT ("interrupt again to abort") and, if still there, SIGKILL. It
// reports whether the role exited cleanly.
func (p *proc) stop(t *testing.T, timeout time.Duration) bool {
	t.Helper()
	if !p.running() {
		t.Errorf("%s had already exited (status %d) before it was stopped\nstderr:\n%s", p.name, p.exitCode, tail(p.stderr.String(), 4000))
		return false
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		if p.exitCode != 0 {
			t.Errorf("%s: exit %d after SIGINT, want 0\nstderr:\n%s", p.name, p.exitCode, tail(p.stderr.String(), 4000))
		}
		return p.exitCode == 0
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	second := "a second SIGINT ended it"
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		second = "a second SIGINT did not end it either (SIGQUIT: goroutine dump in its stderr)"
		p.quit()
	}
	dump := goroutines(p.stderr.String())
	t.Errorf("BUG: %s did not exit within %v after SIGINT (hang); %s\nstderr:\n%s", p.name, timeout, second, tail(dump, 8000))
	return false
}

// waitFor polls until cond holds for the process's stderr, or fails.
func (p *proc) waitFor(t *testing.T, what string, timeout time.Duration, cond func(stderr string) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond(p.stderr.String()) {
		if !p.running() {
			t.Fatalf("%s exited (status %d) while waiting for %s\nstdout:\n%s\nstderr:\n%s", p.name, p.exitCode, what,
				p.stdout.String(), tail(p.stderr.String(), 4000))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s within %v\nstderr:\n%s", p.name, what, timeout, tail(p.stderr.String(), 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// run runs a role to its end.
func (e itEnv) run(t *testing.T, timeout time.Duration, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := e.start(t, name, args...)
	code = p.wait(t, timeout)
	return p.stdout.String(), p.stderr.String(), code
}

// engineArgs are the flags of an engine instance reading n's topics.
func (e itEnv) engineArgs(n itNames, extra ...string) []string {
	return append([]string{"engine", "--brokers", e.kafka, "--topic-events", n.events, "--topic-results", n.results,
		"--group", n.group, "--clock", "virtual"}, extra...)
}

// injectArgs are the flags of a virtual-clock injector of n.
func (e itEnv) injectArgs(n itNames, seed int64, devices, events int, extra ...string) []string {
	return append([]string{"inject", "--brokers", e.kafka, "--cassandra", e.cass, "--keyspace", n.keyspace,
		"--topic-events", n.events, "--clock", "virtual", "--seed", fmt.Sprint(seed), "--devices", fmt.Sprint(devices),
		"--events", fmt.Sprint(events)}, extra...)
}

// injectLine is the injector's one line of stdout.
type injectLine struct {
	tag                                    string
	sent, originals, duplicates, late, ooo int
	truthKeys, sendKeys                    int
}

var injectLineRE = regexp.MustCompile(`^run (\S+): (\d+) events sent to (\S+) \((\d+) originals, (\d+) duplicates, (\d+) late, (\d+) out of order\); truth: (\d+) keys by device time, (\d+) by send time\n$`)

func parseInjectLine(t *testing.T, stdout, topic string) injectLine {
	t.Helper()
	m := injectLineRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("inject stdout %q is not the one line \"run TAG: N events sent to …\"", stdout)
	}
	if m[3] != topic {
		t.Errorf("inject says it sent to %q, want %q", m[3], topic)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return injectLine{tag: m[1], sent: n(2), originals: n(4), duplicates: n(5), late: n(6), ooo: n(7), truthKeys: n(8), sendKeys: n(9)}
}

// itInject runs an injector to its end and checks its line against the
// generator's run with the same settings (the default virtual start).
func (e itEnv) itInject(t *testing.T, n itNames, seed int64, devices, events int, extra ...string) (injectLine, []sim.Sent) {
	t.Helper()
	out, errs, code := e.run(t, 3*time.Minute, "inject", e.injectArgs(n, seed, devices, events, extra...)...)
	if code != 0 {
		t.Fatalf("inject: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	line := parseInjectLine(t, out, n.events)
	return line, checkInjected(t, line, injected(t, seed, devices, events), devices*events)
}

// generated regenerates a run of --seed --devices --events --start start
// (default knobs).
func generated(t *testing.T, seed int64, devices, events int, start time.Time) []sim.Sent {
	t.Helper()
	gc := sim.DefaultGeneratorConfig()
	gc.Seed, gc.Devices, gc.Events, gc.Start = seed, devices, events, start.UnixMilli()
	g, err := sim.NewGenerator(gc, sim.DefaultKnobs())
	if err != nil {
		t.Fatal(err)
	}
	var out []sim.Sent
	for s, ok := g.Next(); ok; s, ok = g.Next() {
		out = append(out, s)
	}
	return out
}

// nowStart is a virtual clock origin of now (whole seconds), for the
// fault tests: their events must not be older than the broker's time
// retention (see TestIntegrationVirtualClockEventsOutliveRetention).
func nowStart() (time.Time, string) {
	s := time.Now().UTC().Truncate(time.Second)
	return s, s.Format(time.RFC3339)
}

// checkInjected compares the injector's counts with the generator's.
func checkInjected(t *testing.T, line injectLine, sent []sim.Sent, originals int) []sim.Sent {
	t.Helper()
	var late, dups int
	for _, s := range sent {
		if s.Kind == sim.Original && s.Late {
			late++
		}
		if s.Kind != sim.Original {
			dups++
		}
	}
	want := injectLine{tag: line.tag, sent: len(sent), originals: originals, duplicates: dups, late: late,
		truthKeys: len(expectedTruth(sent)), sendKeys: line.sendKeys, ooo: line.ooo}
	if line != want {
		t.Errorf("inject line %+v, want (from the generator) %+v", line, want)
	}
	return sent
}

// expectedTruth is the device-time truth of a generated run, computed here:
// originals only (duplicates repeat an id), 5 s windows.
func expectedTruth(sent []sim.Sent) map[engine.Key]engine.Agg {
	out := map[engine.Key]engine.Agg{}
	for _, s := range sent {
		if s.Kind != sim.Original {
			continue
		}
		ev := s.Event
		start := ev.Time - ((ev.Time%5000)+5000)%5000
		k := engine.Key{Device: ev.Device, Category: ev.Category, WindowEnd: start + 5000}
		a := out[k]
		a.M1 += ev.M1
		a.M2 += ev.M2
		a.Count++
		out[k] = a
	}
	return out
}

// --- compare ---

// The report's JSON is read into the types report.go writes it from
// (jsonScore, jsonRow, jsonDown; rowKey in e2e_test.go).

type itReport struct {
	Downstream  string     `json:"downstream"`
	Run         string     `json:"run"`
	Final       bool       `json:"final"`
	Downstreams []jsonDown `json:"downstreams"`
	Score       jsonScore  `json:"score"`
	Pending     int        `json:"pending"`
	Exceptions  []jsonRow  `json:"exceptions"`
	Summary     string     `json:"summary"`
}

// compareArgs are the flags of a comparator judging n.
func (e itEnv) compareArgs(n itNames, extra ...string) []string {
	return append([]string{"compare", "--brokers", e.kafka, "--cassandra", e.cass, "--keyspace", n.keyspace,
		"--topic-events", n.events, "--topic-results", n.results, "--timeout", "2m"}, extra...)
}

// compareJSON runs compare --report json and expects a final verdict
// (exit 0, or wantCode).
func (e itEnv) compareJSON(t *testing.T, n itNames, wantCode int, extra ...string) itReport {
	t.Helper()
	start := time.Now()
	out, errs, code := e.run(t, 3*time.Minute, "compare", e.compareArgs(n, append([]string{"--report", "json"}, extra...)...)...)
	if code != wantCode {
		t.Fatalf("compare %v: exit %d, want %d\nstdout: %s\nstderr: %s", extra, code, wantCode, tail(out, 4000), errs)
	}
	var r itReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("compare report is not JSON: %v\n%s", err, out)
	}
	if !r.Final {
		t.Errorf("compare %v: verdict not final (pending %d)", extra, r.Pending)
	}
	t.Logf("compare %v: %s (run %s, %v)", extra, r.Summary, r.Run, time.Since(start).Round(time.Millisecond))
	return r
}

// --- engines ---

var assignRE = regexp.MustCompile(`partitions \[([0-9 ]*)\] (assigned|revoked|lost)`)

// owned replays an engine's rebalance log lines: the partitions it owns now.
func owned(stderr string) map[int32]bool {
	own := map[int32]bool{}
	for _, m := range assignRE.FindAllStringSubmatch(stderr, -1) {
		for _, f := range strings.Fields(m[1]) {
			p, _ := strconv.Atoi(f)
			if m[2] == "assigned" {
				own[int32(p)] = true
			} else {
				delete(own, int32(p))
			}
		}
	}
	return own
}

// waitShared waits until the engines own disjoint, non-empty partition
// sets covering all n partitions.
func waitShared(t *testing.T, n int, timeout time.Duration, engines ...*proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		union := map[int32]int{}
		ok := true
		var sets []string
		for _, p := range engines {
			if !p.running() {
				t.Fatalf("%s exited (status %d)\nstderr:\n%s", p.name, p.exitCode, tail(p.stderr.String(), 4000))
			}
			own := owned(p.stderr.String())
			ok = ok && len(own) > 0
			for q := range own {
				union[int32(q)]++
			}
			sets = append(sets, fmt.Sprintf("%s %v", p.name, sortedParts(own)))
		}
		for _, c := range union {
			ok = ok && c == 1
		}
		if ok && len(union) == n {
			t.Logf("partitions shared: %s", strings.Join(sets, ", "))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engines do not share the %d partitions within %v: %s", n, timeout, strings.Join(sets, ", "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sortedParts(m map[int32]bool) []int32 {
	var out []int32
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// waitReady waits until the engine owns all n partitions, then one more
// second (its end-offset listing runs twice a second): an engine started
// before the injector, as a user would run them.
func waitReady(t *testing.T, p *proc, n int) {
	t.Helper()
	p.waitFor(t, fmt.Sprintf("all %d partitions assigned", n), 60*time.Second, func(s string) bool { return len(owned(s)) == n })
	time.Sleep(time.Second)
}

// engineSummary is an engine's stdout line after SIGINT.
type engineSummary struct{ events, accepted, dups, late, results int }

var engineLineRE = regexp.MustCompile(`(?m)^engine (\S+): (\d+) events, (\d+) accepted, (\d+) duplicates and (\d+) late dropped, (\d+) results$`)

func parseEngineLine(t *testing.T, p *proc) engineSummary {
	t.Helper()
	m := engineLineRE.FindStringSubmatch(p.stdout.String())
	if m == nil {
		if p.exitCode == 0 {
			t.Errorf("%s: stdout %q has no summary line \"engine NAME: N events, …\"", p.name, p.stdout.String())
		}
		return engineSummary{}
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return engineSummary{events: n(2), accepted: n(3), dups: n(4), late: n(5), results: n(6)}
}

// admin returns an admin client of the test cluster and a context for its
// calls, both closed when the test ends.
func (e itEnv) admin(t *testing.T) (*kadm.Client, context.Context) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return kadm.NewClient(cl), ctx
}

// dataPartitions lists the partitions of topic that hold records.
func (e itEnv) dataPartitions(t *testing.T, topic string) []int32 {
	t.Helper()
	adm, ctx := e.admin(t)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	var out []int32
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			out = append(out, o.Partition)
		}
	})
	slices.Sort(out)
	return out
}

// --- kcat ---

// kcatResult is one engine result read back with kcat.
type kcatResult struct {
	Key        string
	Run        string  // the streamtop-run header
	WindowEnd  int64   `json:"window_end"`
	Device     string  `json:"device"`
	Category   string  `json:"category"`
	M1         int64   `json:"m1_sum"`
	M2         float64 `json:"m2_sum"`
	Count      int64   `json:"count"`
	Engine     string  `json:"engine"`
	Incomplete bool    `json:"incomplete"`
}

// kcatResults reads the results topic with kcat, each partition up to the
// end offset it had when the read began (the engine keeps appending
// progress records), and returns, per key, the latest result (progress
// records skipped), and how many result records it read. run != "": only
// records of that run.
func (e itEnv) kcatResults(t *testing.T, topic, run string) (map[engine.Key]kcatResult, int) {
	t.Helper()
	adm, ctx := e.admin(t)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	latest := map[engine.Key]kcatResult{}
	records := 0
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s/%d: %v", topic, o.Partition, o.Err)
		}
		if o.Offset <= 0 {
			return
		}
		cmd := exec.CommandContext(ctx, e.kcat, "-b", e.kafka, "-C", "-t", topic, "-p", fmt.Sprint(o.Partition),
			"-o", "beginning", "-c", fmt.Sprint(o.Offset), "-e", "-q", "-f", `%p\t%o\t%k\t%h\t%s\n`)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kcat -C %s -p %d: %v\n%s", topic, o.Partition, err, errb.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			f := strings.SplitN(sc.Text(), "\t", 5)
			if len(f) != 5 {
				t.Fatalf("kcat line %q: want partition, offset, key, headers, value", sc.Text())
			}
			headers := map[string]string{}
			for _, h := range strings.Split(f[3], ",") {
				if k, v, ok := strings.Cut(h, "="); ok {
					headers[k] = v
				}
			}
			if _, ok := headers[kafka.HeaderProgress]; ok {
				continue
			}
			if run != "" && headers[kafka.HeaderRun] != run {
				continue
			}
			var r kcatResult
			if err := json.Unmarshal([]byte(f[4]), &r); err != nil {
				t.Fatalf("result %s/%s@%s value %q: %v", topic, f[0], f[1], f[4], err)
			}
			r.Key, r.Run = f[2], headers[kafka.HeaderRun]
			k := engine.Key{Device: r.Device, Category: r.Category, WindowEnd: r.WindowEnd}
			if r.Key != fmt.Sprintf("%s|%s|%d", r.Device, r.Category, r.WindowEnd) {
				t.Errorf("result key %q does not match its value %s", r.Key, f[4])
			}
			latest[k] = r // offset order within the partition; a key lives in one partition
			records++
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	})
	return latest, records
}

// kcatProduce writes lines "key\tvalue" to topic with kcat.
func (e itEnv) kcatProduce(t *testing.T, topic string, lines []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.kcat, "-b", e.kafka, "-P", "-t", topic, "-K", `\t`)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P %s: %v\n%s", topic, err, out)
	}
}

// --- Cassandra ---

// cql opens a session of the test's own (gocql), closed at the end.
func (e itEnv) cql(t *testing.T) *gocql.Session {
	t.Helper()
	cl := gocql.NewCluster(e.cass)
	cl.Consistency = gocql.One
	cl.Timeout = 20 * time.Second
	cl.ConnectTimeout = 10 * time.Second
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("CQL session to %s: %v", e.cass, err)
	}
	t.Cleanup(s.Close)
	return s
}

// dropKeyspaceAfter drops the test's keyspace when the test passed (a
// failing test keeps it for a look).
func (e itEnv) dropKeyspaceAfter(t *testing.T, ks string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("keyspace %s kept for inspection", ks)
			return
		}
		cl := gocql.NewCluster(e.cass)
		cl.Timeout = 30 * time.Second
		s, err := cl.CreateSession()
		if err != nil {
			t.Logf("drop keyspace %s: %v", ks, err)
			return
		}
		defer s.Close()
		if err := s.Query("DROP KEYSPACE IF EXISTS " + ks).Exec(); err != nil {
			t.Logf("drop keyspace %s: %v", ks, err)
		}
	})
}

// cqlTruth reads a run's device-time truth from our keyspace with CQL.
func cqlTruth(t *testing.T, s *gocql.Session, ks, run string) map[engine.Key]engine.Agg {
	t.Helper()
	it := s.Query("SELECT window_end, device, category, m1_sum, m2_sum, count FROM "+ks+".aggregates WHERE run = ? AND source = ?",
		run, cassandra.SourceTruthDevice).Iter()
	out := map[engine.Key]engine.Agg{}
	var (
		end       time.Time
		dev, cat  string
		m1, count int64
		m2        float64
	)
	for it.Scan(&end, &dev, &cat, &m1, &m2, &count) {
		out[engine.Key{Device: dev, Category: cat, WindowEnd: end.UnixMilli()}] = engine.Agg{M1: m1, M2: m2, Count: count}
	}
	if err := it.Close(); err != nil {
		t.Fatalf("truth of %s from %s.aggregates: %v", run, ks, err)
	}
	return out
}

func sameM2(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(a)) }

// checkNothingDoubleCounted: for every key, the downstream's latest result
// (read back with kcat) has the truth's count and m1 (and m2), no key is
// missing or extra, and the truth in Cassandra is the generator's.
// checkPacedRunClean checks a fault run of the paced scenario (seed 34, 3
// devices, pacedEvents each from start) after its injector ended: every
// event sent once, judged with 0 exceptions, nothing counted twice.
func (e itEnv) checkPacedRunClean(t *testing.T, n itNames, inj *proc, start time.Time) {
	t.Helper()
	line := parseInjectLine(t, inj.stdout.String(), n.events)
	sent := checkInjected(t, line, generated(t, 34, 3, pacedEvents, start), 3*pacedEvents)
	r := e.compareJSON(t, n, 0)
	if r.Score.Exceptions != 0 || r.Score.Keys != line.truthKeys {
		t.Errorf("score %+v, want 0 exceptions out of %d; rows %+v", r.Score, line.truthKeys, r.Exceptions)
	}
	e.checkNothingDoubleCounted(t, n, line.tag, sent)
}

func (e itEnv) checkNothingDoubleCounted(t *testing.T, n itNames, tag string, sent []sim.Sent) {
	t.Helper()
	want := expectedTruth(sent)
	truth := cqlTruth(t, e.cql(t), n.keyspace, tag)
	diffAggs(t, "Cassandra truth vs generator", truth, want)
	got, records := e.kcatResults(t, n.results, tag)
	down := map[engine.Key]engine.Agg{}
	for k, r := range got {
		if r.Incomplete {
			t.Errorf("%v: result marked incomplete", k)
		}
		down[k] = engine.Agg{M1: r.M1, M2: r.M2, Count: r.Count}
	}
	if diffAggs(t, "downstream (kcat, latest per key) vs truth", down, truth) {
		t.Logf("%d keys, %d result records on %s: every key's count and m1 equal the truth's", len(down), records, n.results)
	}
	if starts := e.startOffsets(t, n.events); len(starts) > 0 {
		t.Logf("note: the broker deleted the start of %s (log start offsets %v): see TestIntegrationVirtualClockEventsOutliveRetention", n.events, starts)
	}
}

// startOffsets returns the partitions of topic whose log no longer starts
// at 0, with their start offsets.
func (e itEnv) startOffsets(t *testing.T, topic string) map[int32]int64 {
	t.Helper()
	adm, ctx := e.admin(t)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("start offsets of %s: %v", topic, err)
	}
	out := map[int32]int64{}
	starts.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			out[o.Partition] = o.Offset
		}
	})
	return out
}

// topicConfig returns a topic's effective config value.
func (e itEnv) topicConfig(t *testing.T, topic, key string) string {
	t.Helper()
	adm, ctx := e.admin(t)
	rc, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatalf("describe configs of %s: %v", topic, err)
	}
	c, err := rc.On(topic, nil)
	if err != nil || c.Err != nil {
		t.Fatalf("describe configs of %s: %v %v", topic, err, c.Err)
	}
	for _, kv := range c.Configs {
		if kv.Key == key && kv.Value != nil {
			return *kv.Value
		}
	}
	t.Fatalf("topic %s has no config %s", topic, key)
	return ""
}

func diffAggs(t *testing.T, what string, got, want map[engine.Key]engine.Agg) bool {
	t.Helper()
	var bad []string
	keys := map[engine.Key]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []engine.Key
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Compare(sorted[j]) < 0 })
	for _, k := range sorted {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			bad = append(bad, fmt.Sprintf("%v: missing (want %+v)", k, w))
		case !wok:
			bad = append(bad, fmt.Sprintf("%v: extra %+v", k, g))
		case g.Count != w.Count || g.M1 != w.M1 || !sameM2(g.M2, w.M2):
			bad = append(bad, fmt.Sprintf("%v: %+v, want %+v", k, g, w))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s: %d of %d keys differ:\n  %s", what, len(bad), len(keys), strings.Join(bad[:min(len(bad), 30)], "\n  "))
	}
	if len(want) == 0 {
		t.Errorf("%s: nothing expected: the check proves nothing", what)
	}
	return len(bad) == 0 && len(want) > 0
}

// testenvScript runs $STREAMTOP_TESTENV/<script> args and returns its output.
func (e itEnv) testenvScript(t *testing.T, script string, args ...string) string {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(e.testenv, script), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", script, args, err, out)
	}
	t.Logf("%s %s: %v", script, strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	return string(out)
}

// runScript runs a testenv script without failing the test (for cleanups).
func runScript(dir, script string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(dir, script), args...).CombinedOutput()
	return string(out), err
}
