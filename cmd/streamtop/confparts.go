package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/inject"
	"github.com/streamtop/streamtop/feed/sim"

	"github.com/streamtop/streamtop/engine"
)

// injectorFlags are the simulated devices (or the replayed file).
type injectorFlags struct {
	seed           int64
	devices        int
	events         int
	rate           float64
	dup, late, ooo float64
	dupWindow      int
	oooMax         time.Duration
	start          time.Time
	speed          float64
	replay         string
	record         string // write what is sent here, in the replay's form
	eventFormat    string // json or pipe
	linger         time.Duration
}

func defaultInjectorFlags() injectorFlags {
	return injectorFlags{seed: 34, devices: 1, rate: 20, dup: 0.05, late: 0.01, dupWindow: 10000,
		oooMax: 3 * time.Second, start: sim.StartInstant, eventFormat: "json", linger: 5 * time.Millisecond}
}

func (i *injectorFlags) bind(b *binder, eventsUsage, speedUsage string) {
	b.in(grpInjector)
	b.int64(&i.seed, "seed", "s", "random seed: fixes device ids and every event")
	b.integer(&i.devices, "devices", "n", "number of simulated devices")
	b.integer(&i.events, "events", "e", eventsUsage)
	b.float(&i.rate, "rate", "r", "events/s per device (gaps uniform in [0, 2/rate))")
	b.float(&i.dup, "dup", "", "probability that an event is followed by a duplicate of an earlier one")
	b.float(&i.late, "late", "", "probability that an event is late (device time 120–420 s before send time)")
	b.float(&i.ooo, "ooo", "", "probability that an event is out of order (device time up to 3 s before send time)")
	b.integer(&i.dupWindow, "dup-window", "", "a duplicate repeats one of the device's last N events")
	b.duration(&i.oooMax, "ooo-max", "", "largest lag of an out-of-order event")
	b.value(timeValue{&i.start}, "start", "", "virtual clock origin, RFC 3339")
	b.float(&i.speed, "speed", "", speedUsage)
	b.str(&i.replay, "replay", "", "replay this recorded `file` instead of generating (JSON lines with \"send\", or the original printed form)")
	b.str(&i.record, "record", "", "write every event sent, with its send time, to `file` in the form --replay reads (JSON lines); the file holds the first run: a reset (r on the screen) ends the recording")
	b.str(&i.eventFormat, "event-format", "", "events on the topic: json, or pipe (the original text form id|device|time|category|m1|m2)")
	b.duration(&i.linger, "linger", "", "producer linger: batching delay before a produce request")
}

func (i injectorFlags) Validate() error {
	return firstError(validProbabilities(i), i.validCounts(), i.validSource())
}

func validProbabilities(i injectorFlags) error {
	for _, p := range []struct {
		name string
		p    float64
	}{{"dup", i.dup}, {"late", i.late}, {"ooo", i.ooo}} {
		if math.IsNaN(p.p) || p.p < 0 || p.p > 1 {
			return fmt.Errorf("--%s %v: want a probability in [0,1]", p.name, p.p)
		}
	}
	return nil
}

func (i injectorFlags) validCounts() error {
	switch {
	case i.devices < 1 || i.devices > 100000:
		return fmt.Errorf("--devices %d: want 1 to 100000", i.devices)
	case i.events < 0:
		return fmt.Errorf("--events %d: want 0 (unbounded) or more", i.events)
	case !(i.rate > 0) || math.IsInf(i.rate, 0) || i.rate > 1e6:
		return fmt.Errorf("--rate %v: want events/s per device in (0, 1e6]", i.rate)
	case i.dupWindow < 1:
		return fmt.Errorf("--dup-window %d: want at least 1", i.dupWindow)
	case i.oooMax < 0:
		return fmt.Errorf("--ooo-max %v: must not be negative", i.oooMax)
	case i.linger < 0:
		return fmt.Errorf("--linger %v: must not be negative", i.linger)
	case i.speed < 0 || math.IsNaN(i.speed) || math.IsInf(i.speed, 0):
		return fmt.Errorf("--speed %v: want 0 (unthrottled) or a positive factor", i.speed)
	}
	return nil
}

func (i injectorFlags) validSource() error {
	if i.eventFormat != "json" && i.eventFormat != "pipe" {
		return fmt.Errorf("--event-format %q: want json or pipe", i.eventFormat)
	}
	if i.replay != "" {
		in, err := os.Stat(i.replay)
		if err != nil {
			return fmt.Errorf("--replay: %w", err)
		}
		if out, err := os.Stat(i.record); err == nil && os.SameFile(in, out) {
			return fmt.Errorf("--record %s is the --replay file: recording would truncate it", i.record)
		}
	}
	return nil
}

