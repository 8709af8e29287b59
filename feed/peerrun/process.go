package peerrun

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/peers"
)

// Config is one peer process.
type Config struct {
	Peer   peers.Peer
	Launch peers.Launch
	Output string        // the topic it writes, for its row
	Grace  time.Duration // SIGTERM, then SIGKILL after this [10 s]
	Tail   int           // log lines kept for its row [8]
}

// Deps is what a process works with.
type Deps struct {
	Bus  *bus.Bus
	Now  func() time.Time // [time.Now]
	Proc string           // [/proc]
	// LogTo, when set, gets every line of the peer's log (printable), as
	// `streamtop peers run` shows it.
	LogTo io.Writer
}

// Validate checks cfg.
func (c Config) Validate() error {
	if c.Launch.Path == "" {
		return fmt.Errorf("peer %s: %w: no command", c.Peer.Name, bus.ErrConfig)
	}
	if c.Grace < 0 || c.Tail < 0 {
		return fmt.Errorf("peer %s: %w: negative grace or tail", c.Peer.Name, bus.ErrConfig)
	}
	return nil
}

// Process runs one peer until it ends or is stopped.
type Process struct {
	cfg   Config
	deps  Deps
	st    bus.PeerStatus
	log   *ring
	ready chan struct{}
	said  bool // the peer said done
}

// New validates cfg.
func New(cfg Config, deps Deps) (*Process, error) {
	if cfg.Grace == 0 {
		cfg.Grace = 10 * time.Second
	}
	if cfg.Tail == 0 {
		cfg.Tail = 8
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Bus == nil {
		return nil, fmt.Errorf("peer %s: %w: a bus is required", cfg.Peer.Name, bus.ErrConfig)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Proc == "" {
		deps.Proc = "/proc"
	}
	p := &Process{cfg: cfg, deps: deps, log: newRing(200), ready: make(chan struct{})}
	p.st = bus.PeerStatus{Name: cfg.Peer.Name, Engine: cfg.Peer.Engine, Output: cfg.Output, State: bus.PeerStarting}
	return p, nil
}

// Ready is closed once the peer says it consumes.
func (p *Process) Ready() <-chan struct{} { return p.ready }

// ErrFailed: the peer could not start or exited with an error by itself.
var ErrFailed = errors.New("peer failed")

// line is one line of the peer's output.
type line struct {
	text   string
	stdout bool
}

// Run launches the peer and watches it until it exits, or until ctx ends:
// then it is stopped (SIGTERM to its process group, SIGKILL after Grace),
// so nothing it started is left running. It returns nil when the peer
// ended well (done, or stopped), an error wrapping ErrFailed otherwise.
func (p *Process) Run(ctx context.Context) error {
	cmd, out, err := p.start()
	if err != nil {
		p.fail(err.Error())
		return fmt.Errorf("peer %s: %w: %v", p.cfg.Peer.Name, ErrFailed, err)
	}
	exitC := make(chan error, 1)
	go func() { <-out.closed; exitC <- cmd.Wait() }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case l := <-out.c:
			p.take(l)
		case err := <-exitC:
			out.drain(p.take)
			if ps := cmd.ProcessState; ps != nil {
				// wait4's usage: the process and the children it reaped
				// (CPU summed; the largest resident size of any of them).
				p.st.CPU = max(p.st.CPU, ps.UserTime()+ps.SystemTime())
				if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
					p.st.PeakRSS = max(p.st.PeakRSS, ru.Maxrss*1024) // KiB on Linux
				}
			}
			return p.exited(err)
		case <-tick.C:
			p.sample()
		case <-ctx.Done():
			err := p.stop(cmd, exitC)
			out.drain(p.take)
			p.st.State, p.st.Exit = bus.PeerStopped, "stopped by streamtop"
			if err != nil {
				p.st.Exit += " (" + err.Error() + ")"
			}
			p.publish()
			return nil
		}
	}
}

// start launches the command in its own process group, its output read
// line by line.
func (p *Process) start() (*exec.Cmd, *output, error) {
	l := p.cfg.Launch
	cmd := exec.Command(l.Path, l.Args...)
	cmd.Env = append(os.Environ(), l.Env...)
	// Its own group, so a stop reaches every process it starts; and killed
	// if streamtop dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	p.st.Started, p.st.PID = p.deps.Now(), cmd.Process.Pid
	p.logf(bus.Info, "started (pid %d): %s", cmd.Process.Pid, l.Path)
	p.publish()
	return cmd, readLines(stdout, stderr), nil
}

// output merges a process's stdout and stderr lines.
type output struct {
	c      chan line
	closed chan struct{} // both pipes at EOF
}

