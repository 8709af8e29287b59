package peerrun

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/peers"
	"github.com/twmb/franz-go/pkg/kadm"
)

// DockConfig is the peers of a one-process run.
type DockConfig struct {
	Peers   []peers.Peer
	Cache   peers.Cache
	Base    peers.Settings // every field but Start, Dedup, Watermark, Output and Group
	Results string         // results topic: a peer writes Results.NAME
	Session string         // names each run's consumer groups
	Dir     string         // where each run's state directories go
	Grace   time.Duration  // [10 s]
}

// DockDeps is what a dock works with.
type DockDeps struct {
	Bus      *bus.Bus
	Controls *bus.Controls // dedup and W at each run's start (SPEC §9)
	Kafka    kafka.Config  // to read the peers' committed offsets
	Now      func() time.Time
}

// Dock runs the peers of a one-process run: it fetches them, starts each
// on every run where the injector says the run begins (bus.RunStart),
// restarts them on a reset, and stops them all when its context ends.
type Dock struct {
	cfg   DockConfig
	deps  DockDeps
	pos   map[string]*position
	procs map[string]*Process
	mu    sync.Mutex // procs, for Read's callers
}

// NewDock validates cfg.
func NewDock(cfg DockConfig, deps DockDeps) (*Dock, error) {
	if deps.Bus == nil || deps.Controls == nil {
		return nil, fmt.Errorf("peer dock: %w: a bus and controls are required", bus.ErrConfig)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	d := &Dock{cfg: cfg, deps: deps, pos: map[string]*position{}, procs: map[string]*Process{}}
	for _, p := range cfg.Peers {
		if p.Rates {
			return nil, fmt.Errorf("peer dock: %w: %s is a rate topology, not an engine of events", bus.ErrConfig, p.Name)
		}
		d.pos[p.Name] = &position{}
	}
	return d, nil
}

// Read is the fewest events-topic records any peer has read since the
// session began (the injector's backpressure on the embedded broker).
func (d *Dock) Read() int64 {
	first, least := true, int64(0)
	for _, p := range d.pos { // the map is not written after NewDock
		if p.off.Load() {
			continue
		}
		if n := p.Read(); first || n < least {
			first, least = false, n
		}
	}
	return least
}

// Run fetches the peers, then runs them run after run until ctx ends.
func (d *Dock) Run(ctx context.Context) error {
	starts := d.deps.Bus.Subscribe(4, func(m any) bool { _, ok := m.(*bus.RunStart); return ok })
	defer d.deps.Bus.Unsubscribe(starts)
	ready := d.fetchAll(ctx)
	cl, err := d.deps.Kafka.NewClient()
	if err != nil {
		return fmt.Errorf("peer dock: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var stop func()
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var group func(string) string
	var topic string
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-starts.C():
			rs := m.(*bus.RunStart)
			if stop != nil {
				stop() // a reset: the peers restart on the new run
			}
			topic = rs.Topic
			group = func(name string) string { return fmt.Sprintf("streamtop-peer-%s-%s-%d", name, d.cfg.Session, rs.Run) }
			stop = d.startRun(ctx, ready, rs, group)
		case <-tick.C:
			if group != nil {
				d.updatePositions(ctx, adm, topic, group)
			}
		}
	}
}

// fetchAll fetches every peer; those that fail show so in their row and
// are left out of the runs.
func (d *Dock) fetchAll(ctx context.Context) []peers.Peer {
	var ready []peers.Peer
	for _, p := range d.cfg.Peers {
		st := &bus.PeerStatus{Name: p.Name, Engine: p.Engine, Output: p.Output(d.cfg.Results), State: bus.PeerFetching}
		d.deps.Bus.Publish(st)
		last := d.deps.Now()
		err := d.cfg.Cache.Fetch(ctx, p, func(pr peers.Progress) {
			if now := d.deps.Now(); now.Sub(last) >= 250*time.Millisecond {
				last = now
				s := *st
				s.Progress = fmt.Sprintf("%s %.0f/%.0f MB", pr.Step, float64(pr.Done)/1e6, float64(pr.Total)/1e6)
				d.deps.Bus.Publish(&s)
			}
		})
		if err != nil {
			s := *st
			s.State, s.Exit = bus.PeerFailed, err.Error()
			d.deps.Bus.Publish(&s)
			d.deps.Bus.Publish(bus.LogEntry{Time: d.deps.Now(), Level: bus.Error, Role: "peer " + p.Name, Text: err.Error()})
			d.pos[p.Name].off.Store(true)
			continue
		}
		ready = append(ready, p)
	}
	return ready
}

// startRun starts every ready peer on run rs; the returned func stops them
// and waits until they are gone.
func (d *Dock) startRun(ctx context.Context, ready []peers.Peer, rs *bus.RunStart, group func(string) string) func() {
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	set := d.deps.Controls.Load()
	for _, p := range ready {
		d.pos[p.Name].newRun(rs.Offsets)
		s := d.cfg.Base
		s.Events, s.Output, s.Start, s.Group = rs.Topic, p.Output(d.cfg.Results), rs.Offsets, group(p.Name)
		s.Dedup, s.Watermark = set.Dedup, set.WatermarkLag
		s.StateDir = filepath.Join(d.cfg.Dir, fmt.Sprintf("%s-%d", p.Name, rs.Run))
		if err := d.start(rctx, &wg, p, s); err != nil {
			d.deps.Bus.Publish(&bus.PeerStatus{Name: p.Name, Engine: p.Engine, Output: s.Output, State: bus.PeerFailed, Exit: err.Error()})
		}
	}
	return func() { cancel(); wg.Wait() }
}

// start launches one peer for a run.
func (d *Dock) start(ctx context.Context, wg *sync.WaitGroup, p peers.Peer, s peers.Settings) error {
	launch, err := d.cfg.Cache.Launch(p, s)
	if err != nil {
		return err
	}
	proc, err := New(Config{Peer: p, Launch: launch, Output: s.Output, Grace: d.cfg.Grace}, Deps{Bus: d.deps.Bus, Now: d.deps.Now})
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.procs[p.Name] = proc
	d.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = proc.Run(ctx) // a failure is in its row and the log
	}()
	return nil
}

// updatePositions reads each peer's committed offsets.
func (d *Dock) updatePositions(ctx context.Context, adm *kadm.Client, topic string, group func(string) string) {
	for name, pos := range d.pos {
		if pos.off.Load() {
			continue
		}
		fctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := adm.FetchOffsets(fctx, group(name))
		cancel()
		if err != nil {
			continue // the last count stands: the injector waits rather than outruns
		}
		committed := map[int32]int64{}
		resp.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.Topic == topic {
				committed[o.Partition] = o.At
			}
		})
		pos.update(committed)
	}
}