// openRecord creates the --record file before the run starts: a path that
// cannot be created is bad usage. nil when not recording.
func openRecord(i injectorFlags) (*inject.Recorder, error) {
	if i.record == "" {
		return nil, nil
	}
	rec, err := inject.CreateRecorder(i.record)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--%w", err))
	}
	return rec, nil
}

// closeRecord flushes and closes the --record file: an error writing it
// fails a run that went through (it would otherwise end 0 or 3, the file
// short).
func closeRecord(rec *inject.Recorder, err error) error {
	if rec == nil {
		return err
	}
	if cerr := rec.Close(); cerr != nil && (err == nil || errors.Is(err, errExceptions)) {
		return cerr
	}
	return err
}

// settingsOf are the live knobs the flags start with.
func settingsOf(i injectorFlags, e engineFlags) bus.Settings {
	return bus.Settings{
		Dup: bus.NewToggle(i.dup), Late: bus.NewToggle(i.late), OOO: bus.NewToggle(i.ooo),
		Rate: i.rate, Mode: e.mode, Dedup: e.dedup, WatermarkLag: e.watermark,
	}
}

// engineFlags are the windowing engine's.
type engineFlags struct {
	mode      engine.Mode
	dedup     bool
	watermark time.Duration
	idle      time.Duration
	lateness  time.Duration
	dedupTTL  time.Duration
	maxSkew   time.Duration
	maxKeys   int
	name      string
	resultsTo string // kafka, cassandra or both
	fromEnd   bool
	group     string // consumer group (the engine subcommand's)
}

func defaultEngineFlags() engineFlags {
	ec := engine.DefaultConfig()
	return engineFlags{dedup: ec.Dedup, watermark: ec.Watermark, idle: ec.Idle, dedupTTL: ec.DedupTTL,
		maxSkew: ec.MaxSkew, maxKeys: ec.MaxKeys, name: ec.Name, resultsTo: "kafka", group: "streamtop-engine"}
}

func (e *engineFlags) bind(b *binder) {
	b.in(grpEngine)
	b.value(modeValue{&e.mode}, "engine", "", "engine time mode: event, processing or microbatch")
	b.boolean(&e.dedup, "dedup", "", "engine drops ids it accepted before (--dedup=false to count duplicates)")
	b.duration(&e.watermark, "watermark", "", "watermark lag W behind a partition's max device time")
	b.duration(&e.idle, "idle", "", "a caught-up partition silent this long stops holding the watermark back")
	b.duration(&e.lateness, "lateness", "l", "allowed lateness: a fired window stays open this long")
	b.duration(&e.dedupTTL, "dedup-ttl", "", "processing time: how long the engine remembers ids")
	b.duration(&e.maxSkew, "max-skew", "", "an event more than this ahead of its arrival does not move the watermark (a faulty device clock); 0 disables")
	b.integer(&e.maxKeys, "max-keys", "", "open (device, category, window) keys the engine holds; past it new keys are shed, counted, and their windows reported incomplete; 0 = no cap")
	b.str(&e.name, "engine-name", "", "the engine field of results (and its Cassandra source name)")
	b.str(&e.resultsTo, "results-to", "", "where results go: kafka, cassandra or both (cassandra needs --cassandra)")
	b.boolean(&e.fromEnd, "from-end", "", "a new consumer group starts at the end of the events topic (default: its start)")
}

func (e engineFlags) Validate() error {
	switch {
	case e.watermark < 0 || e.lateness < 0:
		return errors.New("--watermark and --lateness must not be negative")
	case e.idle < time.Millisecond:
		return fmt.Errorf("--idle %v: want at least 1ms", e.idle)
	case e.maxSkew < 0 || e.maxKeys < 0:
		return errors.New("--max-skew and --max-keys must not be negative")
	case e.dedupTTL < time.Millisecond:
		return fmt.Errorf("--dedup-ttl %v: want at least 1ms", e.dedupTTL)
	case e.resultsTo != "kafka" && e.resultsTo != "cassandra" && e.resultsTo != "both":
		return fmt.Errorf("--results-to %q: want kafka, cassandra or both", e.resultsTo)
	case e.name == "" || e.group == "":
		return errors.New("--engine-name and --group must not be empty")
	}
	return nil
}