func readLines(stdout, stderr io.Reader) *output {
	o := &output{c: make(chan line, 256), closed: make(chan struct{})}
	done := make(chan struct{}, 2)
	read := func(r io.Reader, isOut bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			o.c <- line{text: sc.Text(), stdout: isOut}
		}
		io.Copy(io.Discard, r) // a line over 1 MiB: the rest is not read as lines
		done <- struct{}{}
	}
	go read(stdout, true)
	go read(stderr, false)
	go func() { <-done; <-done; close(o.closed) }()
	return o
}

// drain hands over the lines still buffered.
func (o *output) drain(take func(line)) {
	for {
		select {
		case l := <-o.c:
			take(l)
		default:
			return
		}
	}
}

// take handles one output line.
func (p *Process) take(l line) {
	k, rest := lineLog, l.text
	if l.stdout {
		k, rest = parseLine(l.text)
	}
	rest = compare.Printable(rest)
	switch k {
	case lineReady:
		if p.st.State == bus.PeerStarting {
			p.st.State, p.st.ReadyIn = bus.PeerReady, p.deps.Now().Sub(p.st.Started)
			close(p.ready)
			p.logf(bus.Info, "consuming after %v", p.st.ReadyIn.Round(100*time.Millisecond))
		}
	case lineDone:
		p.said = true
	case lineSettings:
		p.st.Settings = rest
	case lineCannot:
		p.st.Cannot = append(p.st.Cannot, rest)
		p.logf(bus.Warn, "cannot %s", rest)
	default:
		p.log.add(rest)
		if p.deps.LogTo != nil {
			fmt.Fprintf(p.deps.LogTo, "%s | %s\n", p.cfg.Peer.Name, rest)
		}
		return
	}
	p.publish()
}

// exited records how the peer ended by itself.
func (p *Process) exited(err error) error {
	p.sample()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			p.fail(err.Error())
			return fmt.Errorf("peer %s: %w: %v", p.cfg.Peer.Name, ErrFailed, err)
		}
		code = ee.ExitCode()
	}
	if code != 0 {
		p.fail(fmt.Sprintf("exited with status %d", code))
		return fmt.Errorf("peer %s: %w: exited with status %d; its log ends:\n%s", p.cfg.Peer.Name, ErrFailed, code, joinLines(p.log.tail(p.cfg.Tail)))
	}
	p.st.State, p.st.Exit = bus.PeerDone, "exited 0"
	if p.said {
		p.st.Exit = "done: read its input to the end"
	}
	p.logf(bus.Info, "%s", p.st.Exit)
	p.publish()
	return nil
}

// stop ends the process group: SIGTERM, SIGKILL after Grace.
func (p *Process) stop(cmd *exec.Cmd, exitC <-chan error) error {
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(p.cfg.Grace)
	defer t.Stop()
	select {
	case <-exitC:
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // anything of the group that outlived its leader
		return nil
	case <-t.C:
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-exitC
	return fmt.Errorf("killed: still running %v after SIGTERM", p.cfg.Grace)
}

func (p *Process) fail(why string) {
	p.st.State, p.st.Exit = bus.PeerFailed, why
	p.logf(bus.Error, "failed: %s", why)
	p.publish()
}

// sample reads the process tree's CPU and memory.
func (p *Process) sample() {
	if p.st.PID == 0 {
		return
	}
	u := groupUsage(p.deps.Proc, p.st.PID)
	if u.cpu > p.st.CPU {
		p.st.CPU = u.cpu // the tree's CPU never goes back: a reaped child's is counted by its parent
	}
	if u.rss > 0 { // 0: the process is gone; its last size stands
		p.st.RSS = u.rss
		p.st.PeakRSS = max(p.st.PeakRSS, u.rss)
	}
	p.publish()
}

// publish sends a copy of the status.
func (p *Process) publish() {
	st := p.st
	st.Cannot = append([]string(nil), p.st.Cannot...)
	st.Log = p.log.tail(p.cfg.Tail)
	p.deps.Bus.Publish(&st)
}

// Status is the latest status (for the caller of Run, after it returns).
func (p *Process) Status() bus.PeerStatus {
	st := p.st
	st.Log = p.log.tail(p.cfg.Tail)
	return st
}

func (p *Process) logf(l bus.Level, format string, args ...any) {
	p.deps.Bus.Publish(bus.LogEntry{Time: p.deps.Now(), Level: l, Role: "peer " + p.cfg.Peer.Name, Text: fmt.Sprintf(format, args...)})
}

func joinLines(ls []string) string {
	s := ""
	for _, l := range ls {
		s += "  " + l + "\n"
	}
	return s
}
