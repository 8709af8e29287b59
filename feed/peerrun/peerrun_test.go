package peerrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/peers"
)

func TestParseLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		k    lineKind
		rest string
	}{
		{"streamtop-peer ready", lineReady, ""},
		{"streamtop-peer done\r", lineDone, ""},
		{"streamtop-peer settings window=5000 dedup=true", lineSettings, "window=5000 dedup=true"},
		{"streamtop-peer cannot dedup outside a window", lineCannot, "dedup outside a window"},
		{"streamtop-peer readyish", lineLog, "streamtop-peer readyish"},
		{"INFO hello", lineLog, "INFO hello"},
	} {
		k, rest := parseLine(c.in)
		if k != c.k || rest != c.rest {
			t.Errorf("parseLine(%q) = %v %q, want %v %q", c.in, k, rest, c.k, c.rest)
		}
	}
}

func TestRingKeepsTheLastLines(t *testing.T) {
	r := newRing(3)
	if got := r.tail(5); len(got) != 0 {
		t.Fatalf("empty ring: %v", got)
	}
	for i := range 5 {
		r.add(strconv.Itoa(i))
	}
	if got := strings.Join(r.tail(5), ","); got != "2,3,4" {
		t.Fatalf("tail = %s", got)
	}
	if got := strings.Join(r.tail(2), ","); got != "3,4" {
		t.Fatalf("tail(2) = %s", got)
	}
}

// The tests below supervise real processes (sh), not engines: what is
// tested is the life of a child process, which no peer can be made to
// show on demand (exiting 3, ignoring SIGTERM).

func run(t *testing.T, ctx context.Context, script string, grace time.Duration) (*Process, error, *bus.Latest) {
	t.Helper()
	b := bus.NewBus()
	latest := b.Watch()
	p, err := New(Config{Peer: peers.Peer{Name: "sh", Engine: "a shell"}, Grace: grace,
		Launch: peers.Launch{Path: "/bin/sh", Args: []string{"-c", script}}}, Deps{Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Run(ctx), latest
}

func TestAPeerThatEndsItsRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	script := `echo "streamtop-peer settings window=5000 dedup=true"
echo "streamtop-peer cannot dedup outside a window"
echo "streamtop-peer ready"
echo "log line one" >&2
printf 'evil \033]0;title\007 line\n' >&2
i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done
echo "streamtop-peer done"`
	p, err, latest := run(t, ctx, script, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Ready():
	default:
		t.Fatal("never ready")
	}
	st := p.Status()
	if st.State != bus.PeerDone || st.Settings != "window=5000 dedup=true" || len(st.Cannot) != 1 || !strings.HasPrefix(st.Exit, "done") {
		t.Fatalf("status %+v", st)
	}
	if st.PeakRSS <= 0 {
		t.Errorf("no memory counted: %v", st.PeakRSS)
	}
	if st.CPU <= 0 {
		t.Errorf("no CPU counted for a busy loop: %v", st.CPU)
	}
	log := strings.Join(st.Log, "\n")
	if !strings.Contains(log, "log line one") || strings.ContainsRune(log, 0x1b) || strings.ContainsRune(log, 0x07) {
		t.Fatalf("log tail %q", log)
	}
	if snap := latest.Peek(); snap.Peers["sh"] == nil || snap.Peers["sh"].State != bus.PeerDone {
		t.Fatalf("bus: %+v", snap.Peers)
	}
}

func TestAPeerThatFailsSaysWhy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err, _ := run(t, ctx, `echo "Exception: no broker at h:1" >&2; exit 3`, time.Second)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "status 3") || !strings.Contains(err.Error(), "no broker at h:1") {
		t.Fatalf("err = %v", err)
	}
	if st := p.Status(); st.State != bus.PeerFailed {
		t.Fatalf("state %v", st.State)
	}
	_, err, _ = run(t, ctx, "", time.Second) // sh with no script exits 0 at once: fine
	if err != nil {
		t.Fatal(err)
	}
	b := bus.NewBus()
	q, _ := New(Config{Peer: peers.Peer{Name: "x"}, Launch: peers.Launch{Path: "/nonexistent/java"}}, Deps{Bus: b})
	if err := q.Run(ctx); !errors.Is(err, ErrFailed) || q.Status().State != bus.PeerFailed {
		t.Fatalf("missing binary: %v %v", err, q.Status().State)
	}
}

// Stopping reaches every process the peer started, even one that ignores
// SIGTERM: nothing is left running.
func TestStopLeavesNothingRunning(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	script := `trap '' TERM; sleep 1000 & echo $! > ` + pidFile + `; echo "streamtop-peer ready"; wait`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b := bus.NewBus()
	p, err := New(Config{Peer: peers.Peer{Name: "sh"}, Grace: 300 * time.Millisecond,
		Launch: peers.Launch{Path: "/bin/sh", Args: []string{"-c", script}}}, Deps{Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(rctx) }()
	select {
	case <-p.Ready():
	case <-ctx.Done():
		t.Fatal("never ready")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := p.Status()
	if st.State != bus.PeerStopped || !strings.Contains(st.Exit, "killed") {
		t.Fatalf("status %+v", st)
	}
	b2, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(string(b2)))
	for {
		// A killed child may linger as a zombie until init reaps it.
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("child %d still running: %s", child, stat)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A peer's read count: every record before its run's start counts, then
// what its group commits (never less than the run's start).
func TestPositionCountsFromTheSession(t *testing.T) {
	var p position
	p.newRun(map[int32]int64{0: 10, 1: 20})
	if p.Read() != 0 {
		t.Fatalf("at the session's start: %d", p.Read())
	}
	p.update(map[int32]int64{0: 15})
	if p.Read() != 5 {
		t.Fatalf("after 5 read on partition 0: %d", p.Read())
	}
	p.update(map[int32]int64{0: 3, 1: 25}) // a stale commit behind the start counts as the start
	if p.Read() != 5 {
		t.Fatalf("stale commit: %d", p.Read())
	}
	p.newRun(map[int32]int64{0: 40, 1: 30, 2: 7}) // a reset; partition 2 was added
	if p.Read() != 30+10+7 {
		t.Fatalf("run 2 starts: %d", p.Read())
	}
}
