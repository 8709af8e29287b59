package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/internal/perf"
)

// The targets, checked in the table.
const (
	targetEngineNs     = 150
	targetNaiveRatio   = 2
	targetDecodeEngine = 1.5e6
	targetDecodeRatio  = 0.5
	targetPipeline     = 500e3
	targetClusterPipe  = 200e3
	targetViewMicros   = 100
	targetIdleCPU      = 1
	targetBusyCPU      = 5
	targetScreenBytes  = 30 << 10
	targetLatencyP99Ms = 100
	benchScreenW       = 120
	benchScreenH       = 40
)

// benchResult is the whole table; its JSON names every ratio "…ratio…".
type benchResult struct {
	Machine      benchMachine    `json:"machine"`
	Engine       map[string]any  `json:"engine"`
	Decode       map[string]any  `json:"decode"`
	DecodeEngine map[string]any  `json:"decode_engine"`
	Pipeline     map[string]any  `json:"pipeline"`
	Screen       map[string]any  `json:"screen"`
	Targets      []benchTarget   `json:"targets"`
	table        [][]string      // the text form's rows
	notes        []string        // the text form's lines under the table
	figures      pipelineFigures // kept for the text form
}

type benchMachine struct {
	CPUs      int    `json:"cpus"`
	GOMAXPROC int    `json:"gomaxprocs"`
	Go        string `json:"go"`
	OS        string `json:"os"`
	Quick     bool   `json:"quick"`
}

type benchTarget struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}

// runBench is `streamtop bench`: every stage on generated events, a table.
func runBench(ctx context.Context, cfg *benchConfig, s streams) error {
	progress := newProgressLine(s.err)
	defer progress.done()
	res := &benchResult{Machine: benchMachine{CPUs: runtime.NumCPU(), GOMAXPROC: runtime.GOMAXPROCS(0),
		Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Quick: cfg.quick}}

	progress.set("engine alone vs the naive peer")
	benchEngine(res, cfg.micro)
	progress.set("decoding alone: streamtop's scanner vs encoding/json")
	benchDecode(res, cfg.micro)
	progress.set("decode + engine vs decoding alone")
	benchDecodeEngine(res, cfg.micro)

	ctx, stop := signal.NotifyContext(ctx, stopSignals...)
	defer stop()
	fig, err := benchPipeline(ctx, *cfg, progress)
	if err != nil {
		progress.done()
		return fmt.Errorf("pipeline: %w", err)
	}
	res.addPipeline(cfg.app, fig)
	progress.set("screen: idle, then busy")
	ctl, err := bus.NewControls(settingsOf(cfg.app.inj, cfg.app.eng))
	if err != nil {
		return err
	}
	benchScreen(res, ctl, fig.last, cfg.app.fps, cfg.screen)
	progress.done()

	if cfg.output == "json" {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	res.writeText(s.out)
	return nil
}

func (r *benchResult) target(name string, v float64, want string, met bool) {
	r.Targets = append(r.Targets, benchTarget{Name: name, Value: sig3(v), Target: want, Met: met})
}

// sig3 rounds to 3 significant digits (JSON for people too).
func sig3(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, 3-math.Ceil(math.Log10(math.Abs(v)+1e-300)))
	return math.Round(v*p) / p
}

