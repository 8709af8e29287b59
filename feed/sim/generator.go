package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/engine"
)

// GeneratorConfig fixes a simulated run (SPEC §2). A seed and a run number
// fix every event; DefaultGeneratorConfig gives the originals' values.
type GeneratorConfig struct {
	Seed       int64
	Run        int           // reset number: a new run draws new devices
	Devices    int           // [1]
	Events     int           // originals per device; 0 = unbounded
	Start      int64         // clock origin, ms since the epoch
	DupWindow  int           // a duplicate repeats one of the device's last DupWindow events [10000]
	LateMin    time.Duration // a late event lags at least this [120s]
	LateSpread time.Duration // … plus U·LateSpread [300s]
	OOOMax     time.Duration // an out-of-order event lags U·OOOMax [3s]
}

// StartInstant is SPEC's virtual clock origin, 2026-01-01T00:00:00Z.
var StartInstant = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultGeneratorConfig returns SPEC §2's defaults (300 originals, the
// headless default).
func DefaultGeneratorConfig() GeneratorConfig {
	return GeneratorConfig{
		Seed:       34,
		Devices:    1,
		Events:     300,
		Start:      StartInstant.UnixMilli(),
		DupWindow:  10000,
		LateMin:    120 * time.Second,
		LateSpread: 300 * time.Second,
		OOOMax:     3 * time.Second,
	}
}

// Knobs are the live probabilities and rate of a generator.
type Knobs struct {
	Dup, Late, OOO float64 // probabilities per original event
	Rate           float64 // events/s per device; gaps are uniform in [0, 2/Rate)
}

// DefaultKnobs are SPEC §2's: dup 5%, late 1%, ooo off, 20 events/s.
func DefaultKnobs() Knobs { return Knobs{Dup: 0.05, Late: 0.01, Rate: 20} }

func (k Knobs) validate() error {
	for _, p := range []float64{k.Dup, k.Late, k.OOO} {
		if math.IsNaN(p) || p < 0 || p > 1 {
			return fmt.Errorf("generator: probability %v must be within [0,1]", p)
		}
	}
	if !(k.Rate > 0) || math.IsInf(k.Rate, 0) {
		return fmt.Errorf("generator: rate %v must be a positive number", k.Rate)
	}
	return nil
}

// Kind says whether a sent event is an original or a repeat.
type Kind uint8

const (
	Original Kind = iota
	Repeat        // a duplicate: an earlier event sent again, unchanged
)

// Sent is one event with its send time and what the injector did to it.
type Sent struct {
	Event      engine.Event
	Send       int64 // send time, ms; the Kafka record timestamp
	Kind       Kind
	Late       bool // device time lags send time by 120–420 s
	OutOfOrder bool // device time lags send time by up to OOOMax
}

// Pattern is the original injector's word for the event: "", "re" or "late".
func (s Sent) Pattern() string {
	switch {
	case s.Kind == Repeat:
		return "re"
	case s.Late:
		return "late"
	case s.OutOfOrder:
		return "ooo"
	}
	return ""
}

// Generator produces the simulated devices' events in send-time order
// (ties by device number). It is deterministic: a config and the sequence of
// knob changes fix every event. It is not safe for concurrent use.
type Generator struct {
	cfg     GeneratorConfig
	knobs   Knobs
	devices deviceHeap
	clock   int64 // send time of the last event returned
	horizon int64 // truth settles for window ends ≤ horizon
	ids     []string
}

type device struct {
	idx    int
	id     string
	rng    *rand.Rand
	clock  float64 // ms
	seq    int64   // next original's sequence number
	sent   int     // originals generated
	ring   []memo  // the last DupWindow originals, as sent
	ringAt int
	repeat bool // the next emission repeats an earlier event
	next   Sent
	draw   draws // next's uniforms, when it is an original
	done   bool
}

// ErrBadGenerator wraps configuration errors.
var ErrBadGenerator = errors.New("generator")

