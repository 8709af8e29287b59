package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/sync/errgroup"

	"github.com/streamtop/streamtop/internal/perf"
	"github.com/streamtop/streamtop/tui"
)

// pipelineFigures are what the whole-pipeline stage measured.
type pipelineFigures struct {
	broker             string
	target, achieved   float64
	sent, consumed     int64
	elapsed            time.Duration
	cpuCores           float64
	rssMax             int64 // bytes
	lagFirst, lagLast  float64
	lagMax             int64
	exceptions, keys   int
	final              bool
	latP50, latP99     float64 // ms, produced → visible in both panes' counters
	latSamples         int
	screenBytesPerSec  float64
	frames             int
	last               bus.Snapshot
	tuiUpdateViewShare float64 // % of a core in the attached screen's Update and View
}

// mark is a counter at a time.
type mark struct {
	t time.Time
	n int64
}

// pipelineSamples are what the pipeline's samplers saw.
type pipelineSamples struct {
	start, warm time.Time
	produced    []mark // the injector's count every 5 ms
	frames      []mark // what both panes could show at each frame
	lags        []int64
	bytes0      int64 // the screen's bytes when warm
}

// benchPipeline runs injector → broker → engine → comparator in this
// process at cfg's rate, with the screen attached drawing to a counter.
func benchPipeline(ctx context.Context, cfg benchConfig, progress *progressLine) (pipelineFigures, error) {
	fig := pipelineFigures{target: cfg.target, broker: "embedded"}
	if len(cfg.app.kafka.Brokers) > 0 {
		fig.broker = strings.Join(cfg.app.kafka.Brokers, ",")
	}
	var logMu sync.Mutex
	var problems []string
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := newApp(ctx, cfg.app, nil, func(s string) {
		logMu.Lock()
		problems = append(problems, s)
		logMu.Unlock()
	})
	if err != nil {
		return fig, err
	}
	defer a.close()
	g, gctx := errgroup.WithContext(ctx)
	if err := a.start(gctx, g, false); err != nil {
		return fig, err
	}
	defer func() { // every role ends before the next stage
		cancel()
		_ = g.Wait()
	}()
	go newLifecycle(a).loop(gctx)

	// The screen, attached as in the demo, drawing to a byte counter.
	var screenOut countingWriter
	var inModel atomic.Int64 // ns spent in the model's Update and View
	m, err := tui.New(tui.Options{Controller: a.controls, Source: a.latest.Snapshot, FPS: cfg.app.fps})
	if err != nil {
		return fig, err
	}
	pctx, stopScreen := context.WithCancel(ctx)
	defer stopScreen()
	p := tea.NewProgram(&timedModel{m: m, ns: &inModel}, tea.WithContext(pctx), tea.WithInput(nil),
		tea.WithOutput(&screenOut), tea.WithWindowSize(benchScreenW, benchScreenH), tea.WithFPS(cfg.app.fps),
		tea.WithColorProfile(colorprofile.ANSI256))
	screenDone := make(chan struct{})
	go func() { defer close(screenDone); _, _ = p.Run() }()

	ru0 := rusage()
	smp := samplePipeline(ctx, a, cfg, &fig, &screenOut, progress)
	fig.elapsed = time.Since(smp.start)
	fig.cpuCores = (rusage() - ru0).Seconds() / fig.elapsed.Seconds()
	fig.screenBytesPerSec = float64(screenOut.n.Load()-smp.bytes0) / (fig.elapsed - smp.warm.Sub(smp.start)).Seconds()
	fig.tuiUpdateViewShare = 100 * float64(inModel.Load()) / float64(fig.elapsed.Nanoseconds())
	fig.frames = len(smp.frames)
	fig.sent = a.injector.Produced()
	fig.achieved = float64(fig.sent) / fig.elapsed.Seconds()
	if ctx.Err() != nil {
		return fig, errors.New("interrupted")
	}
	smp.measure(&fig)

	// The verdict: stop the input and wait for the final score.
	progress.set("pipeline: waiting for the final verdict")
	stopScreen()
	<-screenDone
	if err := awaitBenchVerdict(ctx, a, &fig); err != nil {
		return fig, err
	}
	logMu.Lock()
	defer logMu.Unlock()
	if len(problems) > 0 && !fig.final {
		return fig, errors.New(problems[len(problems)-1])
	}
	return fig, nil
}

