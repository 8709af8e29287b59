package engine

import (
	"bytes"
	"encoding/binary"
	"math"
)

// canonical decodes an event written exactly as our injector writes it:
//
//	{"id":"…","di":"…","dt":N,"c":"…","m1":N,"m2":N.N}
//
// no whitespace, keys in that order, strings of printable ASCII without
// escapes, integers without exponents. It answers ok only when it is certain: on anything else (another
// order, a null, an escape, a value out of range, an error of any kind) it
// gives up at once and Decode reads the record with the general scanner,
// which then gives the same event or the precise error. Nearly every
// record is of this form: checked against the layout, with the numbers
// parsed as they are scanned, it costs about half the general scanner.
func (d *Decoder) canonical(b []byte) (ev Event, ok bool) {
	if !plainJSONBytes(b) {
		return ev, false
	}
	c := cursor{b: b}
	id, ok1 := c.stringAfter(`{"id":"`)
	dev, ok2 := c.stringAfter(`,"di":"`)
	t, ok3 := c.intAfter(`,"dt":`)
	cat, ok4 := c.stringAfter(`,"c":"`)
	m1, ok5 := c.intAfter(`,"m1":`)
	m2, ok6 := c.decimalAfter(`,"m2":`)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || c.i != len(b)-1 || b[c.i] != '}' {
		return ev, false
	}
	if len(id) == 0 || len(dev) == 0 || len(cat) == 0 || len(id) > MaxIDLen || len(dev) > MaxDeviceLen ||
		len(cat) > MaxCategoryLen || t < -MaxTime || t > MaxTime || m1 < -MaxMeasure || m1 > MaxMeasure ||
		m2 < -MaxMeasure || m2 > MaxMeasure {
		return ev, false
	}
	ev = Event{ID: d.id(id), Time: t, M1: m1, M2: m2}
	if d != nil {
		ev.Device, ev.Category = d.intern(&d.devices, dev), d.intern(&d.cats, cat)
	} else {
		ev.Device, ev.Category = string(dev), string(cat)
	}
	return ev, true
}

// plainJSONBytes reports whether b has no byte that would need care in a
// JSON string: a control character, a backslash, a byte at or above 0x80.
// Eight bytes at a time; each test below is exact for "any byte of the
// word": a borrow can only spread from a byte that itself matches.
func plainJSONBytes(b []byte) bool {
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x5c5c5c5c5c5c5c5c
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		s := x ^ slashes // a backslash is a zero byte here
		if (x|(x-0x20*ones)|((s-ones)&^s))&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}

// cursor walks a record of the canonical form; every method returns ok
// false on the first byte that is not of that form.
type cursor struct {
	b []byte
	i int
}

// lit steps over s.
func (c *cursor) lit(s string) bool {
	if len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		return false
	}
	c.i += len(s)
	return true
}

// stringAfter steps over prefix (which ends with the opening quote) and
// returns the string up to the next quote (plainJSONBytes has ruled out
// escapes).
func (c *cursor) stringAfter(prefix string) ([]byte, bool) {
	if !c.lit(prefix) {
		return nil, false
	}
	n := bytes.IndexByte(c.b[c.i:], '"')
	if n < 0 {
		return nil, false
	}
	s := c.b[c.i : c.i+n]
	c.i += n + 1
	return s, true
}

// intAfter steps over prefix and reads an integer of JSON's grammar (an
// optional '-', no leading zero) of at most 18 digits.
func (c *cursor) intAfter(prefix string) (int64, bool) {
	if !c.lit(prefix) {
		return 0, false
	}
	neg := c.i < len(c.b) && c.b[c.i] == '-'
	if neg {
		c.i++
	}
	v, n := c.digits()
	if n == 0 || n > 18 || (n > 1 && c.b[c.i-n] == '0') || c.i >= len(c.b) {
		return 0, false
	}
	if x := c.b[c.i]; x == '.' || x == 'e' || x == 'E' {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// decimalAfter steps over prefix and reads a number of JSON's grammar, as
// parseFloat reads it: at most 15 digits and no exponent (nearly every
// m2) computed here as parseFloat computes them, its digits as an integer
// divided by a power of ten; any other number given to parseFloat itself.
func (c *cursor) decimalAfter(prefix string) (float64, bool) {
	if !c.lit(prefix) {
		return 0, false
	}
	start := c.i
	neg := c.i < len(c.b) && c.b[c.i] == '-'
	if neg {
		c.i++
	}
	whole, n := c.digits()
	if n == 0 || (n > 1 && c.b[c.i-n] == '0') {
		return 0, false
	}
	var f uint64
	frac := 0
	if c.i < len(c.b) && c.b[c.i] == '.' {
		c.i++
		if f, frac = c.digits(); frac == 0 {
			return 0, false
		}
	}
	exp := c.i < len(c.b) && (c.b[c.i] == 'e' || c.b[c.i] == 'E')
	if exp {
		c.i++
		if c.i < len(c.b) && (c.b[c.i] == '+' || c.b[c.i] == '-') {
			c.i++
		}
		if _, e := c.digits(); e == 0 {
			return 0, false
		}
	}
	if exp || n+frac > 15 {
		v, err := parseFloat(c.b[start:c.i])
		return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
	}
	v := float64(whole*uint64(pow10[frac])+f) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

// digits reads decimal digits: their value (meaningful up to 19 digits)
// and their count. Eight at a time while eight are there (a dt has 13).
func (c *cursor) digits() (uint64, int) {
	var v uint64
	start := c.i
	for len(c.b)-c.i >= 8 {
		x := binary.LittleEndian.Uint64(c.b[c.i:])
		if !eightDigits(x) {
			break
		}
		v = v*100000000 + eightDigitsValue(x)
		c.i += 8
	}
	for c.i < len(c.b) {
		x := c.b[c.i] - '0'
		if x > 9 {
			break
		}
		v = v*10 + uint64(x)
		c.i++
	}
	return v, c.i - start
}

// eightDigits reports whether the eight bytes of x are all '0'–'9': each
// byte's high half is 3, and adding 6 does not carry it past 3.
func eightDigits(x uint64) bool {
	const highs, sixes, threes = 0xf0f0f0f0f0f0f0f0, 0x0606060606060606, 0x3333333333333333
	return (x&highs)|((x+sixes)&highs)>>4 == threes
}

// eightDigitsValue is the number the eight digits of x spell, the first
// in the lowest byte: pairs, then fours, then the eight, combined in place.
func eightDigitsValue(x uint64) uint64 {
	x -= 0x3030303030303030
	x = x*10 + x>>8 // each even byte: a pair's value
	x = (x&0x000000ff000000ff)*(100+1000000<<32) + (x>>16&0x000000ff000000ff)*(1+10000<<32)
	return x >> 32
}
