// Command streamtop runs, watches and judges stream processing live: see
// README.md and `streamtop --help`.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/streamtop/streamtop/tui"
	"golang.org/x/sync/errgroup"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// Most of the heap is pointer-free (the broker's logs, the dedup
		// table, the generator's memory), so a collection is cheap
		// (~1 ms): collect at 25 % growth rather than 100 % and keep the
		// resident size near what is live. GOGC overrides.
		debug.SetGCPercent(25)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitExceptions = 3
)

// startCPUProfile profiles the CPU into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// heapDebug is the heap profile format: 1 is text ending with runtime.MemStats
// (go tool pprof reads it too).
const heapDebug = 1

// startHeapProfiles writes a heap profile to path every period, and once
// more when stopped, so the file shows the latest steady state.
func startHeapProfiles(path string, period time.Duration, fail func(error)) (stop func()) {
	write := func() {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("heap").WriteTo(f, heapDebug)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fail(fmt.Errorf("heap profile: %w", err))
		}
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				write()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-exited; write() }
}

// run is the whole program, with its streams as arguments for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if _, ok := commandGroups[args[0]]; ok {
			cmd, args = args[0], args[1:]
		}
	}
	cfg, err := parseCommand(cmd, args, stdout)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	name := strings.TrimSpace("streamtop " + cmd)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return exitUsage
	}
	if cfg.cpuProfile != "" {
		stop, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		defer stop()
	}
	if cfg.memProfile != "" {
		stop := startHeapProfiles(cfg.memProfile, 5*time.Second, func(err error) { fmt.Fprintf(stderr, "%s: %v\n", name, err) })
		defer stop()
	}
	switch cmd {
	case "inject":
		return runInject(cfg, stdout, stderr)
	case "engine":
		return runEngine(cfg, stdout, stderr)
	case "rates":
		return runRates(cfg, stdout, stderr)
	case "compare":
		return runCompare(cfg, stdout, stderr)
	case "watch":
		return runWatch(cfg, stdout, stderr)
	case "bench":
		return runBench(cfg, stdout, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, func(s string) { fmt.Fprintf(stderr, "streamtop: %s\n", s) })
	if err != nil {
		fmt.Fprintf(stderr, "streamtop: %v\n", err)
		return exitFailure
	}
	defer a.close()
	if cfg.headless {
		return runHeadless(ctx, cancel, a, stdin, stdout, stderr)
	}
	return runScreen(ctx, cancel, a, stdout, stderr)
}

func runHeadless(ctx context.Context, cancel context.CancelFunc, a *app, stdin io.Reader, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	g, gctx := errgroup.WithContext(ctx)
	if err := a.start(gctx, g, false); err != nil {
		fmt.Fprintf(stderr, "streamtop: %v\n", err)
		return exitFailure
	}
	lc := newLifecycle(a)
	go lc.loop(gctx)
	failed := make(chan error, 1)
	go func() { failed <- g.Wait() }()

	var interrupted time.Time
wait:
	for {
		select {
		case <-a.judge.Done():
			break wait
		case err := <-failed:
			if err == nil {
				err = errors.New("stopped before the verdict")
			}
			fmt.Fprintf(stderr, "streamtop: %v\n", err)
			return exitFailure
		case <-sigs:
			if !interrupted.IsZero() {
				if time.Since(interrupted) < time.Second {
					continue // one keypress delivered twice (to the process and its group)
				}
				fmt.Fprintln(stderr, "streamtop: interrupted twice: stopping without a verdict")
				return exitFailure
			}
			interrupted = time.Now()
			fmt.Fprintln(stderr, "streamtop: interrupted: ending the input, waiting for the verdict (interrupt again to abort)")
			a.injector.Stop(a.controls.Load().Run)
		}
	}
	final := a.judge.Final()
	eng := waitEngineFinished(a, 10*time.Second)
	if err := writeReport(stdout, a.cfg.report, reportOf(a, final, eng)); err != nil {
		fmt.Fprintf(stderr, "streamtop: report: %v\n", err)
		return exitFailure
	}
	if a.cfg.report == "csv" {
		fmt.Fprintln(stderr, final.Report.Settled.String())
	}
	if a.cfg.confirmStop {
		fmt.Fprintln(stderr, "streamtop: run ended: press Enter (or interrupt) to tear down")
		line := make(chan struct{})
		go func() {
			bufio.NewReader(stdin).ReadString('\n')
			close(line)
		}()
		select {
		case <-line:
		case <-sigs:
		}
	}
	cancel()
	if final.Err != "" {
		return exitFailure // no verdict: the input was lost
	}
	if a.cfg.failOnExc && final.Report.Settled.Exceptions > 0 {
		return exitExceptions
	}
	return exitOK
}

// waitEngineFinished waits for the engine's status after its end-of-input
// flush, so the report's counters are final.
func waitEngineFinished(a *app, timeout time.Duration) *bus.EngineStatus {
	deadline := time.Now().Add(timeout)
	for {
		snap := a.latest.Peek()
		if e := snap.Engine; e != nil && e.Finished || time.Now().After(deadline) {
			return snap.Engine
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runScreen(ctx context.Context, cancel context.CancelFunc, a *app, stdout, stderr io.Writer) int {
	// A failing role does not take the screen down: its error is in the
	// header and the log, and the other panes go on until the user quits.
	var g errgroup.Group
	gctx := ctx
	if err := a.start(gctx, &g, true); err != nil {
		fmt.Fprintf(stderr, "streamtop: %v\n", err)
		return exitFailure
	}
	lc := newLifecycle(a)
	go lc.loop(gctx)
	m, err := tui.New(tui.Options{Controller: a.controls, Source: a.latest.Snapshot, FPS: a.cfg.fps})
	if err != nil {
		fmt.Fprintf(stderr, "streamtop: %v\n", err)
		return exitFailure
	}
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(a.cfg.fps))
	_, runErr := p.Run()
	cancel()
	roleErr := g.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, tea.ErrProgramKilled) {
		fmt.Fprintf(stderr, "streamtop: screen: %v\n", runErr)
		return exitFailure
	}
	if roleErr != nil {
		fmt.Fprintf(stderr, "streamtop: %v\n", roleErr)
		return exitFailure
	}
	if final := a.judge.Final(); final != nil {
		snap := a.latest.Peek()
		if err := writeReport(stdout, a.cfg.report, reportOf(a, final, snap.Engine)); err != nil {
			fmt.Fprintf(stderr, "streamtop: report: %v\n", err)
			return exitFailure
		}
		if a.cfg.failOnExc && final.Report.Settled.Exceptions > 0 {
			return exitExceptions
		}
	}
	return exitOK
}