// samplePipeline samples, for the stage's length: produced counts (for
// latency), what the panes can show at each frame, the lag and the
// resident size.
func samplePipeline(ctx context.Context, a *app, cfg benchConfig, fig *pipelineFigures, screenOut *countingWriter,
	progress *progressLine) *pipelineSamples {
	length := cfg.app.duration
	smp := &pipelineSamples{start: time.Now()}
	smp.warm = smp.start.Add(min(length/2, 10*time.Second)) // tables grow during the first windows
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	frame := time.NewTicker(time.Second / time.Duration(cfg.app.fps))
	defer frame.Stop()
	every := time.NewTicker(100 * time.Millisecond)
	defer every.Stop()
	deadline := time.After(length)
	for {
		select {
		case <-ctx.Done():
			return smp
		case <-deadline:
			return smp
		case now := <-tick.C:
			smp.produced = append(smp.produced, mark{now, a.injector.Produced()})
		case now := <-frame.C:
			snap := a.latest.Peek()
			if snap.Injector != nil && snap.Engine != nil {
				smp.frames = append(smp.frames, mark{now, min(int64(snap.Injector.Sent), snap.Engine.Consumed)})
			}
		case now := <-every.C:
			lag := a.injector.Produced() - a.engine.Read()
			if now.After(smp.warm) {
				smp.lags = append(smp.lags, lag)
				if smp.bytes0 == 0 {
					smp.bytes0 = screenOut.n.Load()
				}
			}
			fig.rssMax = max(fig.rssMax, residentBytes())
			progress.set(fmt.Sprintf("pipeline at %s events/s on %s: %s of %s, %s sent, lag %d",
				si(cfg.target), fig.broker, now.Sub(smp.start).Truncate(time.Second), length, si(float64(a.injector.Produced())), lag))
		}
	}
}

// measure computes the latency and the lag from the samples.
func (smp *pipelineSamples) measure(fig *pipelineFigures) {
	// Latency: an event produced at t is visible once a frame shows both
	// the injector's and the engine's counters at or past its number.
	var lat []float64
	j := 0
	for _, pm := range smp.produced {
		if pm.t.Before(smp.warm) {
			continue
		}
		for j < len(smp.frames) && (smp.frames[j].t.Before(pm.t) || smp.frames[j].n < pm.n) {
			j++
		}
		if j == len(smp.frames) {
			break
		}
		lat = append(lat, float64(smp.frames[j].t.Sub(pm.t).Microseconds())/1000)
	}
	slices.Sort(lat)
	fig.latSamples = len(lat)
	fig.latP50, fig.latP99 = quantile(lat, 0.5), quantile(lat, 0.99)
	if n := len(smp.lags); n >= 2 {
		fig.lagFirst, fig.lagLast = mean(smp.lags[:n/2]), mean(smp.lags[n/2:])
		fig.lagMax = slices.Max(smp.lags)
	}
}

