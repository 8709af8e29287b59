package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/peerrun"
	"github.com/streamtop/streamtop/peers"
	"github.com/twmb/franz-go/pkg/kadm"
)

// peerFlags are what a peer runs with (SPEC §9: the run's start settings).
type peerFlags struct {
	dedup                     bool
	watermark, idle, lateness time.Duration
	bounded, fromEnd          bool
	group                     string
}

func defaultPeerFlags() peerFlags {
	e := defaultEngineFlags()
	return peerFlags{dedup: e.dedup, watermark: e.watermark, idle: e.idle}
}

func (p *peerFlags) bind(b *binder) {
	b.in(grpPeers)
	b.boolean(&p.dedup, "dedup", "", "the peer drops event ids it saw before (--dedup=false to count duplicates)")
	b.duration(&p.watermark, "watermark", "", "W: the peer's bounded out-of-orderness / watermark delay")
	b.duration(&p.idle, "idle", "", "a partition silent this long stops holding the peer's watermark back (Flink withIdleness)")
	b.duration(&p.lateness, "lateness", "l", "allowed lateness / grace: a fired window stays open this long")
	b.boolean(&p.bounded, "bounded", "", "read the input to its end as of the start, flush every window and exit")
	b.boolean(&p.fromEnd, "from-end", "", "start at the end of the input (default: its start)")
	b.str(&p.group, "group", "g", "consumer group / application id (default streamtop-peer-NAME)")
}

func (p peerFlags) Validate() error {
	if p.watermark < 0 || p.lateness < 0 || p.idle < time.Millisecond {
		return errors.New("--watermark and --lateness must not be negative, --idle at least 1ms")
	}
	return nil
}

// peersRunConfig is `streamtop peers run`'s.
type peersRunConfig struct {
	kafka  kafkaFlags
	topics topicFlags
	clock  clockFlags // the window only
	peer   peerFlags
	rates  rateFlags
	prof   profileFlags
}

func defaultPeersRunConfig() peersRunConfig {
	return peersRunConfig{kafka: defaultKafkaFlags(), topics: defaultTopicFlags(), clock: defaultClockFlags(),
		peer: defaultPeerFlags(), rates: defaultRateFlags()}
}

func (c *peersRunConfig) bind(b *binder) {
	c.peer.bind(b)
	c.clock.bindWindow(b)
	b.in(grpPeers)
	b.float(&c.rates.threshold, "rate-threshold", "", "the rate peer: alert when |variation| reaches this (CNY)")
	b.boolean(&c.rates.strict, "rate-strict", "", "the rate peer: alert on |variation| > threshold instead of ≥")
	c.kafka.bind(b)
	c.topics.bind(b)
	c.prof.bind(b)
}

func (c *peersRunConfig) complete(func(string) bool) error { return c.kafka.complete() }

func (c *peersRunConfig) Validate() error {
	return firstError(c.kafka.required(), c.topics.Validate(), c.peer.Validate(), c.clock.Validate())
}

func (c *peersRunConfig) profiles() profileFlags { return c.prof }

// newPeersCommand is `streamtop peers`: list, fetch, run.
func newPeersCommand(s streams) *cobra.Command {
	c := &cobra.Command{Use: "peers", GroupID: "tools", Short: "Real stream engines judged beside ours: list, fetch, run",
		Long: `streamtop peers — reference jobs for Apache Flink, Kafka Streams, Spark and Storm (docs/semantics.md §9), each reading the events topic and writing results to a topic of its own (aggregates.NAME), judged like our engine (streamtop compare -D topic:aggregates.NAME).

Jobs are embedded in this binary; their jars are downloaded from Maven Central ($STREAMTOP_MAVEN_REPO for a mirror) and checked against pinned SHA-256 sums, then compiled with a JDK 17 ($STREAMTOP_JAVA_HOME); Spark's pyspark goes into a hash-checked venv. Everything is cached in $STREAMTOP_CACHE (default ~/.cache/streamtop).`,
		Args: noArgs}
	cfg := defaultPeersRunConfig()
	runCmd := newCommand(cmdText{use: "run NAME", short: "Run one peer headless against a cluster until it ends or a signal",
		long: `streamtop peers run — runs one peer headless against a Kafka cluster: fetches it if needed, creates its output topic, starts it and shows its log until it ends (--bounded) or a signal stops it.`,
		example: `streamtop peers run flink -b k1:9092 --lateness 10m --bounded
streamtop peers run storm -b k1:9092`}, &cfg, func(c *cobra.Command) error {
		return runPeer(c.Context(), c.Flags().Arg(0), &cfg, s)
	})
	runCmd.Args = cobra.ExactArgs(1)
	runCmd.ValidArgsFunction = peerNames
	var all bool
	fetch := &cobra.Command{Use: "fetch [NAME...]", Short: "Download, check and build peers (with progress)",
		Example: "streamtop peers fetch flink kstreams\nstreamtop peers fetch --all", ValidArgsFunction: peerNames,
		RunE: func(c *cobra.Command, args []string) error {
			return inCommand(c, fetchPeers(c.Context(), args, all, s))
		}}
	fetch.Flags().BoolVar(&all, "all", false, "every peer (Spark's is a 0.5 GB download)")
	list := &cobra.Command{Use: "list", Short: "The peers, their versions and what is cached", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return inCommand(c, listPeers(s)) }}
	c.AddCommand(list, fetch, runCmd, newPeersBenchCommand(s))
	return c
}

