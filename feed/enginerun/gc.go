package enginerun

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"time"
)

// The role's process collects at GOGC 25 (cmd/streamtop: most of the heap is
// pointer-free, so resident stays near live). While the role reads a
// backlog that means a collection every few tens of megabytes allocated, a
// tenth of its CPU. gcTuner lets the heap grow to twice its live size
// (GOGC 100, Go's default) while that is small next to the machine's
// memory, and goes back to the process's setting when it is not: a large
// dedup table keeps its resident size near live, as before.

// gcTuneEvery is how often the tuner looks at the live heap.
const gcTuneEvery = time.Second

// gcBudgetShare: the heap may peak at this share of the memory (the
// machine's, or the cgroup's limit when lower) under the tuner.
const gcBudgetShare = 8

// tunedGCPercent is the percent the tuner sets while the heap is small.
const tunedGCPercent = 100

// gcTuner sets the collector's percent from the live heap.
type gcTuner struct {
	base   int    // the process's percent when the tuner started
	budget uint64 // bytes the heap may peak at under tunedGCPercent
	set    int    // the percent set now
	live   func() uint64
	last   time.Time
}

// newGCTuner returns a tuner for a machine with memory bytes, or nil when
// there is nothing to tune: GOGC set by the user, the collector off or
// already as lax, the memory unknown.
func newGCTuner(memory uint64) *gcTuner {
	if os.Getenv("GOGC") != "" || memory == 0 {
		return nil
	}
	base := debug.SetGCPercent(-1)
	debug.SetGCPercent(base)
	if base < 0 || base >= tunedGCPercent {
		return nil
	}
	return &gcTuner{base: base, budget: memory / gcBudgetShare, set: base, live: liveHeap}
}

// percentFor is the percent for a live heap of live bytes: tunedGCPercent
// while the heap it lets grow fits the budget, the process's otherwise.
func (g *gcTuner) percentFor(live uint64) int {
	if live <= g.budget/(1+tunedGCPercent/100) {
		return tunedGCPercent
	}
	return g.base
}

// tune sets the percent for the live heap, at most once per gcTuneEvery.
func (g *gcTuner) tune(now time.Time) {
	if g == nil || now.Sub(g.last) < gcTuneEvery {
		return
	}
	g.last = now
	if p := g.percentFor(g.live()); p != g.set {
		debug.SetGCPercent(p)
		g.set = p
	}
}

// restore puts the process's percent back.
func (g *gcTuner) restore() {
	if g != nil && g.set != g.base {
		debug.SetGCPercent(g.base)
		g.set = g.base
	}
}

// liveHeap is the heap the last collection found live, bytes.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// machineMemory is the memory the process may use: the machine's, or its
// cgroup's limit when lower; 0 when unknown.
func machineMemory() uint64 {
	total := memTotal()
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if lim, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64); err == nil && lim < total {
			total = lim
		}
	}
	return total
}

// memTotal is /proc/meminfo's MemTotal, bytes; 0 when unknown.
func memTotal() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemTotal:"))
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
