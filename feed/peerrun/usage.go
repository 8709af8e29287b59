package peerrun

import (
	"os"
	"path/filepath"
	"time"

	"github.com/streamtop/streamtop/internal/procstat"
)

// usage is a process tree's CPU and resident memory.
type usage struct {
	cpu time.Duration
	rss int64
}

// groupUsage sums the processes of process group pgid under /proc: CPU
// (user + system, with the children they have reaped) and RSS.
func groupUsage(proc string, pgid int) usage {
	var u usage
	stats, _ := filepath.Glob(filepath.Join(proc, "[0-9]*", "stat"))
	page := int64(os.Getpagesize())
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		st, err := procstat.Parse(b)
		if err != nil || st.Pgrp != pgid {
			continue
		}
		u.cpu += procstat.Ticks(st.Utime + st.Stime + st.Cutime + st.Cstime)
		u.rss += st.RSSPages * page
	}
	return u
}