// benchEngine times laps of the engine (fed a fetch at a time) and of the
// naive peer on the same events, in turns, with a collection before each.
func benchEngine(r *benchResult, d time.Duration) {
	t := perf.NewTurns()
	var fe, fn perf.Figures
	for lap := 1; fe.Elapsed+fn.Elapsed < 2*d || lap < 3; lap++ {
		fe = fe.Plus(perf.Time(len(t.Evs), func() { t.Engine(lap) }))
		fn = fn.Plus(perf.Time(len(t.Evs), func() { t.Naive(lap) }))
	}
	ratio := fe.PerSecond() / fn.PerSecond()
	r.Engine = map[string]any{"events_per_sec": sig3(fe.PerSecond()), "ns_per_event": sig3(fe.NsPerEvent()),
		"allocs_per_event": sig3(fe.AllocsPerEvent()), "bytes_per_event": sig3(fe.BytesPerEvent()),
		"naive_events_per_sec": sig3(fn.PerSecond()), "naive_ns_per_event": sig3(fn.NsPerEvent()),
		"naive_allocs_per_event": sig3(fn.AllocsPerEvent()), "naive_ratio": sig3(ratio)}
	r.table = append(r.table, []string{"engine alone", si(fe.PerSecond()), ns(fe.NsPerEvent()), allocs(fe),
		fmt.Sprintf("%.2f× the naive peer (%s/s, %s ns)", ratio, si(fn.PerSecond()), strconv.FormatFloat(fn.NsPerEvent(), 'f', 0, 64))})
	r.target("engine ns/event", fe.NsPerEvent(), "≤ 150", fe.NsPerEvent() <= targetEngineNs)
	r.target("engine allocs/event", fe.AllocsPerEvent(), "0 (< 0.01)", fe.AllocsPerEvent() < 0.01)
	r.target("engine naive_ratio", ratio, "≥ 2", ratio >= targetNaiveRatio)
}

// benchDecode times the decoder against encoding/json on the same lines.
func benchDecode(r *benchResult, d time.Duration) {
	lines := perf.Encode(perf.Events(1<<14, 100, 100_000))
	dec := engine.NewDecoder()
	decodeAll := func(decode func([]byte) (engine.Event, error)) func() {
		return func() { _ = perf.DecodeAll(lines, decode) } // generated lines are well formed
	}
	var fs, fj perf.Figures
	for lap := 0; fs.Elapsed+fj.Elapsed < d || lap < 2; lap++ {
		fs = fs.Plus(perf.Time(len(lines), decodeAll(dec.Decode)))
		fj = fj.Plus(perf.Time(len(lines), decodeAll(engine.DecodeEventStd)))
	}
	ratio := fs.PerSecond() / fj.PerSecond()
	r.Decode = map[string]any{"events_per_sec": sig3(fs.PerSecond()), "ns_per_event": sig3(fs.NsPerEvent()),
		"allocs_per_event": sig3(fs.AllocsPerEvent()), "encoding_json_events_per_sec": sig3(fj.PerSecond()),
		"encoding_json_ns_per_event": sig3(fj.NsPerEvent()), "encoding_json_allocs_per_event": sig3(fj.AllocsPerEvent()),
		"encoding_json_ratio": sig3(ratio)}
	r.table = append(r.table, []string{"decode alone", si(fs.PerSecond()), ns(fs.NsPerEvent()), allocs(fs),
		fmt.Sprintf("%.1f× encoding/json (%s/s, %s ns)", ratio, si(fj.PerSecond()), strconv.FormatFloat(fj.NsPerEvent(), 'f', 0, 64))})
}

// benchDecodeEngine times decode + engine against decoding alone.
func benchDecodeEngine(r *benchResult, d time.Duration) {
	lines := perf.Encode(perf.Events(perf.LapEvents, 100, perf.LapRate))
	dec := engine.NewDecoder()
	f := perf.NewEngineFeeder()
	_ = f.DecodeLap(lines, dec, 0) // warm-up
	var fb, fd perf.Figures
	for lap := 1; fb.Elapsed+fd.Elapsed < 2*d || lap < 3; lap++ {
		fb = fb.Plus(perf.Time(len(lines), func() { _ = f.DecodeLap(lines, dec, lap) }))
		fd = fd.Plus(perf.Time(len(lines), func() { _ = perf.DecodeAll(lines, dec.Decode) }))
	}
	ratio := fb.PerSecond() / fd.PerSecond()
	r.DecodeEngine = map[string]any{"events_per_sec": sig3(fb.PerSecond()), "ns_per_event": sig3(fb.NsPerEvent()),
		"allocs_per_event": sig3(fb.AllocsPerEvent()), "decode_events_per_sec": sig3(fd.PerSecond()),
		"decode_ratio": sig3(ratio)}
	r.table = append(r.table, []string{"decode + engine", si(fb.PerSecond()), ns(fb.NsPerEvent()), allocs(fb),
		fmt.Sprintf("%.2f× decoding alone (%s/s)", ratio, si(fd.PerSecond()))})
	r.target("decode+engine events/s", fb.PerSecond(), "≥ 1.5 M", fb.PerSecond() >= targetDecodeEngine)
	r.target("decode+engine decode_ratio", ratio, "≥ 0.5", ratio >= targetDecodeRatio)
}

