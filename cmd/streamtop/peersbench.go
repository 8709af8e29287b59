package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/peerrun"
	"github.com/streamtop/streamtop/feed/sim"
	"github.com/streamtop/streamtop/internal/perf"
	"github.com/streamtop/streamtop/peers"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// peersBenchConfig is `streamtop peers bench`'s.
type peersBenchConfig struct {
	kafka            kafkaFlags
	topic            string
	devices, perDev  int
	runs             int
	names            []string
	timeout          time.Duration
	prof             profileFlags
	seed             int64
	window, lateness time.Duration
}

func defaultPeersBenchConfig() peersBenchConfig {
	return peersBenchConfig{kafka: defaultKafkaFlags(), topic: "streamtop-peers-bench", devices: 100, perDev: 10000, runs: 3,
		timeout: 15 * time.Minute, seed: 34, window: 5 * time.Second, lateness: 10 * time.Minute}
}

func (c *peersBenchConfig) bind(b *binder) {
	b.in(grpPeers)
	b.value(repeatedValue{&c.names}, "peer", "", "the peer `NAME` measured, repeatable (default flink and kstreams; spark when named)")
	b.str(&c.topic, "topic", "", "the generated events topic (written once, when it is not there)")
	b.integer(&c.devices, "devices", "", "devices of the generated topic")
	b.integer(&c.perDev, "events", "e", "original events per device of the generated topic")
	b.integer(&c.runs, "runs", "", "runs per engine (the median is shown)")
	b.duration(&c.timeout, "timeout", "", "longest one engine run may take")
	c.kafka.bind(b)
	c.prof.bind(b)
}

func (c *peersBenchConfig) complete(func(string) bool) error {
	if len(c.names) == 0 {
		c.names = []string{"flink", "kstreams"}
	}
	return c.kafka.complete()
}

func (c *peersBenchConfig) Validate() error {
	if c.devices < 1 || c.perDev < 1 || c.runs < 1 || c.timeout <= 0 {
		return errors.New("--devices, --events, --runs and --timeout must be positive")
	}
	for _, n := range c.names {
		if p, err := peers.Lookup(n); err != nil || p.Rates {
			return fmt.Errorf("--peer %s: not an engine of events (%v)", n, err)
		}
	}
	return firstError(c.kafka.required(), validTopic(c.topic))
}

func (c *peersBenchConfig) profiles() profileFlags { return c.prof }

func newPeersBenchCommand(s streams) *cobra.Command {
	cfg := defaultPeersBenchConfig()
	return newCommand(cmdText{use: "bench", short: "Events per CPU-second of each peer and of our engine role, on one generated topic",
		long: `streamtop peers bench — one generated events topic (lateness 10 min ≥ the largest lag, dedup on) through our engine role (streamtop engine, marker checks on) and each peer in turn, each verified 0 exceptions against the truth before any figure is printed. Per engine: events per CPU-second (the process tree's user + system CPU from launch until its last result: for our role the final progress record, for a peer its bounded exit), wall time, and the ratio to our engine role; the median of --runs. Needs a real Kafka (a few million events exceed the embedded broker's cap).`,
		example: `streamtop peers bench -b 127.0.0.1:39092
streamtop peers bench -b k1:9092 --peer flink --peer kstreams --peer spark --devices 100 -e 30000`}, &cfg,
		func(c *cobra.Command) error { return runPeersBench(c.Context(), &cfg, s) })
}

// benchFigure is one engine's run.
type benchFigure struct {
	events int64
	cpu    time.Duration
	wall   time.Duration
}

func (f benchFigure) perCPUSecond() float64 { return float64(f.events) / max(f.cpu.Seconds(), 1e-9) }

