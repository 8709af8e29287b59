// Command enginecpu measures `streamtop engine` in CPU per event: it writes
// a generated events topic once (streamtop inject, virtual clock, with a run
// key so every event carries an authenticated run header), then runs the
// engine role over it as a fresh consumer group, several times, and reports
// for each run the process's user + system CPU from launch to its last
// result (the progress record declaring every partition final), events per
// CPU-second and CPU µs per event, then the median. See scripts/engine-cpu.sh.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/internal/perf"
	"github.com/twmb/franz-go/pkg/kadm"
)

type options struct {
	bin, topic, keyFile, profiles string
	devices, perDevice, runs      int
	timeout                       time.Duration
	kc                            kafka.Config
	engineArgs                    []string
}

func main() {
	var o options
	var brokers string
	flag.StringVar(&brokers, "b", "", "Kafka brokers, comma-separated host:port (required)")
	flag.StringVar(&o.bin, "bin", "streamtop", "the streamtop binary measured")
	flag.StringVar(&o.topic, "topic", "enginecpu-events", "events topic (written once when it does not exist)")
	flag.StringVar(&o.keyFile, "run-key-file", filepath.Join(os.TempDir(), "streamtop-enginecpu.key"),
		"run key of the injector and the engine (created when missing; keep it with the topic)")
	flag.IntVar(&o.devices, "devices", 100, "devices of the generated topic")
	flag.IntVar(&o.perDevice, "e", 30000, "original events per device of the generated topic")
	flag.IntVar(&o.runs, "runs", 3, "engine runs over the topic")
	flag.StringVar(&o.profiles, "cpuprofile-dir", "", "write each run's CPU profile (pprof) into this directory")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest an engine run may take")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: enginecpu -b host:port [flags] [-- extra streamtop engine flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.engineArgs = flag.Args()
	o.kc = kafka.Config{Brokers: strings.Split(brokers, ",")}
	if brokers == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "enginecpu:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if err := ensureKey(o.keyFile); err != nil {
		return err
	}
	parts, err := ensureTopic(o)
	if err != nil {
		return err
	}
	var all []perf.RoleFigures
	for i := range o.runs {
		f, err := engineRun(o, i, parts)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("run %d: %d events, cpu %.2f s (user %.2f, sys %.2f), wall %.1f s: %.0f events per CPU-second, %.3f µs/event\n",
			i+1, f.Events, f.CPU().Seconds(), f.User.Seconds(), f.System.Seconds(), f.Wall.Seconds(), f.EventsPerCPUSecond(), f.MicrosPerEvent())
		all = append(all, f)
		fmt.Println("  " + f.Summary)
	}
	slices.SortFunc(all, func(a, b perf.RoleFigures) int { return int(a.CPU() - b.CPU()) })
	m := all[len(all)/2]
	fmt.Printf("median of %d: %.0f events per CPU-second, %.3f µs/event (%d events, cpu %.2f s)\n",
		len(all), m.EventsPerCPUSecond(), m.MicrosPerEvent(), m.Events, m.CPU().Seconds())
	return nil
}

// ensureKey creates a random run key file when there is none.
func ensureKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k, err := kafka.NewRunKey()
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(fmt.Sprintf("%x", []byte(k))), 0o600)
}

// ensureTopic writes the events topic with streamtop inject unless it is
// there, and returns its partition count.
func ensureTopic(o options) (int32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := o.kc.NewClient()
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	td, err := kadm.NewClient(cl).ListTopics(ctx, o.topic)
	if err != nil {
		return 0, fmt.Errorf("list topics: %w", err)
	}
	if t, ok := td[o.topic]; ok && t.Err == nil {
		return int32(len(t.Partitions)), nil
	}
	fmt.Fprintf(os.Stderr, "enginecpu: writing %s (%d devices × %d events)\n", o.topic, o.devices, o.perDevice)
	cmd := exec.Command(o.bin, "inject", "-b", strings.Join(o.kc.Brokers, ","), "--clock", "virtual", "--speed", "0",
		"--devices", strconv.Itoa(o.devices), "-e", strconv.Itoa(o.perDevice), "--run-key-file", o.keyFile,
		"--topic-events", o.topic, "--topic-results", o.topic+"-inject-results")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("inject: %w", err)
	}
	return kafka.PartitionCount(ctx, cl, o.topic)
}

// engineRun runs the engine role once over the topic as a fresh group
// writing to a fresh results topic, and measures it until its last result.
func engineRun(o options, i int, parts int32) (perf.RoleFigures, error) {
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	results, group := o.topic+"-results-"+stamp, "enginecpu-"+stamp
	args := []string{"engine", "-b", strings.Join(o.kc.Brokers, ","), "--topic-events", o.topic,
		"--topic-results", results, "-g", group, "-l", "10m", "--clock", "virtual", "--run-key-file", o.keyFile}
	if o.profiles != "" {
		args = append(args, "--cpuprofile", filepath.Join(o.profiles, fmt.Sprintf("engine-%d.pprof", i+1)))
	}
	cmd := exec.Command(o.bin, append(args, o.engineArgs...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return perf.RoleFigures{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); cancel() }()
	defer cleanUp(o.kc, results, group)
	waitErr := perf.WaitFinalProgress(ctx, o.kc, results, parts)
	var f perf.RoleFigures
	f.Wall = time.Since(start)
	user, sys, cpuErr := perf.ProcessCPU(cmd.Process.Pid) // before the stop: shutdown is not counted
	f.User, f.System = user, sys
	// The summary the engine prints when stopped is its last status: let a
	// status period or two pass so it includes the last fetch.
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		exitErr = <-exited
	}
	if err := errors.Join(waitErr, cpuErr); err != nil {
		return f, fmt.Errorf("%w (engine: %v; stderr: %s)", err, exitErr, tail(errOut.String()))
	}
	s, err := perf.ParseEngineSummary(out.String())
	if err != nil {
		return f, fmt.Errorf("%w (stderr: %s)", err, tail(errOut.String()))
	}
	f.Events, f.Summary = s.Events, s.Line
	return f, nil
}

// cleanUp deletes a run's results topic and group.
func cleanUp(kc kafka.Config, results, group string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kc.NewClient()
	if err != nil {
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	_, _ = adm.DeleteTopics(ctx, results)
	_, _ = adm.DeleteGroups(ctx, group)
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
