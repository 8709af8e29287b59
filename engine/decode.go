package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
	"unsafe"
)

// Decoder decodes events and interns their device and category strings:
// the engine then recognises a device by its string's address, and the
// strings are allocated once per device rather than once per event.
// It is not safe for concurrent use.
//
// Why a scanner of our own: encoding/json (about 2 µs an event here) and
// the fast libraries decoding into a struct (goccy/go-json, segmentio:
// about 0.3 µs, 4 allocations) cannot take dt as a number or a numeric
// string, reject a quoted m1, and tell a missing field from a zero one
// without raw intermediate values that cost as much again. This flat
// scanner does exactly SPEC §1 in one pass with one allocation (the id).
type Decoder struct {
	devices, cats internTable
	// ids, when PackIDs is on, is the block the next ids are copied into:
	// one allocation per block instead of one per event (a twentieth of
	// the engine role's CPU went to allocating ids and collecting them).
	ids     []byte
	packIDs bool
}

// idBlock is the size of the blocks packed ids are copied into.
const idBlock = 16 << 10

// PackIDs makes the decoder copy the ids of the events it decodes into
// shared blocks. A block stays in memory while any id in it does: for a
// reader that lets most ids go soon after decoding (the engine keeps
// fingerprints, not ids), and clones the few it keeps for long.
func (d *Decoder) PackIDs() { d.packIDs = true }

// id returns a string holding a copy of b.
func (d *Decoder) id(b []byte) string {
	if d == nil || !d.packIDs || len(b) > idBlock/16 {
		return string(b)
	}
	if len(d.ids)+len(b) > cap(d.ids) {
		d.ids = make([]byte, 0, idBlock)
	}
	start := len(d.ids)
	d.ids = append(d.ids, b...)
	// The bytes are never written again: the string is immutable.
	return unsafe.String(&d.ids[start], len(b))
}

// NewDecoder returns a decoder with empty intern tables.
func NewDecoder() *Decoder {
	return &Decoder{devices: internTable{cur: map[string]string{}}, cats: internTable{cur: map[string]string{}}}
}

// Decode parses one event in either accepted form (see DecodeEvent): the
// injector's own layout on a fast path (canonical), anything else with the
// general scanner.
func (d *Decoder) Decode(b []byte) (Event, error) {
	if len(b) > 0 && b[0] == '{' {
		if ev, ok := d.canonical(b); ok {
			return ev, nil
		}
	}
	return d.scan(b)
}

// scan is the general scanner behind Decode: any accepted form, and the
// precise error for anything else.
//
// It is the hand-written decoder, and longer than the house's 80 lines on
// purpose: one flat loop over the object's keys, its state in locals, is
// what keeps it at one pass and one allocation; split into functions per
// key, the state would have to travel through a struct (or escape), which
// costs more than the whole scan of a typical event.
func (d *Decoder) scan(b []byte) (Event, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Event{}, fmt.Errorf("%w event: empty", ErrMalformed)
	}
	if b[0] != '{' {
		return decodePipeEvent(b)
	}
	var (
		id, dev, cat, dt, m1, m2    []byte
		dtQuoted                    bool
		hasID, hasDev, hasCat       bool
		hasDT, hasM1, hasM2, escped bool
	)
	p := scanner{b: b, i: 1}
	p.ws()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			p.ws()
			key, ok := p.plainString()
			if !ok {
				return d.slow(b)
			}
			p.ws()
			if !p.eat(':') {
				return Event{}, p.fail("expected ':' after a key")
			}
			p.ws()
			switch string(key) {
			case "id", "di", "c":
				v, isNull, esc, err := p.stringValue()
				if err != nil {
					return Event{}, err
				}
				escped = escped || esc
				switch string(key) {
				case "id":
					id, hasID = v, !isNull
				case "di":
					dev, hasDev = v, !isNull
				case "c":
					cat, hasCat = v, !isNull
				}
			case "dt":
				if p.peek() == '"' {
					v, isNull, esc, err := p.stringValue()
					if err != nil {
						return Event{}, err
					}
					if esc {
						return d.slow(b)
					}
					dt, dtQuoted, hasDT = v, true, !isNull
				} else {
					v, isNull, err := p.numberValue()
					if err != nil {
						return Event{}, err
					}
					dt, dtQuoted, hasDT = v, false, !isNull
				}
			case "m1", "m2":
				if p.peek() == '"' {
					return Event{}, fmt.Errorf("%w event: m1 and m2 must be numbers, not strings", ErrMalformed)
				}
				v, isNull, err := p.numberValue()
				if err != nil {
					return Event{}, err
				}
				if string(key) == "m1" {
					m1, hasM1 = v, !isNull
				} else {
					m2, hasM2 = v, !isNull
				}
			default:
				if err := p.skipValue(); err != nil {
					return Event{}, err
				}
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat('}') {
				break
			}
			return Event{}, p.fail("expected ',' or '}'")
		}
	}
	p.ws()
	if p.i != len(b) {
		return Event{}, p.fail("data after the object")
	}
	if escped {
		return d.slow(b) // escapes in a string: let encoding/json unescape
	}
	if !hasID || !hasDev || !hasCat {
		return Event{}, fmt.Errorf("%w event: missing id, di or c", ErrMalformed)
	}
	if !hasDT || !hasM1 || !hasM2 {
		return Event{}, fmt.Errorf("%w event: missing dt, m1 or m2", ErrMalformed)
	}
	_ = dtQuoted
	return d.finish(id, dev, cat, dt, m1, m2, p.high >= utf8.RuneSelf)
}

