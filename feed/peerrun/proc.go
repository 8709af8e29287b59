package peerrun

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// procStat is what one /proc/PID/stat line says of a process.
type procStat struct {
	pgrp                         int
	utime, stime, cutime, cstime int64 // clock ticks
	rssPages                     int64
}

// parseStat reads a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may hold spaces or parentheses: fields are counted after
// the last ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return procStat{}, fmt.Errorf("stat: %d fields", len(f)+2)
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	return procStat{pgrp: int(num(5)), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17), rssPages: num(24)}, nil
}

// clockTick is the kernel's USER_HZ on Linux.
const clockTick = 100

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
		st, err := parseStat(b)
		if err != nil || st.pgrp != pgid {
			continue
		}
		ticks := st.utime + st.stime + st.cutime + st.cstime
		u.cpu += time.Duration(ticks) * time.Second / clockTick
		u.rss += st.rssPages * page
	}
	return u
}