// advanced is snap with its counters moved on k status periods, as a live
// run at 500 K events/s publishes them.
func advanced(snap bus.Snapshot, k int64) bus.Snapshot {
	if snap.Injector != nil {
		inj := *snap.Injector
		inj.Sent += k * 12_500
		inj.Originals += k * 11_900
		inj.Duplicates += k * 600
		snap.Injector = &inj
	}
	if snap.Engine != nil {
		eng := *snap.Engine
		eng.Consumed += k * 12_500
		eng.Stats.Accepted += k * 11_900
		eng.Stats.Duplicates += k * 600
		snap.Engine = &eng
	}
	snap.Seq += uint64(k)
	return snap
}

// timedModel adds the time spent in Update and View to ns.
type timedModel struct {
	m  tea.Model
	ns *atomic.Int64
}

func (t *timedModel) Init() tea.Cmd { return t.m.Init() }

func (t *timedModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	start := time.Now()
	_, cmd := t.m.Update(msg)
	t.ns.Add(int64(time.Since(start)))
	return t, cmd
}

func (t *timedModel) View() tea.View {
	start := time.Now()
	v := t.m.View()
	t.ns.Add(int64(time.Since(start)))
	return v
}

// countingWriter discards what it is given, counting the bytes.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(b []byte) (int, error) {
	w.n.Add(int64(len(b)))
	return len(b), nil
}

// rusage is the CPU time (user + system) the process has used.
func rusage() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// residentBytes is the process's resident set size now (Linux), or its
// peak (elsewhere).
func residentBytes() int64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return pages * int64(os.Getpagesize())
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		return int64(ru.Maxrss) << 10
	}
	return 0
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

func mean(v []int64) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// si renders a count with a K/M suffix.
func si(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + " M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + " K"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func ns(v float64) string {
	if v >= 1e4 {
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + " µs"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " ns"
}

func allocs(f perf.Figures) string {
	return strconv.FormatFloat(f.AllocsPerEvent(), 'f', 2, 64) + " (" + strconv.FormatFloat(f.BytesPerEvent(), 'f', 0, 64) + " B)"
}

func (r *benchResult) writeText(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "streamtop bench · %s · %s · %d CPUs", m.Go, m.OS, m.CPUs)
	if m.Quick {
		fmt.Fprint(w, " · --quick")
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tevents/s\tper event\tallocs/event\tagainst the peer / floor")
	for _, row := range r.table {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	f := r.figures
	fmt.Fprintf(w, "\npipeline: %d events in %.1f s; resident %.0f MB at most; latency produced → both panes p50 %.0f ms, p99 %.0f ms (%d samples)\n",
		f.sent, f.elapsed.Seconds(), float64(f.rssMax)/(1<<20), f.latP50, f.latP99, f.latSamples)
	fmt.Fprintln(w, "\ntargets:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range r.Targets {
		ok := "met"
		if !t.Met {
			ok = "NOT met"
		}
		fmt.Fprintf(tw, "  %s\t%v\t%s\t%s\n", t.Name, t.Value, t.Target, ok)
	}
	tw.Flush()
}

// progressLine rewrites one line on a terminal at most 4 times a second
// (elsewhere it prints a line every 5 s).
type progressLine struct {
	w     io.Writer
	tty   bool
	last  time.Time
	shown bool
}

func newProgressLine(w io.Writer) *progressLine {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressLine{w: w, tty: tty}
}

func (p *progressLine) set(s string) {
	every := 250 * time.Millisecond
	if !p.tty {
		every = 5 * time.Second // a log, not a line rewritten
	}
	if time.Since(p.last) < every && p.shown && s != "" {
		return
	}
	p.last, p.shown = time.Now(), true
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", s)
		return
	}
	fmt.Fprintln(p.w, s)
}

func (p *progressLine) done() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	p.shown = false
}