// runPeersBench measures our engine role and each peer on one topic.
func runPeersBench(ctx context.Context, cfg *peersBenchConfig, s streams) error {
	dir, err := os.MkdirTemp("", "streamtop-peers-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b := &peersBench{cfg: cfg, s: s, dir: dir, self: self, keyFile: filepath.Join(dir, "run.key")}
	if err := b.prepare(ctx); err != nil {
		return err
	}
	rows := map[string][]benchFigure{}
	wrong := map[string]string{} // engines with no figure, and why
	order := append([]string{"streamtop engine"}, cfg.names...)
	for i := range cfg.runs {
		for _, name := range order {
			if wrong[name] != "" {
				continue
			}
			fmt.Fprintf(s.err, "peers bench: run %d/%d: %s…\n", i+1, cfg.runs, name)
			f, err := b.measure(ctx, name, i)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				// A wrong or failing engine gets no figure; the others go on.
				wrong[name] = fmt.Sprintf("run %d: %v", i+1, err)
				fmt.Fprintf(s.err, "peers bench: %s: %s\n", name, wrong[name])
				continue
			}
			rows[name] = append(rows[name], f)
		}
	}
	if wrong[order[0]] != "" {
		return fmt.Errorf("our engine role: %s", wrong[order[0]])
	}
	if err := b.print(order, rows, wrong); err != nil {
		return err
	}
	if len(wrong) > 0 {
		return reported(errors.New("some engines got no figure"))
	}
	return nil
}

// peersBench is one bench: its topic, truth and key.
type peersBench struct {
	cfg           *peersBenchConfig
	s             streams
	dir, self     string
	keyFile       string
	parts         int32
	truth         map[engine.Key]engine.Agg
	events        int64 // events on the topic (duplicates included)
	cache         peers.Cache
	brokersString string
}

// prepare writes the run key, the topic (when missing) and the truth.
func (b *peersBench) prepare(ctx context.Context) error {
	cfg := b.cfg
	b.brokersString = strings.Join(cfg.kafka.Brokers, ",")
	var err error
	if b.cache, err = peers.DefaultCache(); err != nil {
		return err
	}
	// The topic's run key lives in the cache beside it: our engine role
	// verifies every run header, so a topic is only usable with its key.
	b.keyFile = filepath.Join(b.cache.Root, "bench", b.cfg.topic+".key")
	for _, n := range cfg.names {
		p, _ := peers.Lookup(n)
		if err := fetchPeer(ctx, b.cache, p, b.s); err != nil {
			return err
		}
	}
	if err := b.ensureTopic(ctx); err != nil {
		return err
	}
	return b.makeTruth()
}

// ensureTopic writes the topic with `streamtop inject` when it is missing
// (a topic of another size is used as it is: the truth must match it).
func (b *peersBench) ensureTopic(ctx context.Context) error {
	cl, err := b.cfg.kafka.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	td, err := kadm.NewClient(cl).ListTopics(ctx, b.cfg.topic)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	if t, ok := td[b.cfg.topic]; ok && t.Err == nil {
		if _, err := os.Stat(b.keyFile); err != nil {
			return fmt.Errorf("%s exists but its run key %s does not: delete the topic or choose another --topic", b.cfg.topic, b.keyFile)
		}
	} else {
		if err := writeRunKey(b.keyFile); err != nil {
			return err
		}
		fmt.Fprintf(b.s.err, "peers bench: writing %s (%d devices × %d events, seed %d)\n", b.cfg.topic, b.cfg.devices, b.cfg.perDev, b.cfg.seed)
		cmd := exec.CommandContext(ctx, b.self, "inject", "-b", b.brokersString, "--clock", "virtual", "--speed", "0",
			"--seed", strconv.FormatInt(b.cfg.seed, 10), "--devices", strconv.Itoa(b.cfg.devices), "-e", strconv.Itoa(b.cfg.perDev),
			"--run-key-file", b.keyFile, "--topic-events", b.cfg.topic, "--topic-results", b.cfg.topic+"-unused")
		cmd.Stdout, cmd.Stderr = b.s.err, b.s.err
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("inject: %w", err)
		}
	}
	b.parts, err = kafka.PartitionCount(ctx, cl, b.cfg.topic)
	return err
}