func peerNames(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var names []string
	for _, p := range peers.All() {
		names = append(names, p.Name+"\t"+p.Engine)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// listPeers prints every peer with what the cache holds of it.
func listPeers(s streams) error {
	cache, err := peers.DefaultCache()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tENGINE\tCACHED\tNOTE")
	for _, p := range peers.All() {
		st, err := cache.State(p)
		cached := "yes"
		switch {
		case err != nil:
			cached = "error: " + err.Error()
		case st.MissingJars > 0:
			cached = fmt.Sprintf("no (%d jars, %.0f MB to fetch)", st.MissingJars, float64(st.MissingBytes)/1e6)
		case !st.Built:
			cached = "jars only (not built)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Name, p.Engine, cached, p.Teaches)
	}
	fmt.Fprintf(w, "\ncache: %s\n", cache.Root)
	return w.Flush()
}

// fetchPeers fetches and builds the named peers (every one with all).
func fetchPeers(ctx context.Context, names []string, all bool, s streams) error {
	var ps []peers.Peer
	switch {
	case all && len(names) > 0:
		return usageErr(errors.New("name peers or give --all, not both"))
	case all:
		ps = peers.All()
	case len(names) == 0:
		return usageErr(errors.New("which peers? name them (see `streamtop peers list`) or give --all"))
	}
	for _, n := range names {
		p, err := peers.Lookup(n)
		if err != nil {
			return usageErr(err)
		}
		ps = append(ps, p)
	}
	cache, err := peers.DefaultCache()
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := fetchPeer(ctx, cache, p, s); err != nil {
			return err
		}
	}
	return nil
}

// fetchPeer fetches one peer, showing progress on stderr.
func fetchPeer(ctx context.Context, cache peers.Cache, p peers.Peer, s streams) error {
	line := newProgressLine(s.err)
	start := time.Now()
	err := cache.Fetch(ctx, p, func(pr peers.Progress) {
		switch pr.Step {
		case "jars":
			line.set(fmt.Sprintf("%s: jars %.1f / %.1f MB  %s", p.Name, float64(pr.Done)/1e6, float64(pr.Total)/1e6, pr.Item))
		default:
			line.set(fmt.Sprintf("%s: %s %s", p.Name, pr.Step, pr.Item))
		}
	})
	line.done()
	if err != nil {
		return fmt.Errorf("fetch %s: %w", p.Name, err)
	}
	fmt.Fprintf(s.err, "%s: ready (%s) in %v\n", p.Name, p.Engine, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// runPeer runs one peer headless until it ends or a signal stops it.
func runPeer(ctx context.Context, name string, cfg *peersRunConfig, s streams) error {
	p, err := peers.Lookup(name)
	if err != nil {
		return usageErr(err)
	}
	cache, err := peers.DefaultCache()
	if err != nil {
		return err
	}
	if err := fetchPeer(ctx, cache, p, s); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "streamtop-peer-"+p.Name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	settings, err := peerSettings(ctx, p, cfg, dir)
	if err != nil {
		return err
	}
	launch, err := cache.Launch(p, settings)
	if err != nil {
		return err
	}
	h := newHeadless("peers run", 0, s.err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.printLogs(ctx)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.stopOn(ctx, stop, cancel, true)
	proc, err := peerrun.New(peerrun.Config{Peer: p, Launch: launch, Output: settings.Output},
		peerrun.Deps{Bus: h.bus, LogTo: s.err})
	if err != nil {
		return err
	}
	err = proc.Run(runCtx)
	st := proc.Status()
	h.logf(fmt.Sprintf("%s %s: %s; ready in %v, CPU %v, peak RSS %.0f MB", p.Name, st.State, st.Exit,
		st.ReadyIn.Round(100*time.Millisecond), st.CPU.Round(10*time.Millisecond), float64(st.PeakRSS)/1e6))
	return err
}

// peerSettings are p's settings from cfg, its output topics created and,
// with --from-end, its start offsets read.
func peerSettings(ctx context.Context, p peers.Peer, cfg *peersRunConfig, dir string) (peers.Settings, error) {
	t := cfg.topics.names
	s := peers.Settings{Brokers: strings.Join(cfg.kafka.Brokers, ","), Events: t.Events, Output: p.Output(t.Results),
		Window: cfg.clock.window, Watermark: cfg.peer.watermark, Idle: cfg.peer.idle, Lateness: cfg.peer.lateness,
		Dedup: cfg.peer.dedup, Bounded: cfg.peer.bounded, Group: cfg.peer.group, StateDir: dir,
		Threshold: cfg.rates.threshold, Strict: cfg.rates.strict}
	outputs := []string{s.Output}
	if p.Rates {
		s.Events, s.Output = t.RateInput, ""
		s.RateOut, s.GapOut, s.AlertOut = t.RateOutput+"."+p.Name, t.RateGap+"."+p.Name, t.RateAlert+"."+p.Name
		outputs = []string{s.RateOut, s.GapOut, s.AlertOut}
	}
	tf := cfg.topics
	if p.Rates {
		tf.partitions = 1 // rate records are matched in order: one partition keeps it
	}
	if err := ensureTopics(ctx, cfg.kafka.Config, tf, nil, outputs...); err != nil {
		return s, err
	}
	var err error
	if s.KafkaProps, err = peers.WriteClientProperties(cfg.kafka.Config, dir); err != nil {
		return s, err
	}
	if cfg.peer.fromEnd {
		cl, err := cfg.kafka.NewClient()
		if err != nil {
			return s, err
		}
		defer cl.Close()
		if s.Start, err = kafka.EndOffsets(ctx, kadm.NewClient(cl), s.Events); err != nil {
			return s, fmt.Errorf("start offsets of %s: %w", s.Events, err)
		}
	}
	return s, nil
}
