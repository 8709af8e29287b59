package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Event is one device event (SPEC §1).
type Event struct {
	ID       string  // "<device>-<seq>"; duplicates share it
	Device   string  // device id; also the Kafka record key
	Time     int64   // device time, ms since the Unix epoch
	Category string  // "cat-1".."cat-4"
	M1       int64   // integer measure, [0,100) from our injector
	M2       float64 // float measure, [0,500) from our injector
}

// Bounds beyond which a field is malformed rather than merely unusual: they
// keep window arithmetic and sums far from overflow.
const (
	MaxTime    = 1 << 50 // |dt| in ms: about 35,000 years around 1970
	MaxMeasure = 1 << 40 // |m1|, |m2|
)

// Bounds on the strings of an event or a result, in bytes (after invalid
// UTF-8 is replaced): longer ones are malformed. SPEC §1 accepts any
// device and category "bounded in length". Ours are 36-byte UUIDs, ids
// "<device>-<seq>" under 60 bytes and categories "cat-N"; 256 bytes leave
// room for any naming scheme (a path, a URN, a UUID with a prefix) while a
// result, which carries device, category and engine name, stays under
// 1 KB: a 1 MB device id would otherwise be accepted and its result lost
// at the broker (larger than a Kafka record may be).
const (
	MaxIDLen       = 256
	MaxDeviceLen   = 256
	MaxCategoryLen = 256
	MaxEngineLen   = 256 // a result's engine name
)

// checkLengths reports the first of id, device and category (their
// lengths) that is too long.
func checkLengths(id, device, category int) error {
	switch {
	case id > MaxIDLen:
		return fmt.Errorf("%w event: id is %d bytes, longer than the %d allowed", ErrMalformed, id, MaxIDLen)
	case device > MaxDeviceLen:
		return fmt.Errorf("%w event: device (di) is %d bytes, longer than the %d allowed", ErrMalformed, device, MaxDeviceLen)
	case category > MaxCategoryLen:
		return fmt.Errorf("%w event: category (c) is %d bytes, longer than the %d allowed", ErrMalformed, category, MaxCategoryLen)
	}
	return nil
}

// validUTF8 returns b with each invalid UTF-8 byte replaced by U+FFFD, as
// encoding/json does when it decodes a string (one U+FFFD per byte that
// does not start a valid sequence; strings.ToValidUTF8 would merge a run
// into one): every decoder of ours reads the same bytes as the same
// string. b itself is returned when it is valid.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

// validUTF8String is validUTF8 for a string.
func validUTF8String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(validUTF8([]byte(s)))
}

// ErrMalformed is wrapped by every decoding error, so callers can count
// malformed input with errors.Is and keep going.
var ErrMalformed = errors.New("malformed")

// jsonEvent is the wire shape. The numbers stay raw so that a numeric
// string dt (the original injector's form) is accepted while a quoted or
// fractional m1 is rejected rather than coerced.
type jsonEvent struct {
	ID       *string         `json:"id"`
	Device   *string         `json:"di"`
	Time     json.RawMessage `json:"dt"`
	Category *string         `json:"c"`
	M1       json.RawMessage `json:"m1"`
	M2       json.RawMessage `json:"m2"`
}

// DecodeEvent parses one event in either accepted form: the JSON object
// (dt as a number or a numeric string) or the original text form
// msgid|deviceid|devicetime|category|m1|m2. Unknown JSON fields are ignored.
// Every error wraps ErrMalformed.
func DecodeEvent(b []byte) (Event, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Event{}, fmt.Errorf("%w event: empty", ErrMalformed)
	}
	if b[0] == '{' {
		var d *Decoder // no interning
		return d.Decode(b)
	}
	return decodePipeEvent(b)
}

// decodeJSONEventStd decodes the JSON form with encoding/json: the
// reference the scanner falls back to for escaped strings, and the peer its
// benchmark measures.
func decodeJSONEventStd(b []byte) (Event, error) {
	var j jsonEvent
	if err := json.Unmarshal(b, &j); err != nil {
		return Event{}, fmt.Errorf("%w event: %v", ErrMalformed, err)
	}
	if j.ID == nil || j.Device == nil || j.Category == nil {
		return Event{}, fmt.Errorf("%w event: missing id, di or c", ErrMalformed)
	}
	if len(j.Time) == 0 || len(j.M1) == 0 || len(j.M2) == 0 {
		return Event{}, fmt.Errorf("%w event: missing dt, m1 or m2", ErrMalformed)
	}
	dt := j.Time
	if dt[0] == '"' {
		var s string
		if err := json.Unmarshal(dt, &s); err != nil {
			return Event{}, fmt.Errorf("%w event: dt: %v", ErrMalformed, err)
		}
		dt = []byte(s)
	}
	if j.M1[0] == '"' || j.M2[0] == '"' {
		return Event{}, fmt.Errorf("%w event: m1 and m2 must be numbers, not strings", ErrMalformed)
	}
	return buildEvent(*j.ID, *j.Device, string(dt), *j.Category, string(j.M1), string(j.M2))
}

