// Package procstat reads a process's /proc/PID/stat line: its process
// group, CPU times and resident size. The peers' supervisor and the
// benchmarks both measure processes by it.
package procstat

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Stat is what one /proc/PID/stat line says of a process.
type Stat struct {
	Pgrp                         int
	Utime, Stime, Cutime, Cstime int64 // clock ticks
	RSSPages                     int64
}

// ClockTick is the kernel's USER_HZ, the unit of the times, on every Linux.
const ClockTick = 100

// Ticks converts clock ticks to a duration.
func Ticks(n int64) time.Duration { return time.Duration(n) * time.Second / ClockTick }

// Parse reads a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may hold spaces or parentheses: fields are counted after
// the last ')'.
func Parse(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, errors.New("stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return Stat{}, errors.New("stat: too few fields")
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	return Stat{Pgrp: int(num(5)), Utime: num(14), Stime: num(15), Cutime: num(16), Cstime: num(17), RSSPages: num(24)}, nil
}

// Read reads process pid's stat under proc (normally /proc).
func Read(proc string, pid int) (Stat, error) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, err
	}
	return Parse(b)
}