// finish checks the fields the scanner found and builds the event, as
// buildEvent does for the other forms. high says a string in the record
// had a byte outside ASCII: id, device and category are then made valid
// UTF-8 (validUTF8) before their length is checked.
func (d *Decoder) finish(id, dev, cat, dt, m1, m2 []byte, high bool) (Event, error) {
	if len(id) == 0 || len(dev) == 0 || len(cat) == 0 {
		return Event{}, fmt.Errorf("%w event: empty id, device or category", ErrMalformed)
	}
	if high {
		id, dev, cat = validUTF8(id), validUTF8(dev), validUTF8(cat)
	}
	if err := checkLengths(len(id), len(dev), len(cat)); err != nil {
		return Event{}, err
	}
	t, ok := parseInt(dt)
	if !ok {
		return Event{}, fmt.Errorf("%w event: dt %q is not an integer", ErrMalformed, clip(string(dt)))
	}
	if t < -MaxTime || t > MaxTime {
		return Event{}, fmt.Errorf("%w event: dt %d is out of range", ErrMalformed, t)
	}
	v1, ok := parseInt(m1)
	if !ok {
		return Event{}, fmt.Errorf("%w event: m1 %q is not an integer", ErrMalformed, clip(string(m1)))
	}
	v2, err := parseFloat(m2)
	if err != nil || math.IsInf(v2, 0) || math.IsNaN(v2) {
		return Event{}, fmt.Errorf("%w event: m2 %q is not a number", ErrMalformed, clip(string(m2)))
	}
	if v1 < -MaxMeasure || v1 > MaxMeasure || v2 < -MaxMeasure || v2 > MaxMeasure {
		return Event{}, fmt.Errorf("%w event: m1 or m2 out of range ±%g", ErrMalformed, float64(MaxMeasure))
	}
	ev := Event{ID: d.id(id), Time: t, M1: v1, M2: v2}
	if d != nil {
		ev.Device, ev.Category = d.intern(&d.devices, dev), d.intern(&d.cats, cat)
	} else {
		ev.Device, ev.Category = string(dev), string(cat)
	}
	return ev, nil
}

// slow decodes with encoding/json: keys or strings with escapes, rare.
func (d *Decoder) slow(b []byte) (Event, error) {
	ev, err := decodeJSONEventStd(b)
	if err == nil && d != nil {
		ev.Device, ev.Category = d.intern(&d.devices, []byte(ev.Device)), d.intern(&d.cats, []byte(ev.Category))
	}
	return ev, err
}

// scanner walks one JSON object.
type scanner struct {
	b    []byte
	i    int
	high byte // the bytes of the strings read, or-ed: ≥ 0x80 if any is not ASCII
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *scanner) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) fail(what string) error {
	return fmt.Errorf("%w event: invalid JSON at byte %d: %s", ErrMalformed, p.i, what)
}

// plainString reads a string with no escape; ok is false when it has one
// (or is not a string), so the caller can fall back.
func (p *scanner) plainString() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// stringValue reads a string or null. esc reports an escape inside (the
// bytes are then raw, to be unescaped by the slow path).
func (p *scanner) stringValue() (v []byte, isNull, esc bool, err error) {
	if p.lit("null") {
		return nil, true, false, nil
	}
	if !p.eat('"') {
		return nil, false, false, fmt.Errorf("%w event: id, di and c must be strings", ErrMalformed)
	}
	start := p.i
	// Nearly every string is plain ASCII without escapes: find its end at
	// once (IndexByte is vectorised) and check its bytes eight at a time.
	if n := bytes.IndexByte(p.b[start:], '"'); n >= 0 {
		if v = p.b[start : start+n]; plainASCII(v) && bytes.IndexByte(v, '\\') < 0 {
			p.i = start + n + 1
			return v, false, false, nil
		}
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.high |= c
		switch {
		case c == '"':
			v = p.b[start:p.i]
			p.i++
			return v, false, esc, nil
		case c == '\\':
			esc = true
			p.i++ // skip the escaped byte (validated by the slow path)
		case c < 0x20:
			return nil, false, false, p.fail("control character in a string")
		}
		p.i++
	}
	return nil, false, false, p.fail("unterminated string")
}

// numberValue reads a JSON number (or null), checking its grammar.
func (p *scanner) numberValue() (v []byte, isNull bool, err error) {
	if p.lit("null") {
		return nil, true, nil
	}
	start := p.i
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.digits() == 0:
		return nil, false, p.fail("expected a number")
	}
	if p.eat('.') && p.digits() == 0 {
		return nil, false, p.fail("digits expected after '.'")
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if p.digits() == 0 {
			return nil, false, p.fail("digits expected in the exponent")
		}
	}
	return p.b[start:p.i], false, nil
}

func (p *scanner) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

func (p *scanner) lit(s string) bool {
	if bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.i += len(s)
		return true
	}
	return false
}

// skipValue skips any JSON value (an unknown field), checking it.
func (p *scanner) skipValue() error {
	switch c := p.peek(); {
	case c == '"':
		_, _, _, err := p.stringValue()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, err := p.numberValue()
		return err
	case p.lit("true"), p.lit("false"), p.lit("null"):
		return nil
	case c == '{' || c == '[':
		// A nested value: find its end, then let encoding/json check it.
		start, depth := p.i, 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if _, _, _, err := p.stringValue(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					if !json.Valid(p.b[start:p.i]) {
						return p.fail("invalid nested value")
					}
					return nil
				}
			}
			p.i++
		}
		return p.fail("unterminated value")
	}
	return p.fail("expected a value")
}
