package main

import (
	"context"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
)

// lifecycle follows a run from start to teardown (SPEC §7) and publishes
// its RunStatus: it pauses and resets with the controls, ends a real-clock
// run when its duration is over, and after the final verdict either asks
// the screen to stop (auto) or waits for a person to confirm.
type lifecycle struct {
	a       *app
	run     int
	started time.Time
	state   bus.RunState
	ending  bool // the duration is over: tear down after the verdict
	elapsed time.Duration
}

func newLifecycle(a *app) *lifecycle {
	return &lifecycle{a: a, started: time.Now(), state: bus.Running}
}

func (l *lifecycle) loop(ctx context.Context) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var deadline <-chan time.Time
	armTimer := func() {
		deadline = nil
		if l.a.cfg.duration > 0 && !l.a.cfg.virtual() {
			deadline = time.After(l.a.cfg.duration)
		}
	}
	armTimer()
	changed := l.a.controls.Changed()
	l.publish()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			changed = l.a.controls.Changed()
			s := l.a.controls.Load()
			if s.Run != l.run {
				l.run, l.started, l.state, l.ending = s.Run, time.Now(), bus.Running, false
				armTimer()
			}
			switch {
			case s.Confirmed && l.state == bus.AwaitingConfirm:
				l.state = bus.Stopping
			case s.Paused && l.state == bus.Running:
				l.state = bus.Paused
			case !s.Paused && l.state == bus.Paused:
				l.state = bus.Running
			}
		case <-deadline:
			deadline = nil
			l.ending = true
			l.state = bus.Draining
			l.a.injector.Stop(l.run)
		case <-tick.C:
			l.observe()
		}
		l.publish()
	}
}

// observe moves the state along from what the roles report.
func (l *lifecycle) observe() {
	if f := l.a.judge.Final(); f != nil && f.Run == l.run {
		switch l.state {
		case bus.Running, bus.Paused, bus.Draining:
			l.state = bus.Finished
			if l.a.cfg.virtual() && l.a.cfg.duration > 0 {
				l.ending = true
			}
			if l.ending {
				l.state = bus.Stopping
				if l.a.cfg.local.confirmStop {
					l.state = bus.AwaitingConfirm
				}
			}
		}
		return
	}
	snap := l.a.latest.Peek()
	if inj := snap.Injector; inj != nil && inj.Run == l.run && inj.Done && l.state == bus.Running {
		l.state = bus.Draining
	}
}

func (l *lifecycle) publish() {
	switch l.state {
	case bus.Finished, bus.AwaitingConfirm, bus.Stopping: // frozen at the end
	default:
		l.elapsed = time.Since(l.started)
		if l.a.cfg.virtual() {
			l.elapsed = 0
			if in := l.a.latest.Peek().Injector; in != nil && in.Run == l.run && in.Sent > 0 {
				l.elapsed = time.Duration(in.Clock-in.Start) * time.Millisecond
			}
		}
	}
	st := &bus.RunStatus{
		Run: l.run, State: l.state, Broker: l.a.addr, Embedded: l.a.broker != nil,
		Started: l.started, Elapsed: l.elapsed, Duration: l.a.cfg.duration, Clock: l.a.cfg.clock.of(l.a.cfg.inj.replay).String(),
	}
	if err := l.a.failure(); err != nil {
		st.Err = err.Error()
	} else if e := l.a.latest.Peek().Engine; e != nil && e.Err != "" {
		st.Err = e.Err // e.g. the broker is unreachable: shown in the header
	}
	l.a.bus.Publish(st)
}
