package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
)

// shareRunKey tells how to watch this run from another terminal (the log
// pane, and a headless run's stderr, say a.watchHint). A watcher verifies
// the run's markers with its key (SPEC §6); a key made up for this process
// is written to a private file, removed when the run ends.
func (a *app) shareRunKey() error {
	logf := func(s string) {
		a.watchHint = s
		a.bus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Info, Role: "watch", Text: s})
	}
	watch := "streamtop watch -b " + a.addr
	if a.cfg.kafka.RunKey != nil {
		logf("to watch this run from another terminal: " + watch + " with the run key given here")
		return nil
	}
	dir, err := os.MkdirTemp("", "streamtop-")
	if err != nil {
		return fmt.Errorf("a file for the run key: %w", err)
	}
	a.closers = append(a.closers, func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "run-key")
	if err := os.WriteFile(path, a.runKey, 0o600); err != nil {
		return fmt.Errorf("a file for the run key: %w", err)
	}
	logf("to watch this run from another terminal: " + watch + " --run-key-file " + path)
	return nil
}