// awaitBenchVerdict stops the input and waits for the final score.
func awaitBenchVerdict(ctx context.Context, a *app, fig *pipelineFigures) error {
	a.injector.Stop(a.controls.Load().Run)
	select {
	case <-a.judge.Done():
		fig.final = true
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	if final := a.judge.Final(); final != nil {
		fig.exceptions, fig.keys = final.Report.Settled.Exceptions, final.Report.Settled.Keys
	}
	if e := waitEngineFinished(a, 10*time.Second); e != nil {
		fig.consumed = e.Consumed
	}
	fig.last = a.latest.Peek()
	return a.failure()
}

func (r *benchResult) addPipeline(cfg appConfig, f pipelineFigures) {
	r.figures = f
	// Growth of the mean lag from the first half to the second, counted
	// one event over so a run with no lag at all (the halves often read 0
	// at low rates) reads 1, flat, rather than 0/0.
	lagRatio := (f.lagLast + 1) / (f.lagFirst + 1)
	r.Pipeline = map[string]any{"broker": f.broker, "target_events_per_sec": f.target,
		"events_per_sec": sig3(f.achieved), "achieved_ratio": sig3(f.achieved / f.target),
		"seconds": sig3(f.elapsed.Seconds()), "sent": f.sent, "consumed": f.consumed,
		"cpu_cores": sig3(f.cpuCores), "ns_cpu_per_event": sig3(f.cpuCores * 1e9 / max(f.achieved, 1)),
		"rss_max_mb":          sig3(float64(f.rssMax) / (1 << 20)),
		"lag_mean_first_half": sig3(f.lagFirst), "lag_mean_second_half": sig3(f.lagLast),
		"lag_growth_ratio": sig3(lagRatio), "lag_max": f.lagMax,
		"exceptions": f.exceptions, "keys": f.keys, "verdict_final": f.final,
		"latency_p50_ms": sig3(f.latP50), "latency_p99_ms": sig3(f.latP99), "latency_samples": f.latSamples,
		"linger_ms": cfg.inj.linger.Milliseconds(), "fps": cfg.fps}
	stage := "pipeline (" + f.broker + ")"
	r.table = append(r.table, []string{stage, si(f.achieved), ns(f.cpuCores * 1e9 / max(f.achieved, 1)), "–",
		fmt.Sprintf("%.2f× the %s/s asked; %.2f cores; lag %s → %s; %d exceptions out of %d",
			f.achieved/f.target, si(f.target), f.cpuCores, si(f.lagFirst), si(f.lagLast), f.exceptions, f.keys)})
	want, wantText := float64(targetPipeline), "≥ 500 K"
	if f.broker != "embedded" {
		want, wantText = targetClusterPipe, "≥ 200 K"
	}
	// The injector paces itself to the target: 2 % short is the clock's noise.
	r.target("pipeline events/s", f.achieved, wantText+" (and as asked)", f.achieved >= 0.98*want && f.achieved >= 0.97*f.target)
	// Not growing: the second half's mean lag within 1.5× the first's, or
	// under 100 ms of input (noise at this rate).
	r.target("pipeline lag_growth_ratio", lagRatio, "≤ 1.5, or lag < 100 ms of input", lagRatio <= 1.5 || f.lagLast < f.target/10)
	r.target("pipeline exceptions", float64(f.exceptions), "0, verdict final", f.exceptions == 0 && f.final && f.keys > 0)
	r.target("latency p99 ms (produced → both panes' counters)", f.latP99, "≤ 100", f.latP99 > 0 && f.latP99 <= targetLatencyP99Ms)
	r.target("resident MB (max)", float64(f.rssMax)/(1<<20), "see the 10-minute memory run", true)
}

// benchScreen times View at 120×40 on the pipeline's last snapshot, then
// runs the screen alone for a while idle and a while busy, measuring the
// process's CPU and the bytes written.
func benchScreen(r *benchResult, ctl *bus.Controls, snap bus.Snapshot, fps int, length time.Duration) {
	m, err := tui.New(tui.Options{Controller: ctl, Source: func() bus.Snapshot { return snap }, FPS: fps})
	if err != nil {
		r.Screen = map[string]any{"error": err.Error()}
		return
	}
	m.Update(tea.WindowSizeMsg{Width: benchScreenW, Height: benchScreenH})
	m.Update(tui.Frame(time.Now()))
	view := perf.Time(1, func() { _ = m.View() })
	n := max(int(200*time.Millisecond/max(view.Elapsed, time.Microsecond)), 100)
	view = perf.Time(n, func() {
		for range n {
			_ = m.View()
		}
	})
	idleCPU, idleBytes := screenAlone(ctl, snap, fps, false, length)
	busyCPU, busyBytes := screenAlone(ctl, snap, fps, true, length)
	viewUs := view.NsPerEvent() / 1000
	r.Screen = map[string]any{"view_us_120x40": sig3(viewUs), "fps": fps,
		"idle_cpu_percent": sig3(idleCPU), "idle_bytes_per_sec": sig3(idleBytes),
		"busy_cpu_percent": sig3(busyCPU), "busy_bytes_per_sec": sig3(busyBytes),
		"pipeline_bytes_per_sec":           sig3(r.figures.screenBytesPerSec),
		"pipeline_update_view_cpu_percent": sig3(r.figures.tuiUpdateViewShare)}
	r.table = append(r.table, []string{"screen 120×40", "–", ns(view.NsPerEvent()) + " a View", "–",
		fmt.Sprintf("%d fps: idle %.2f%% CPU %.1f KB/s, busy %.2f%% CPU %.1f KB/s", fps, idleCPU, idleBytes/1024, busyCPU, busyBytes/1024)})
	r.target("View µs at 120×40", viewUs, "≤ 100", viewUs <= targetViewMicros)
	r.target("screen idle CPU %", idleCPU, "≤ 1", idleCPU <= targetIdleCPU)
	r.target("screen busy CPU %", busyCPU, "≤ 5", busyCPU <= targetBusyCPU)
	worst := max(busyBytes, r.figures.screenBytesPerSec)
	r.target("screen bytes/s (busy, and during the pipeline)", worst, "≤ 30 KB/s", worst <= targetScreenBytes)
}

// screenAlone runs a program drawing snap (with its counters moving every
// 25 ms when busy, as live statuses do) to a byte counter, and returns the
// process's CPU in % of a core and the bytes written per second.
func screenAlone(ctl *bus.Controls, snap bus.Snapshot, fps int, busy bool, length time.Duration) (cpu, bytesPerSec float64) {
	var mu sync.Mutex
	cur := snap
	m, err := tui.New(tui.Options{Controller: ctl, FPS: fps, Source: func() bus.Snapshot {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}})
	if err != nil {
		return 0, 0
	}
	var out countingWriter
	ctx, cancel := context.WithCancel(context.Background())
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(&out),
		tea.WithWindowSize(benchScreenW, benchScreenH), tea.WithFPS(fps), tea.WithColorProfile(colorprofile.ANSI256))
	done := make(chan struct{})
	go func() { defer close(done); _, _ = p.Run() }()
	stop := make(chan struct{})
	if busy {
		go func() {
			t := time.NewTicker(25 * time.Millisecond)
			defer t.Stop()
			for k := int64(1); ; k++ {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				mu.Lock()
				cur = advanced(snap, k)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second) // the first frames draw everything
	debug.FreeOSMemory()
	b0, c0, t0 := out.n.Load(), rusage(), time.Now()
	time.Sleep(length)
	b1, c1, el := out.n.Load(), rusage(), time.Since(t0)
	close(stop)
	cancel()
	<-done
	return 100 * (c1 - c0).Seconds() / el.Seconds(), float64(b1-b0) / el.Seconds()
}
