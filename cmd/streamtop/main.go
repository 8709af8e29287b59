// Command streamtop runs, watches and judges stream processing live: see
// README.md and `streamtop --help`.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"
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

// createFile creates (or truncates) a file streamtop writes for the user,
// with mode 0666 before the umask as other tools do.
func createFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// startProfiles starts the profiles p asks for; stop ends them.
func startProfiles(p profileFlags, stderr io.Writer, name string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if p.cpu != "" {
		s, err := startCPUProfile(p.cpu)
		if err != nil {
			return stop, err
		}
		stops = append(stops, s)
	}
	if p.mem != "" {
		stops = append(stops, startHeapProfiles(p.mem, 5*time.Second, func(err error) { fmt.Fprintf(stderr, "%s: %v\n", name, err) }))
	}
	return stop, nil
}

// startCPUProfile profiles the CPU into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := createFile(path)
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
		f, err := createFile(path)
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
