package engine

import (
	"encoding/binary"
	"strconv"
	"unsafe"
)

// The number and byte helpers the decoders share.

// parseInt parses an optional '-' and decimal digits, without overflow.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		if len(b) > 18 { // beyond 18 digits: let strconv judge overflow
			v, err := strconv.ParseInt(unsafe.String(&b[0], len(b)), 10, 64)
			if err != nil {
				return 0, false
			}
			if neg {
				v = -v
			}
			return v, true
		}
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseFloat is strconv.ParseFloat of b, faster on the common form: a
// decimal of at most 15 digits (its value as an integer is exact in a
// float64) and at most 22 after the point (a power of ten exact in a
// float64), whose correctly rounded value is then one division (as
// strconv's own exact path computes it). Anything else goes to strconv.
func parseFloat(b []byte) (float64, error) {
	s := b
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var mant uint64
	digits, frac, point := 0, 0, -1
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9' && digits < 15:
			mant = mant*10 + uint64(c-'0')
			digits++
		case c == '.' && point < 0 && i > 0:
			point = i
			continue
		default:
			return strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
		}
		if point >= 0 {
			frac++
		}
	}
	if digits == 0 || frac > 22 || (point >= 0 && frac == 0) {
		return strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, nil
}

// pow10 are the powers of ten exact in a float64.
var pow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// plainASCII reports whether every byte of b is printable ASCII (no
// control character, nothing at or above 0x80).
func plainASCII(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		// A byte below 0x20 borrows in the subtraction and sets its high
		// bit; a byte at or above 0x80 has it already.
		if (x|(x-0x20*ones))&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}
