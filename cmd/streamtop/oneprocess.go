package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
	"github.com/streamtop/streamtop/tui"
	"golang.org/x/sync/errgroup"
)

// stopSignals end a run cleanly: SIGHUP (the terminal went away) as
// SIGTERM.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// runApp is `streamtop`: every role in one process, on the screen or
// headless.
func runApp(ctx context.Context, cfg *appConfig, s streams) (err error) {
	if !cfg.local.headless {
		if err := needTerminal(s.out, "run `streamtop --headless` for a report instead (--report text|json|csv)"); err != nil {
			return err
		}
	}
	rec, err := openRecord(cfg.inj)
	if err != nil {
		return err
	}
	defer func() { err = closeRecord(rec, err) }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := fetchAppPeers(ctx, cfg.peers, s); err != nil {
		return err
	}
	a, err := newApp(ctx, *cfg, rec, func(msg string) { fmt.Fprintf(s.err, "streamtop: %s\n", msg) })
	if err != nil {
		return err
	}
	defer a.close()
	if cfg.local.headless {
		return runHeadless(ctx, cancel, a, s)
	}
	return runScreen(ctx, cancel, a, s)
}

func runHeadless(ctx context.Context, cancel context.CancelFunc, a *app, s streams) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, stopSignals...)
	defer signal.Stop(sigs)

	g, gctx := errgroup.WithContext(ctx)
	if err := a.start(gctx, g, false); err != nil {
		return err
	}
	lc := newLifecycle(a)
	go lc.loop(gctx)
	if !a.cfg.virtual() { // a virtual-clock run is over before anyone could watch it
		fmt.Fprintf(s.err, "streamtop: %s\n", a.watchHint)
	}
	failed := make(chan error, 1)
	go func() { failed <- g.Wait() }()
	prog := newProgress(s.err, time.Now())
	err := awaitVerdict(a, failed, sigs, s.err, prog)
	prog.clear() // before anything else is printed
	if err != nil {
		return err
	}
	final := a.judge.Final()
	eng := waitEngineFinished(a, 10*time.Second)
	// A peer's verdict is final once it has been silent for idle after
	// the end of input (SPEC §9); a peer slow to start gets a minute more.
	peerWait := 2*a.cfg.eng.idle + time.Minute
	rep := reportOf(a, final, eng, peerWait)
	if err := writeReport(s.out, a.cfg.report.format, rep); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if a.cfg.report.format == "csv" {
		fmt.Fprintln(s.err, final.Report.Settled.String())
	}
	if a.cfg.local.confirmStop {
		fmt.Fprintln(s.err, "streamtop: run ended: press Enter (or interrupt) to tear down")
		line := make(chan struct{})
		go func() {
			bufio.NewReader(s.in).ReadString('\n')
			close(line)
		}()
		select {
		case <-line:
		case <-sigs:
		}
	}
	cancel()
	if final.Err != "" {
		return reported(errors.New("no verdict: the input was lost")) // the report says why
	}
	if a.cfg.report.failOnExc && anyExceptions(rep.verdicts) {
		return errExceptions
	}
	return nil
}

// anyExceptions: some engine's settled score is not 0.
func anyExceptions(verdicts []*bus.CompareStatus) bool {
	for _, v := range verdicts {
		if v.Report.Settled.Exceptions > 0 {
			return true
		}
	}
	return false
}

// awaitVerdict waits for the final verdict, showing prog; the first signal
// ends the input, a second one (a second later) aborts.
func awaitVerdict(a *app, failed <-chan error, sigs <-chan os.Signal, stderr io.Writer, prog *progress) error {
	var interrupted time.Time
	var tick <-chan time.Time
	if prog.w != nil {
		t := time.NewTicker(progressEvery / 5) // update keeps to progressEvery
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case now := <-tick:
			prog.update(now, a.latest.Peek())
		case <-a.judge.Done():
			return nil
		case err := <-failed:
			if err == nil {
				err = errors.New("stopped before the verdict")
			}
			return err
		case <-sigs:
			if !interrupted.IsZero() {
				if time.Since(interrupted) < time.Second {
					continue // one keypress delivered twice (to the process and its group)
				}
				return errors.New("interrupted twice: stopping without a verdict")
			}
			interrupted = time.Now()
			prog.clear()
			fmt.Fprintln(stderr, "streamtop: interrupted: ending the input, waiting for the verdict (interrupt again to abort)")
			a.injector.Stop(a.controls.Load().Run)
		}
	}
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

func runScreen(ctx context.Context, cancel context.CancelFunc, a *app, s streams) error {
	// A failing role does not take the screen down: its error is in the
	// header and the log, and the other panes go on until the user quits.
	var g errgroup.Group
	if err := a.start(ctx, &g, true); err != nil {
		return err
	}
	lc := newLifecycle(a)
	go lc.loop(ctx)
	keys, _ := a.cfg.screen.keyMap() // checked by Validate
	m, err := tui.New(tui.Options{Controller: a.controls, Source: a.latest.Snapshot, FPS: a.cfg.fps,
		Theme: a.cfg.screen.theme, Location: a.cfg.screen.location(), Mouse: a.cfg.screen.mouse, Keys: keys})
	if err != nil {
		return err
	}
	runErr := runProgram(ctx, m, a.cfg.fps, s)
	cancel()
	roleErr := g.Wait()
	if err := firstError(runErr, roleErr); err != nil {
		return err
	}
	snap := a.latest.Peek()
	final := a.judge.Final()
	if final == nil && snap.Compare != nil {
		// Quit before the verdict was final: the report of what is known,
		// which says it is not final and what is still pending.
		if err := writeReport(s.out, a.cfg.report.format, reportOf(a, snap.Compare, snap.Engine, 0)); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		return nil
	}
	if final != nil {
		if err := writeReport(s.out, a.cfg.report.format, reportOf(a, final, snap.Engine, 0)); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if final.Err != "" {
			return reported(errors.New("no verdict: the input was lost"))
		}
		if a.cfg.report.failOnExc && final.Report.Settled.Exceptions > 0 {
			return errExceptions
		}
	}
	return nil
}

// runProgram runs the screen until it quits. SIGHUP (the terminal went
// away) quits it as SIGTERM does, so Bubble Tea leaves the alternate
// screen and restores the terminal.
func runProgram(ctx context.Context, m tea.Model, fps int, s streams) error {
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(fps)}
	if s.in != io.Reader(os.Stdin) {
		opts = append(opts, tea.WithInput(s.in))
	}
	if s.out != io.Writer(os.Stdout) {
		// A writer handed in (a test's) has no terminal to ask the size of.
		opts = append(opts, tea.WithOutput(s.out), tea.WithWindowSize(120, 40))
	}
	p := tea.NewProgram(m, opts...)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		select {
		case <-hup:
			p.Quit()
		case <-quit:
		}
	}()
	_, err := p.Run()
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("screen: %w", err)
	}
	return nil
}