// NewGenerator validates cfg and knobs and primes every device.
func NewGenerator(cfg GeneratorConfig, k Knobs) (*Generator, error) {
	switch {
	case cfg.Devices < 1:
		return nil, fmt.Errorf("%w: devices %d must be at least 1", ErrBadGenerator, cfg.Devices)
	case cfg.Events < 0:
		return nil, fmt.Errorf("%w: events %d must not be negative (0 = unbounded)", ErrBadGenerator, cfg.Events)
	case cfg.DupWindow < 1:
		return nil, fmt.Errorf("%w: dup window %d must be at least 1", ErrBadGenerator, cfg.DupWindow)
	case cfg.LateMin < 0 || cfg.LateSpread < 0 || cfg.OOOMax < 0:
		return nil, fmt.Errorf("%w: lags must not be negative", ErrBadGenerator)
	}
	if err := k.validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, knobs: k, clock: cfg.Start, horizon: engine.None}
	ring := cfg.DupWindow
	if cfg.Events > 0 {
		ring = min(ring, cfg.Events)
	}
	for i := range cfg.Devices {
		// One PCG stream per (seed, run, device): devices are independent
		// and a reset draws new ids.
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Run)<<32|uint64(i)))
		d := &device{idx: i, rng: rng, clock: float64(cfg.Start), ring: make([]memo, 0, ring)}
		d.id = uuid(rng)
		g.ids = append(g.ids, d.id)
		g.advance(d)
		if !d.done {
			g.devices = append(g.devices, d)
		}
	}
	heap.Init(&g.devices)
	g.updateHorizon()
	return g, nil
}

// uuid draws a version-4 UUID string, like the original's device ids.
func uuid(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// SetKnobs changes the probabilities and rate for events not yet drawn.
func (g *Generator) SetKnobs(k Knobs) error {
	if err := k.validate(); err != nil {
		return err
	}
	g.knobs = k
	g.updateHorizon()
	return nil
}

// Knobs returns the knobs in force.
func (g *Generator) Knobs() Knobs { return g.knobs }

// Devices returns the device ids, by device number.
func (g *Generator) Devices() []string {
	return append([]string(nil), g.ids...)
}

// Peek returns the send time of the next event, or false when none is left.
func (g *Generator) Peek() (int64, bool) {
	if len(g.devices) == 0 {
		return 0, false
	}
	return g.devices[0].next.Send, true
}

// Next returns the next event in send-time order, or false when every
// device has sent its originals and their repeats.
func (g *Generator) Next() (Sent, bool) {
	if len(g.devices) == 0 {
		return Sent{}, false
	}
	d := g.devices[0]
	s := d.next
	if s.Kind == Original {
		g.finish(d, &s)
		d.remember(s.Event)
	}
	g.clock = max(g.clock, s.Send)
	g.updateHorizon()
	g.advance(d)
	if d.done {
		heap.Pop(&g.devices)
	} else {
		heap.Fix(&g.devices, 0)
	}
	return s, true
}

// Shift moves every device's schedule later by d ms (a pause under the real clock).
func (g *Generator) Shift(d int64) {
	for _, dev := range g.devices {
		dev.clock += float64(d)
		dev.next.Send += d
		if dev.next.Kind == Original { // a repeat stays the event it repeats
			dev.next.Event.Time = dev.next.Send
		}
	}
}

// Clock returns the send time of the last event returned.
func (g *Generator) Clock() int64 { return g.clock }

// Horizon returns the truth horizon: no later event can fall in a window
// ending at or before it. It never goes back.
func (g *Generator) Horizon() int64 { return g.horizon }

// Done reports whether every device is finished.
func (g *Generator) Done() bool { return len(g.devices) == 0 }

// MaxLag is the largest lag of device time behind send time the current
// knobs allow.
func (g *Generator) MaxLag() int64 {
	switch {
	case g.knobs.Late > 0:
		return (g.cfg.LateMin + g.cfg.LateSpread).Milliseconds()
	case g.knobs.OOO > 0:
		return g.cfg.OOOMax.Milliseconds()
	}
	return 0
}

func (g *Generator) updateHorizon() {
	if h := g.clock - g.MaxLag(); h > g.horizon {
		g.horizon = h
	}
}

// memo is an original as sent, compactly (24 bytes instead of an
// engine.Event and its id string: devices × dup-window of them stay in
// memory). The ring holds consecutive originals, so their sequence numbers
// follow from their places, and the id from the device's id.
type memo struct {
	time, m2bits int64
	m1           int32
	cat          uint8
}

func (d *device) remember(ev engine.Event) {
	m := memo{time: ev.Time, m2bits: int64(math.Float64bits(ev.M2)), m1: int32(ev.M1)}
	for i, c := range categories {
		if ev.Category == c {
			m.cat = uint8(i)
		}
	}
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, m)
		return
	}
	d.ring[d.ringAt] = m
	d.ringAt = (d.ringAt + 1) % len(d.ring)
}

