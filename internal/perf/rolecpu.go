package perf

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamtop/streamtop/internal/procstat"

	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// This file is what scripts/enginecpu uses to measure the engine role as a
// process: its CPU time (user + system, from /proc) from launch to the
// moment its last result is on the results topic. CPU time, not wall time:
// on a shared machine it moves far less with the load of others.

// ProcessCPU returns the user and system CPU time process pid has used so
// far, all its threads together (exited ones included).
func ProcessCPU(pid int) (user, system time.Duration, err error) {
	st, err := procstat.Read("/proc", pid)
	if err != nil {
		return 0, 0, fmt.Errorf("process cpu: %w", err)
	}
	return procstat.Ticks(st.Utime), procstat.Ticks(st.Stime), nil
}

// WaitFinalProgress reads the results topic from its start until a
// progress record (kafka.HeaderProgress) has declared every one of the
// events topic's partitions final: the engine has read every partition's end
// marker and produced its last result before that record. It returns when
// that record is read, or the context's error.
func WaitFinalProgress(ctx context.Context, kc kafka.Config, results string, partitions int32) error {
	// No topic creation here: the engine creates its results topic, and the
	// consumer waits for it to appear.
	cl, err := kc.NewClient(kgo.ConsumeTopics(results), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	final := map[int32]bool{}
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("waiting for the final progress on %s: %w", results, err)
		}
		var bad error
		fs.EachRecord(func(r *kgo.Record) {
			if _, ok := kafka.Header(r, kafka.HeaderProgress); !ok {
				return
			}
			closed, err := kafka.ParseProgress(r.Value)
			if err != nil {
				bad = err
				return
			}
			for p, c := range closed {
				if c == math.MaxInt64 {
					final[p] = true
				}
			}
		})
		if bad != nil {
			return fmt.Errorf("results %s: %w", results, bad)
		}
		if int32(len(final)) >= partitions {
			return nil
		}
	}
}

// EngineSummary is what `streamtop engine` prints on stdout when it stops:
// "engine NAME: N events, …".
type EngineSummary struct {
	Events int64 // events consumed (markers not included)
	Line   string
}

// ParseEngineSummary finds the summary line in the engine role's stdout.
func ParseEngineSummary(out string) (EngineSummary, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		_, rest, ok := strings.Cut(line, ": ")
		if !strings.HasPrefix(line, "engine ") || !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, " events")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			continue
		}
		return EngineSummary{Events: n, Line: line}, nil
	}
	return EngineSummary{}, fmt.Errorf("no summary line in the engine's output %q", out)
}

// RoleFigures are one run of the engine role: the events it read and the
// CPU its process used until its last result.
type RoleFigures struct {
	Events       int64
	User, System time.Duration
	Wall         time.Duration // launch to the final progress read (not the figure: load moves it)
	Summary      string        // the engine's own summary line
}

// CPU is user + system.
func (f RoleFigures) CPU() time.Duration { return f.User + f.System }

// EventsPerCPUSecond is the role's throughput per CPU-second.
func (f RoleFigures) EventsPerCPUSecond() float64 {
	if f.CPU() <= 0 {
		return 0
	}
	return float64(f.Events) / f.CPU().Seconds()
}

// MicrosPerEvent is the role's CPU per event, µs.
func (f RoleFigures) MicrosPerEvent() float64 {
	if f.Events == 0 {
		return 0
	}
	return float64(f.CPU().Microseconds()) / float64(f.Events)
}
