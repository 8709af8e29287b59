package enginerun

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/inject"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/streamtop/streamtop/feed/sim"
	"github.com/twmb/franz-go/pkg/kadm"
)

// benchTopic is an events topic on the embedded broker written once per
// test binary by the real injector, as `streamtop inject --clock virtual
// --speed 0` writes it: authenticated run headers, clock markers after
// every batch, end markers.
type benchTopic struct {
	broker *kafka.Embedded
	kc     kafka.Config
	key    kafka.RunKey
	events int64
	err    error
}

const (
	benchEvents  = "bench-events"
	benchDevices = 100
	benchPerDev  = 2000 // ~210 K events with the duplicates
)

var (
	benchOnce sync.Once
	benchData benchTopic
)

// writeBenchTopic starts the broker and injects the topic.
func writeBenchTopic() (t benchTopic) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if t.broker, t.err = kafka.StartEmbedded(""); t.err != nil {
		return t
	}
	t.kc = kafka.Config{Brokers: []string{t.broker.Addr()}}
	if t.key, t.err = kafka.NewRunKey(); t.err != nil {
		return t
	}
	cl, err := t.kc.NewClient()
	if err != nil {
		t.err = err
		return t
	}
	defer cl.Close()
	// No retention: the topic is read again by every run.
	if _, t.err = kafka.EnsureTopics(ctx, kadm.NewClient(cl), 4, 1, nil, benchEvents); t.err != nil {
		return t
	}
	controls, err := bus.NewControls(bus.Settings{Rate: 20, Dup: bus.NewToggle(0.05), Late: bus.NewToggle(0.01)})
	if err != nil {
		t.err = err
		return t
	}
	gc := sim.DefaultGeneratorConfig()
	gc.Devices, gc.Events = benchDevices, benchPerDev
	in, err := inject.New(inject.Config{Topic: benchEvents, Generator: gc, Clock: bus.VirtualClock, Window: 5 * time.Second,
		Session: "bench", RunKey: t.key, EndMarker: true, ClockMarkers: true},
		inject.Deps{Client: cl, Bus: bus.NewBus(), Controls: controls})
	if err != nil {
		t.err = err
		return t
	}
	ictx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	select {
	case <-in.Finished():
		t.events = in.Produced()
	case <-ctx.Done():
		t.err = fmt.Errorf("injector: %w", ctx.Err())
	}
	stop()
	if err := <-done; err != nil && t.err == nil {
		t.err = err
	}
	return t
}

// processCPU is this process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRole runs the engine role over the topic as `streamtop engine
// --clock virtual -l 10m` does (a fresh group, merged read, dedup, marker
// checks) until it reports finished, and returns the events it consumed.
func benchRole(b *testing.B, t *benchTopic, group string) int64 {
	ec := engine.DefaultConfig()
	ec.Lateness = 10 * time.Minute
	cfg := Config{Events: benchEvents, Results: "bench-results-" + group, Engine: ec, Clock: bus.VirtualClock,
		Merge: true, RunKey: t.key, Group: group}
	bs := bus.NewBus()
	finished := bs.Subscribe(1, func(m any) bool { st, ok := m.(*bus.EngineStatus); return ok && st.Finished })
	defer bs.Unsubscribe(finished)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := t.kc.NewClient()
	if err != nil {
		b.Fatal(err)
	}
	_, err = kafka.EnsureTopics(ctx, kadm.NewClient(cl), 4, 1, nil, cfg.Results)
	cl.Close()
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(cfg, Deps{Kafka: t.kc, Bus: bs})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.Start(ctx); err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	var st *bus.EngineStatus
	select {
	case m := <-finished.C():
		st = m.(*bus.EngineStatus)
	case err := <-done:
		b.Fatalf("engine stopped before it finished: %v", err)
	case <-ctx.Done():
		b.Fatal("engine did not finish")
	}
	stop()
	<-done
	return st.Consumed
}

// BenchmarkRoleCPU is the engine role's CPU per event, as
// scripts/engine-cpu.sh measures it against a real Kafka: here against the
// embedded broker (kfake) in this process, whose own CPU (serving the
// fetches, taking the results) is counted too. cpu-µs/event and
// events/cpu-s are the figures; ns/op is wall time per run.
func BenchmarkRoleCPU(b *testing.B) {
	benchOnce.Do(func() { benchData = writeBenchTopic() })
	t := &benchData
	if t.err != nil {
		b.Fatal(t.err)
	}
	var cpu time.Duration
	var events int64
	i := 0
	for b.Loop() {
		i++
		c0 := processCPU()
		events += benchRole(b, t, fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i))
		cpu += processCPU() - c0
	}
	if events == 0 {
		b.Fatal("no events read")
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(events), "cpu-µs/event")
	b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