// recall rebuilds the remembered original at ring index k. The newest sits
// just before ringAt, and is the original numbered seq-1.
func (d *device) recall(k int) engine.Event {
	m := d.ring[k]
	age := (d.ringAt - 1 - k + len(d.ring)) % len(d.ring) // 0 for the newest
	return engine.Event{ID: eventID(d.id, d.seq-1-int64(age)), Device: d.id, Time: m.time,
		Category: categories[m.cat], M1: int64(m.m1), M2: math.Float64frombits(uint64(m.m2bits))}
}

// eventID is the id of a device's original number seq.
func eventID(device string, seq int64) string {
	return device + "-" + strconv.FormatInt(seq, 10)
}

// gap draws the time to the next send: uniform in [0, 2/rate) seconds.
func (g *Generator) gap(d *device) float64 {
	return d.rng.Float64() * 2000 / g.knobs.Rate
}

// advance draws d's next emission into d.next, or marks d done. An
// original's random draws are all taken here, but the knobs are applied
// when it is sent (finish), so a toggle takes effect at the very next event.
func (g *Generator) advance(d *device) {
	if d.repeat {
		d.repeat = false
		d.clock += g.gap(d)
		ev := d.recall(d.rng.IntN(len(d.ring)))
		d.next = Sent{Event: ev, Send: int64(math.Floor(d.clock)), Kind: Repeat}
		return
	}
	if g.cfg.Events > 0 && d.sent >= g.cfg.Events {
		d.done = true
		return
	}
	d.clock += g.gap(d)
	send := int64(math.Floor(d.clock))
	// Draw every value whatever the knobs, so switching one knob does not
	// shift the others' random streams.
	d.draw = draws{d.rng.Float64(), d.rng.Float64(), d.rng.Float64(), d.rng.Float64(), d.rng.Float64()}
	cat := 1 + d.rng.IntN(4)
	m1 := int64(d.rng.IntN(100))
	m2 := math.Round(d.rng.Float64()*500*1e9) / 1e9
	if m2 >= 500 {
		m2 = math.Nextafter(500, 0)
	}
	d.next = Sent{Send: send, Kind: Original, Event: engine.Event{
		ID:       eventID(d.id, d.seq),
		Device:   d.id,
		Time:     send,
		Category: categories[cat-1],
		M1:       m1,
		M2:       m2,
	}}
	d.seq++
	d.sent++
}

// draws are an original's uniforms for the knobs.
type draws struct{ late, lateAmt, ooo, oooAmt, dup float64 }

// finish applies the knobs in force to an original about to be sent.
func (g *Generator) finish(d *device, s *Sent) {
	u := d.draw
	switch {
	case u.late < g.knobs.Late:
		s.Late = true
		s.Event.Time = s.Send - g.cfg.LateMin.Milliseconds() - int64(u.lateAmt*float64(g.cfg.LateSpread.Milliseconds()))
	case u.ooo < g.knobs.OOO:
		s.OutOfOrder = true
		s.Event.Time = s.Send - int64(u.oooAmt*float64(g.cfg.OOOMax.Milliseconds()))
	}
	if s.Late || s.OutOfOrder {
		// Never reach into a window whose truth was already declared
		// final (matters only just after late events are switched on).
		s.Event.Time = max(s.Event.Time, g.horizon)
	}
	d.repeat = u.dup < g.knobs.Dup
}

var categories = [4]string{"cat-1", "cat-2", "cat-3", "cat-4"}

// deviceHeap orders devices by next send time, then device number.
type deviceHeap []*device

func (h deviceHeap) Len() int { return len(h) }
func (h deviceHeap) Less(i, j int) bool {
	if h[i].next.Send != h[j].next.Send {
		return h[i].next.Send < h[j].next.Send
	}
	return h[i].idx < h[j].idx
}
func (h deviceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deviceHeap) Push(x any)   { *h = append(*h, x.(*device)) }
func (h *deviceHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
