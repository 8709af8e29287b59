package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/judge"
	"github.com/streamtop/streamtop/feed/peerrun"
	"github.com/streamtop/streamtop/peers"
)

// validPeers checks --peer: known engines of events, each once, and on the
// embedded broker only those whose read position it can see.
func validPeers(names []string, k kafkaFlags) error {
	seen := map[string]bool{}
	for _, n := range names {
		p, err := peers.Lookup(n)
		if err != nil {
			return fmt.Errorf("--peer: %w", err)
		}
		switch {
		case seen[n]:
			return fmt.Errorf("--peer %s given twice", n)
		case p.Rates:
			return fmt.Errorf("--peer %s is the rate topology: run it with `streamtop peers run %s` and judge it with `streamtop compare -D rates:%s`", n, n, n)
		case p.NoPosition && len(k.Brokers) == 0:
			return fmt.Errorf("--peer %s cannot run on the embedded broker: it reports no read position, so the broker's size-bounded retention could drop records it has not read; use --brokers (a real Kafka)", n)
		}
		seen[n] = true
	}
	return nil
}

// appPeers are the peers of a one-process run: the dock that runs them
// and a judge for each.
type appPeers struct {
	list   []peers.Peer
	dock   *peerrun.Dock
	judges []*judge.Judge
}

// fetchAppPeers fetches --peer's peers before anything else starts, with a
// progress line on stderr (the screen is not up yet).
func fetchAppPeers(ctx context.Context, names []string, s streams) error {
	if len(names) == 0 {
		return nil
	}
	cache, err := peers.DefaultCache()
	if err != nil {
		return err
	}
	for _, n := range names {
		p, err := peers.Lookup(n)
		if err != nil {
			return err
		}
		if err := fetchPeer(ctx, cache, p, s); err != nil {
			return err
		}
	}
	return nil
}

// buildPeers creates the peers' topics, their dock and their judges.
func (a *app) buildPeers(ctx context.Context) error {
	cfg := a.cfg
	if len(cfg.peers) == 0 {
		return nil
	}
	cache, err := peers.DefaultCache()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "streamtop-peers-")
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { os.RemoveAll(dir) })
	props, err := peers.WriteClientProperties(a.kafka, dir)
	if err != nil {
		return err
	}
	var outputs []string
	for _, n := range cfg.peers {
		p, _ := peers.Lookup(n) // validated
		a.peers.list = append(a.peers.list, p)
		outputs = append(outputs, p.Output(a.topics.Results))
	}
	if err := ensureTopics(ctx, a.kafka, cfg.topics, a.topicConfigs, outputs...); err != nil {
		return err
	}
	base := peers.Settings{Brokers: strings.Join(a.kafka.Brokers, ","), KafkaProps: props, Window: cfg.clock.window,
		Idle: cfg.eng.idle, Lateness: cfg.eng.lateness}
	a.peers.dock, err = peerrun.NewDock(peerrun.DockConfig{Peers: a.peers.list, Cache: cache, Base: base,
		Results: a.topics.Results, Session: a.session, Dir: dir}, peerrun.DockDeps{Bus: a.bus, Controls: a.controls, Kafka: a.kafka})
	if err != nil {
		return err
	}
	for _, p := range a.peers.list {
		j, err := a.peerJudge(ctx, p)
		if err != nil {
			return err
		}
		a.peers.judges = append(a.peers.judges, j)
	}
	return nil
}

// peerJudge judges one peer's results topic like our engine's: the same
// truth and sends from the bus; its side settles by SPEC §9.
func (a *app) peerJudge(ctx context.Context, p peers.Peer) (*judge.Judge, error) {
	cfg := a.cfg
	out := p.Output(a.topics.Results)
	j, err := judge.New(judge.Config{
		Downstream: p.Name + " (topic " + out + ")", Engine: p.Name,
		Options: compare.Options{M2Tolerance: cfg.cmp.m2Tol, Window: cfg.clock.window, DedupTTL: cfg.eng.dedupTTL},
		Session: a.session,
		// Every peer windows by event time; dedup is the run's start setting.
		Settings: &compare.Downstream{ModeKnown: true, Mode: engine.EventTime, Dedup: cfg.eng.dedup, Count: true},
		Peer:     &judge.PeerSettle{Lateness: cfg.eng.lateness, Idle: cfg.eng.idle},
	}, judge.Deps{Bus: a.bus, Controls: a.controls, Truth: judge.NewBusTruth(a.bus), Sent: judge.NewBusSent(a.bus),
		Down: judge.NewKafkaDown(judge.KafkaConfig{Events: a.topics.Events, Results: out, FromEnd: a.broker == nil, RunKey: a.runKey}, a.kafka)})
	if err != nil {
		return nil, err
	}
	return j, j.Start(ctx)
}

// startPeers runs the dock and the peers' judges.
func (a *app) startPeers(run func(string, func(context.Context) error)) {
	if a.peers.dock == nil {
		return
	}
	run("peers", a.peers.dock.Run)
	for _, j := range a.peers.judges {
		run("compare "+j.Label(), j.Run)
	}
}

// read is what the injector's backpressure waits for on the embedded
// broker: the fewest records any reader (our engine, a peer) has read.
func (a *app) read() int64 {
	n := a.engine.Read()
	if a.peers.dock != nil {
		n = min(n, a.peers.dock.Read())
	}
	return n
}

// peerVerdicts waits (up to timeout) for the peers' final verdicts and
// returns each peer's last one.
func (a *app) peerVerdicts(timeout time.Duration) []*bus.CompareStatus {
	deadline := time.After(timeout)
	var out []*bus.CompareStatus
	for _, j := range a.peers.judges {
		select {
		case <-j.Done():
		case <-deadline:
		}
		if f := j.Final(); f != nil {
			out = append(out, f)
		} else {
			out = append(out, lastStatus(j))
		}
	}
	return out
}