func decodePipeEvent(b []byte) (Event, error) {
	var f [6]string
	n := 0
	for n < 5 {
		i := bytes.IndexByte(b, '|')
		if i < 0 {
			break
		}
		f[n] = string(b[:i])
		b = b[i+1:]
		n++
	}
	if n != 5 || bytes.IndexByte(b, '|') >= 0 {
		return Event{}, fmt.Errorf("%w event: want 6 '|'-separated fields", ErrMalformed)
	}
	f[5] = string(b)
	return buildEvent(f[0], f[1], f[2], f[3], f[4], f[5])
}

func buildEvent(id, device, dt, category, m1, m2 string) (Event, error) {
	if id == "" || device == "" || category == "" {
		return Event{}, fmt.Errorf("%w event: empty id, device or category", ErrMalformed)
	}
	// encoding/json has made its strings valid; the pipe form's are raw.
	id, device, category = validUTF8String(id), validUTF8String(device), validUTF8String(category)
	if err := checkLengths(len(id), len(device), len(category)); err != nil {
		return Event{}, err
	}
	t, err := strconv.ParseInt(dt, 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("%w event: dt %q is not an integer", ErrMalformed, clip(dt))
	}
	if t < -MaxTime || t > MaxTime {
		return Event{}, fmt.Errorf("%w event: dt %d is out of range", ErrMalformed, t)
	}
	v1, err := strconv.ParseInt(m1, 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("%w event: m1 %q is not an integer", ErrMalformed, clip(m1))
	}
	v2, err := strconv.ParseFloat(m2, 64)
	if err != nil || math.IsInf(v2, 0) || math.IsNaN(v2) {
		return Event{}, fmt.Errorf("%w event: m2 %q is not a number", ErrMalformed, clip(m2))
	}
	if v1 < -MaxMeasure || v1 > MaxMeasure || v2 < -MaxMeasure || v2 > MaxMeasure {
		return Event{}, fmt.Errorf("%w event: m1 or m2 out of range ±%g", ErrMalformed, float64(MaxMeasure))
	}
	return Event{ID: id, Device: device, Time: t, Category: category, M1: v1, M2: v2}, nil
}

// clip shortens untrusted text quoted in an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// AppendJSON appends the event's JSON form (SPEC §1), dt as a number.
func (e Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = AppendJSONString(dst, e.ID)
	dst = append(dst, `,"di":`...)
	dst = AppendJSONString(dst, e.Device)
	dst = append(dst, `,"dt":`...)
	dst = strconv.AppendInt(dst, e.Time, 10)
	dst = append(dst, `,"c":`...)
	dst = AppendJSONString(dst, e.Category)
	dst = append(dst, `,"m1":`...)
	dst = strconv.AppendInt(dst, e.M1, 10)
	dst = append(dst, `,"m2":`...)
	dst = strconv.AppendFloat(dst, e.M2, 'g', -1, 64)
	return append(dst, '}')
}

// AppendPipe appends the original text form msgid|deviceid|devicetime|category|m1|m2.
func (e Event) AppendPipe(dst []byte) []byte {
	dst = append(dst, e.ID...)
	dst = append(dst, '|')
	dst = append(dst, e.Device...)
	dst = append(dst, '|')
	dst = strconv.AppendInt(dst, e.Time, 10)
	dst = append(dst, '|')
	dst = append(dst, e.Category...)
	dst = append(dst, '|')
	dst = strconv.AppendInt(dst, e.M1, 10)
	dst = append(dst, '|')
	return strconv.AppendFloat(dst, e.M2, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal, escaping quotes,
// backslashes and every control character, so untrusted text round-trips.
// It writes valid UTF-8: each invalid byte becomes \ufffd, as
// encoding/json writes it, so what any decoder reads back is s as our
// decoders read it.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n != 1 {
				i += n - 1
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + 1
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// DecodeEventStd decodes the JSON form with encoding/json only: the
// reference the scanner is checked and measured against.
func DecodeEventStd(b []byte) (Event, error) { return decodeJSONEventStd(bytes.TrimSpace(b)) }
