package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Settings are what a peer runs with (the run's start settings, SPEC §9).
type Settings struct {
	Brokers    string // bootstrap servers
	KafkaProps string // a properties file of client settings (TLS, SASL); "" none
	Events     string // events topic (input topic of the rate peer)
	Output     string // results topic [Peer.Output]
	Window     time.Duration
	Watermark  time.Duration // W
	Idle       time.Duration
	Lateness   time.Duration
	Dedup      bool
	Start      map[int32]int64 // start offsets; unlisted partitions from their earliest
	Bounded    bool            // read to the end as of the start, then exit
	Group      string          // consumer group / application id
	StateDir   string          // private state directory

	// The rate peer's topics and threshold (SPEC §5).
	RateOut, GapOut, AlertOut string
	Threshold                 float64
	Strict                    bool
}

// Launch is the command that runs a peer.
type Launch struct {
	Path string
	Args []string // without Path
	Env  []string // added to the environment
}

// String is the command line, for logs.
func (l Launch) String() string { return l.Path + " " + strings.Join(l.Args, " ") }

// Launch is the command that runs p with s. p must be fetched (Fetch).
func (c Cache) Launch(p Peer, s Settings) (Launch, error) {
	dir, err := c.buildDir(p)
	if err != nil {
		return Launch{}, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		return Launch{}, fmt.Errorf("peer %s is not fetched yet: run `streamtop peers fetch %s`", p.Name, p.Name)
	}
	jars, err := p.Jars()
	if err != nil {
		return Launch{}, err
	}
	home, err := JDK()
	if err != nil {
		return Launch{}, err
	}
	args := append(p.jobArgs(s), p.Args...)
	if p.Kind == Python {
		cp := strings.ReplaceAll(c.classpath(jars), string(os.PathListSeparator), ",")
		return Launch{Path: filepath.Join(dir, "venv", "bin", "python"),
			Args: append([]string{filepath.Join(dir, "src", p.Dir, p.Main), "--jars", cp}, args...),
			Env:  []string{"JAVA_HOME=" + home, "PYSPARK_PYTHON=" + filepath.Join(dir, "venv", "bin", "python")}}, nil
	}
	cp := filepath.Join(dir, "classes") + string(os.PathListSeparator) + c.classpath(jars)
	jvm := append(p.JVMOptions(), "-cp", cp, p.Main)
	return Launch{Path: filepath.Join(home, "bin", "java"), Args: append(jvm, args...), Env: []string{"JAVA_HOME=" + home}}, nil
}

// jobArgs are the contract's arguments (peers/README.md) for s.
func (p Peer) jobArgs(s Settings) []string {
	a := []string{"--brokers", s.Brokers}
	add := func(k, v string) {
		if v != "" {
			a = append(a, "--"+k, v)
		}
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	add("kafka-props", s.KafkaProps)
	add("state-dir", s.StateDir)
	add("start", Offsets(s.Start))
	add("bounded", strconv.FormatBool(s.Bounded))
	if p.Rates {
		add("input", s.Events)
		add("rate-out", s.RateOut)
		add("gap-out", s.GapOut)
		add("alert-out", s.AlertOut)
		add("threshold", strconv.FormatFloat(s.Threshold, 'f', -1, 64))
		add("strict", strconv.FormatBool(s.Strict))
		return a
	}
	add("events", s.Events)
	add("output", s.Output)
	add("engine", p.Name)
	add("group", s.Group)
	add("window", ms(s.Window))
	add("watermark", ms(s.Watermark))
	add("idle", ms(s.Idle))
	add("lateness", ms(s.Lateness))
	add("dedup", strconv.FormatBool(s.Dedup))
	return a
}

// Offsets is the contract's form of start offsets: P:O,P:O by partition.
func Offsets(m map[int32]int64) string {
	ps := make([]int32, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d", p, m[p])
	}
	return b.String()
}