// makeTruth regenerates the topic's events: their truth by device time.
func (b *peersBench) makeTruth() error {
	gc := sim.DefaultGeneratorConfig()
	gc.Seed, gc.Devices, gc.Events = b.cfg.seed, b.cfg.devices, b.cfg.perDev
	g, err := sim.NewGenerator(gc, sim.DefaultKnobs())
	if err != nil {
		return err
	}
	tr, err := sim.NewTruth(b.cfg.window, false)
	if err != nil {
		return err
	}
	for s, ok := g.Next(); ok; s, ok = g.Next() {
		tr.Add(s)
		b.events++
	}
	b.truth = tr.ByDevice()
	return nil
}

// writeRunKey writes a new run key to path (0600).
func writeRunKey(path string) error {
	key, err := kafka.NewRunKey()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(fmt.Sprintf("%x", []byte(key))), 0o600)
}

// measure runs one engine once over the topic, verifies its results and
// returns its figures.
func (b *peersBench) measure(ctx context.Context, name string, run int) (benchFigure, error) {
	stamp := fmt.Sprintf("%s-%d-%s", strings.ReplaceAll(name, " ", "-"), run, strconv.FormatInt(time.Now().UnixNano(), 36))
	out := b.cfg.topic + "-" + stamp
	if err := ensureTopics(ctx, b.cfg.kafka.Config, topicFlags{partitions: 4, replication: 1}, nil, out); err != nil {
		return benchFigure{}, err
	}
	defer b.cleanUp(out, stamp)
	rctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	var f benchFigure
	var err error
	if name == "streamtop engine" {
		f, err = b.ourRole(rctx, out, stamp)
	} else {
		f, err = b.peer(rctx, name, out, stamp)
	}
	if err != nil {
		return f, err
	}
	f.events = b.events
	return f, b.verify(ctx, out)
}

// ourRole runs `streamtop engine` until its final progress record; its
// CPU is read before it is stopped (the shutdown is not counted).
func (b *peersBench) ourRole(ctx context.Context, out, group string) (benchFigure, error) {
	cmd := exec.CommandContext(ctx, b.self, "engine", "-b", b.brokersString, "--topic-events", b.cfg.topic,
		"--topic-results", out, "-g", group, "-l", b.cfg.lateness.String(), "--clock", "virtual", "--run-key-file", b.keyFile)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return benchFigure{}, err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	if err := perf.WaitFinalProgress(ctx, b.cfg.kafka.Config, out, b.parts); err != nil {
		return benchFigure{}, fmt.Errorf("%w\n%s", err, tail(errOut.String(), 2000))
	}
	user, sys, err := perf.ProcessCPU(cmd.Process.Pid)
	return benchFigure{cpu: user + sys, wall: time.Since(start)}, err
}

// peer runs one peer --bounded until it exits by itself.
func (b *peersBench) peer(ctx context.Context, name, out, group string) (benchFigure, error) {
	p, _ := peers.Lookup(name)
	st := peers.Settings{Brokers: b.brokersString, Events: b.cfg.topic, Output: out, Window: b.cfg.window,
		Watermark: time.Second, Idle: 6 * time.Second, Lateness: b.cfg.lateness, Dedup: true, Bounded: true, Group: group,
		StateDir: filepath.Join(b.dir, group)}
	var err error
	if st.KafkaProps, err = peers.WriteClientProperties(b.cfg.kafka.Config, b.dir); err != nil {
		return benchFigure{}, err
	}
	launch, err := b.cache.Launch(p, st)
	if err != nil {
		return benchFigure{}, err
	}
	proc, err := peerrun.New(peerrun.Config{Peer: p, Launch: launch, Output: out}, peerrun.Deps{Bus: bus.NewBus()})
	if err != nil {
		return benchFigure{}, err
	}
	start := time.Now()
	if err := proc.Run(ctx); err != nil {
		return benchFigure{}, err
	}
	if s := proc.Status(); s.State != bus.PeerDone {
		return benchFigure{}, fmt.Errorf("%s %s: %s", name, s.State, s.Exit)
	}
	return benchFigure{cpu: proc.Status().CPU, wall: time.Since(start)}, nil
}