// config is the engine's own configuration for windows of this size.
func (e engineFlags) config(window time.Duration) (engine.Config, error) {
	ec := engine.DefaultConfig()
	ec.Mode, ec.Dedup, ec.Watermark = e.mode, e.dedup, e.watermark
	ec.Idle, ec.Lateness, ec.Window, ec.DedupTTL = e.idle, e.lateness, window, e.dedupTTL
	ec.MaxSkew, ec.MaxKeys = e.maxSkew, e.maxKeys
	ec.Name = e.name
	return ec, ec.Validate()
}

// clockFlags are the run's clock and its windows.
type clockFlags struct {
	clock  bus.Clock
	window time.Duration
}

func defaultClockFlags() clockFlags {
	return clockFlags{clock: bus.RealClock, window: 5 * time.Second}
}

func (c *clockFlags) bindWindow(b *binder) {
	b.in(grpRun).duration(&c.window, "window", "w", "tumbling window size")
}

func (c *clockFlags) bindClock(b *binder) {
	b.in(grpRun).value(clockValue{&c.clock}, "clock", "", "real (wall clock, paced) or virtual (computed send times, reproducible)")
}

func (c clockFlags) Validate() error {
	if c.window < time.Millisecond || c.window%time.Millisecond != 0 {
		return fmt.Errorf("--window %v: want a whole number of milliseconds, at least 1ms", c.window)
	}
	return nil
}

// virtual reports whether send times are computed (the virtual clock, or
// a replay's recorded times).
func (c clockFlags) virtual(replay string) bool { return c.clock == bus.VirtualClock || replay != "" }

// clockOf is the run's clock.
func (c clockFlags) of(replay string) bus.Clock {
	if c.virtual(replay) {
		return bus.VirtualClock
	}
	return bus.RealClock
}

// bindDuration binds --duration.
func bindDuration(b *binder, p *time.Duration, usage string) {
	b.in(grpRun).duration(p, "duration", "d", usage)
}

func validDuration(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("--duration %v: must not be negative", d)
	}
	return nil
}

// reportFlags are how a verdict is printed.
type reportFlags struct {
	format    string // text, json or csv
	failOnExc bool
}

func defaultReportFlags() reportFlags { return reportFlags{format: "text"} }

func (r *reportFlags) bind(b *binder) {
	b.in(grpOutput)
	b.str(&r.format, "report", "o", "report format: text, json or csv")
	b.boolean(&r.failOnExc, "fail-on-exceptions", "", "exit 3 when the final score has exceptions")
}

func (r reportFlags) Validate() error {
	switch r.format {
	case "text", "json", "csv":
		return nil
	}
	return fmt.Errorf("--report %q: want text, json or csv", r.format)
}

// profileFlags write pprof profiles of the run.
type profileFlags struct {
	cpu string // a CPU profile of the whole run
	mem string // a heap profile, every few seconds
}

func (p *profileFlags) bind(b *binder) {
	b.in(grpOutput)
	b.str(&p.cpu, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this `file`")
	b.str(&p.mem, "memprofile", "", "write a heap profile (pprof) to this `file` every 5 s while running")
}

// maxFPS is the screen's highest frame rate (tui.New refuses more).
const maxFPS = 60

func bindFPS(b *binder, p *int) {
	b.in(grpOutput).integer(p, "fps", "", "screen frames per second (a counter shows a produced event within a status period and a frame)")
}

func validFPS(fps int) error {
	if fps < 1 || fps > maxFPS {
		return fmt.Errorf("--fps %d: want 1 to %d", fps, maxFPS)
	}
	return nil
}

// firstError is the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// parseDownstream reads a --downstream value: its kind (topic, table,
// boontadata or rates) and its name.
func parseDownstream(v string) (kind, name string, err error) {
	kind, name, _ = strings.Cut(v, ":")
	switch kind {
	case "topic", "table":
		if name == "" {
			return "", "", fmt.Errorf("--downstream %q: %s needs a name (%s:NAME)", v, kind, kind)
		}
	case "boontadata":
		if name == "" {
			name = "downstream"
		}
	case "rates":
		if name == "" {
			name = "storm"
		}
	default:
		return "", "", fmt.Errorf("--downstream %q: want topic:NAME, table:ENGINE, boontadata[:SUFFIX] or rates[:SUFFIX]", v)
	}
	return kind, name, nil
}
