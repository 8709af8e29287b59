package enginerun

import (
	"context"
	"runtime/debug"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
)

// The tuner sets GOGC 100 while twice the live heap fits an eighth of the
// memory, goes back to the process's percent when it does not, looks at
// most once a second, and restores the process's percent when done.
func TestGCTunerFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOGC", "") // as the role runs without it
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	const memory = 8 << 30 // budget 1 GiB: GOGC 100 up to 512 MiB live
	g := newGCTuner(memory)
	if g == nil {
		t.Fatal("no tuner at GOGC 25")
	}
	live := uint64(100 << 20)
	g.live = func() uint64 { return live }
	percent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	t0 := time.Unix(1000, 0)
	g.tune(t0)
	if p := percent(); p != 100 {
		t.Fatalf("100 MiB live of 8 GiB: GOGC %d, want 100", p)
	}
	live = 600 << 20
	g.tune(t0.Add(gcTuneEvery / 2))
	if p := percent(); p != 100 {
		t.Fatalf("looked again within %v: GOGC %d", gcTuneEvery, p)
	}
	g.tune(t0.Add(gcTuneEvery))
	if p := percent(); p != 25 {
		t.Fatalf("600 MiB live of 8 GiB: GOGC %d, want the process's 25", p)
	}
	live = 512 << 20
	g.tune(t0.Add(2 * gcTuneEvery))
	if p := percent(); p != 100 {
		t.Fatalf("512 MiB live of 8 GiB: GOGC %d, want 100", p)
	}
	g.restore()
	if p := percent(); p != 25 {
		t.Fatalf("restored: GOGC %d, want 25", p)
	}
}

// No tuner when the user set GOGC, when the collector is already as lax,
// or when the memory is unknown.
func TestGCTunerLeavesUserSettingsAlone(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	t.Setenv("GOGC", "50")
	if newGCTuner(8<<30) != nil {
		t.Error("a tuner although GOGC was set")
	}
	t.Setenv("GOGC", "")
	if newGCTuner(0) != nil {
		t.Error("a tuner for unknown memory")
	}
	debug.SetGCPercent(200)
	if newGCTuner(8<<30) != nil {
		t.Error("a tuner at GOGC 200")
	}
	var none *gcTuner
	none.tune(time.Now()) // a nil tuner does nothing
	none.restore()
}

// The machine's memory is read (this runs on Linux, as the role does).
func TestMachineMemoryIsKnown(t *testing.T) {
	if m := machineMemory(); m < 64<<20 {
		t.Fatalf("machine memory %d bytes", m)
	}
}

// A runner with TuneGC tunes the collector while it runs (its heap is
// small) and puts the process's percent back when it stops.
func TestRunnerTunesTheCollectorWhileItRuns(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	g := newGroupRig(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Events, cfg.Results, cfg.RunKey, cfg.Clock, cfg.TuneGC = rigEvents, rigResults, g.key, bus.VirtualClock, true
	cfg.Tick = 5 * time.Millisecond
	m := startRunner(t, ctx, cfg, g.kc)
	percent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	m.waitFor(t, ctx, "a status", func(*bus.EngineStatus) bool { return true }) // published after the first tune
	if p := percent(); p != tunedGCPercent {
		t.Fatalf("running: GOGC %d, want %d", p, tunedGCPercent)
	}
	m.stop()
	if err := <-m.done; err != nil {
		t.Fatal(err)
	}
	m.done <- nil // for the cleanup
	if p := percent(); p != 25 {
		t.Fatalf("stopped: GOGC %d, want the process's 25 back", p)
	}
}