// verify judges a results topic against the truth: 0 exceptions, or an error.
func (b *peersBench) verify(ctx context.Context, topic string) error {
	c, err := compare.New(compare.Options{M2Tolerance: -1})
	if err != nil {
		return err
	}
	for k, a := range b.truth {
		c.SetTruth(k, a)
	}
	if err := readResults(ctx, b.cfg.kafka.Config, topic, c.Observe); err != nil {
		return err
	}
	c.Settle(bus.Final, bus.Final)
	r := c.Report(true)
	if r.Settled.Exceptions != 0 {
		var rows []string
		for _, x := range r.Exceptions[:min(len(r.Exceptions), 5)] {
			rows = append(rows, fmt.Sprintf("%s|%s|%d m1 truth %d down %d (count %d/%d)", x.Device, x.Category, x.WindowEnd,
				x.Truth.M1, x.Down.M1, x.Truth.Count, x.Down.Count))
		}
		return fmt.Errorf("%s: %s, not 0 (e.g. %s)", topic, r.Settled, strings.Join(rows, "; "))
	}
	return nil
}

// readResults hands every result of topic (progress records skipped) to observe.
func readResults(ctx context.Context, kc kafka.Config, topic string, observe func(engine.Result)) error {
	cl, err := kc.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return err
	}
	defer cl.Close()
	ends, err := kafka.EndOffsets(ctx, kadm.NewClient(cl), topic)
	if err != nil {
		return err
	}
	left := map[int32]int64{}
	for p, e := range ends {
		if e > 0 {
			left[p] = e
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for len(left) > 0 {
		// A transactional writer's last offsets are commit markers, never
		// returned as records: a partition silent for 3 s is read to its end.
		pctx, pcancel := context.WithTimeout(rctx, 3*time.Second)
		fs := cl.PollFetches(pctx)
		pcancel()
		if rctx.Err() != nil {
			return fmt.Errorf("reading %s: %w", topic, rctx.Err())
		}
		if fs.NumRecords() == 0 && pctx.Err() != nil {
			return nil
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset+1 >= left[r.Partition] {
				delete(left, r.Partition)
			}
			if _, ok := kafka.Header(r, kafka.HeaderProgress); ok {
				return
			}
			if res, err := engine.DecodeResult(r.Value); err == nil {
				observe(res)
			}
		})
	}
	return nil
}

// cleanUp deletes a run's results topic and consumer group.
func (b *peersBench) cleanUp(topic, group string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := b.cfg.kafka.NewClient()
	if err != nil {
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	_, _ = adm.DeleteTopics(ctx, topic)
	_, _ = adm.DeleteGroups(ctx, group)
}

// print writes the table: medians, and the ratio to our engine role.
func (b *peersBench) print(order []string, rows map[string][]benchFigure, wrong map[string]string) error {
	median := func(fs []benchFigure) benchFigure {
		s := slices.Clone(fs)
		slices.SortFunc(s, func(a, b benchFigure) int { return int(a.cpu - b.cpu) })
		return s[len(s)/2]
	}
	ours := median(rows[order[0]]).perCPUSecond()
	w := tabwriter.NewWriter(b.s.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "engine\tevents\tCPU s\tevents per CPU-second\twall s\tours ÷ it\t\n")
	for _, name := range order {
		if why := wrong[name]; why != "" {
			fmt.Fprintf(w, "%s\t—\t—\t—\t—\t—\t\n", name)
			continue
		}
		m := median(rows[name])
		fmt.Fprintf(w, "%s\t%d\t%.2f\t%.0f\t%.1f\t%.1f×\t\n", name, m.events, m.cpu.Seconds(), m.perCPUSecond(), m.wall.Seconds(), ours/m.perCPUSecond())
	}
	fmt.Fprintf(w, "\n")
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(b.s.out, "each engine shown verified 0 exceptions out of %d keys on %s (%d events, lateness %v, dedup on); median of %d runs\n",
		len(b.truth), b.cfg.topic, b.events, b.cfg.lateness, len(rows[order[0]]))
	for _, name := range order {
		if why := wrong[name]; why != "" {
			fmt.Fprintf(b.s.out, "%s: no figure: %s\n", name, why)
		}
	}
	return err
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
