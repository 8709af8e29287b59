package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/streamtop/streamtop/engine"
)

// Replay reads recorded events with their send times (SPEC §2), in either
// recorded form, one per line:
//
//   - JSON lines: an event object plus "send" (ms), e.g.
//     {"id":"d-0","di":"d","dt":1487662207216,"c":"cat-1","m1":33,"m2":381.2,"send":1487662207216}
//   - the original injector's printed form: the event (JSON, or
//     id|device|devicetime|category|m1|m2), then its send time, a delay and
//     an optional pattern word (re, late):
//     {"id": "d-0", …} 1487662207615 0.399 re
//
// Blank lines and lines starting with # are ignored; anything else that does
// not parse is counted as malformed and skipped.
type Replay struct {
	rd        *bufio.Reader
	buf       []byte
	err       error // the read error that ended the file early
	name      string
	line      int
	malformed int64
	lastErr   error
	seen      map[string]struct{}
	clock     int64
}

// MaxReplayLine is the longest line a replay reads (the newline aside): a
// longer one is counted as malformed and skipped, like any line that does
// not parse.
const MaxReplayLine = 1 << 20

// NewReplay reads from r; name labels errors.
func NewReplay(r io.Reader, name string) *Replay {
	return &Replay{rd: bufio.NewReaderSize(r, 64*1024), name: name, seen: make(map[string]struct{}), clock: engine.None}
}

// ErrReplay wraps a replay's read failure (not a malformed line).
var ErrReplay = errors.New("replay")

// errLongLine is why a line over MaxReplayLine is skipped.
var errLongLine = fmt.Errorf("%w record: line longer than %d bytes", engine.ErrMalformed, MaxReplayLine)

// Next returns the next recorded event. ok is false at the end of the file
// or on a read error (see Err).
func (r *Replay) Next() (s Sent, ok bool) {
	for {
		b, long, ok := r.readLine()
		if !ok {
			return Sent{}, false
		}
		r.line++
		if long {
			r.skip(errLongLine)
			continue
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		s, err := ParseRecorded(b)
		if err != nil {
			r.skip(err)
			continue
		}
		// The truth counts an id at its first send whatever the file's
		// pattern word says.
		if _, dup := r.seen[s.Event.ID]; dup {
			s.Kind = Repeat
		} else {
			s.Kind = Original
			r.seen[s.Event.ID] = struct{}{}
		}
		r.clock = max(r.clock, s.Send)
		return s, true
	}
}

func (r *Replay) skip(err error) {
	r.malformed++
	r.lastErr = fmt.Errorf("%s:%d: %w", r.name, r.line, err)
}

// readLine returns the next line (without its newline), or long when it
// is over MaxReplayLine (its bytes are read and dropped). ok is false at
// the end of the file or on a read error.
func (r *Replay) readLine() (line []byte, long, ok bool) {
	if r.err != nil {
		return nil, false, false
	}
	r.buf = r.buf[:0]
	read := false
	for {
		chunk, err := r.rd.ReadSlice('\n')
		read = read || len(chunk) > 0
		if !long && len(r.buf)+len(bytes.TrimRight(chunk, "\r\n")) > MaxReplayLine {
			long, r.buf = true, r.buf[:0]
		}
		if !long {
			r.buf = append(r.buf, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			r.err = io.EOF
			return r.buf, long, read
		case err != nil:
			r.err = err
			return nil, false, false
		}
		return r.buf, long, true
	}
}

// Err returns the error that ended the file early, if any.
func (r *Replay) Err() error {
	if r.err != nil && !errors.Is(r.err, io.EOF) {
		return fmt.Errorf("%w %s: line %d: %v", ErrReplay, r.name, r.line+1, r.err)
	}
	return nil
}

// Malformed returns how many lines were skipped, and the last reason.
func (r *Replay) Malformed() (int64, error) { return r.malformed, r.lastErr }

// Clock returns the largest send time read so far.
func (r *Replay) Clock() int64 { return r.clock }

// ParseRecorded parses one recorded line in either form.
func ParseRecorded(b []byte) (Sent, error) {
	b = bytes.TrimSpace(b)
	var evPart, rest []byte
	if len(b) > 0 && b[0] == '{' {
		end := bytes.LastIndexByte(b, '}')
		if end < 0 {
			return Sent{}, fmt.Errorf("%w record: unterminated JSON", engine.ErrMalformed)
		}
		evPart, rest = b[:end+1], bytes.TrimSpace(b[end+1:])
	} else {
		i := bytes.IndexAny(b, " \t")
		if i < 0 {
			return Sent{}, fmt.Errorf("%w record: no send time after the event", engine.ErrMalformed)
		}
		evPart, rest = b[:i], bytes.TrimSpace(b[i:])
	}
	ev, err := engine.DecodeEvent(evPart)
	if err != nil {
		return Sent{}, err
	}
	s := Sent{Event: canonical(ev), Kind: Original}
	if len(rest) == 0 {
		// JSON lines: the send time is a field of the object.
		var j struct {
			Send json.RawMessage `json:"send"`
		}
		if err := json.Unmarshal(evPart, &j); err != nil || len(j.Send) == 0 {
			return Sent{}, fmt.Errorf("%w record: no send time (want a \"send\" field or a trailing send time)", engine.ErrMalformed)
		}
		raw := string(bytes.Trim(j.Send, `"`))
		if s.Send, err = strconv.ParseInt(raw, 10, 64); err != nil || s.Send < -engine.MaxTime || s.Send > engine.MaxTime {
			return Sent{}, fmt.Errorf("%w record: send %q is not an integer in range", engine.ErrMalformed, raw)
		}
		return s, nil
	}
	f := bytes.Fields(rest)
	if len(f) < 1 || len(f) > 3 {
		return Sent{}, fmt.Errorf("%w record: want event, send time, delay and an optional pattern", engine.ErrMalformed)
	}
	if s.Send, err = strconv.ParseInt(string(f[0]), 10, 64); err != nil || s.Send < -engine.MaxTime || s.Send > engine.MaxTime {
		return Sent{}, fmt.Errorf("%w record: send time %q is not an integer in range", engine.ErrMalformed, f[0])
	}
	if len(f) >= 2 {
		if _, err := strconv.ParseFloat(string(f[1]), 64); err != nil {
			return Sent{}, fmt.Errorf("%w record: delay %q is not a number", engine.ErrMalformed, f[1])
		}
	}
	if len(f) == 3 {
		switch string(f[2]) {
		case "re":
			s.Kind = Repeat
		case "late", "d<s": // the original's older logs print d<s for a late event
			s.Late = true
		case "ooo":
			s.OutOfOrder = true
		default: // any other word is only informative (SPEC §2)
		}
	}
	return s, nil
}

// canonical returns ev as a reader decodes it from the JSON the injector
// writes, so the truth counts the keys an engine will see. Only strings
// that are not valid UTF-8 can differ (a reader may replace the invalid
// bytes with U+FFFD, for example when the string also needs escapes).
func canonical(ev engine.Event) engine.Event {
	if utf8.ValidString(ev.ID) && utf8.ValidString(ev.Device) && utf8.ValidString(ev.Category) {
		return ev
	}
	if back, err := engine.DecodeEvent(ev.AppendJSON(nil)); err == nil {
		return back
	}
	return ev
}

// AppendRecorded appends s in the JSON-lines recorded form.
func AppendRecorded(dst []byte, s Sent) []byte {
	dst = s.Event.AppendJSON(dst)
	dst = dst[:len(dst)-1]
	dst = append(dst, `,"send":`...)
	dst = strconv.AppendInt(dst, s.Send, 10)
	return append(dst, '}')
}

// AppendPrinted appends s in the original injector's printed form: the
// event, its send time, the delay (send − device time, seconds) and the
// pattern word.
func AppendPrinted(dst []byte, s Sent, pipe bool) []byte {
	if pipe {
		dst = s.Event.AppendPipe(dst)
	} else {
		dst = s.Event.AppendJSON(dst)
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, s.Send, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendFloat(dst, float64(s.Send-s.Event.Time)/1000, 'f', 3, 64)
	if p := s.Pattern(); p != "" {
		dst = append(dst, ' ')
		dst = append(dst, p...)
	}
	return dst
}

// ReplayScan is what a first pass over a recorded file tells.
type ReplayScan struct {
	Events    int   // parsed lines
	Originals int   // first sends of their ids
	Devices   int   // distinct devices
	MaxLag    int64 // largest send − device time of an original, ms (≥ 0)
	Monotone  bool  // send times never go back
}

// ScanReplay reads a recorded file once. A replay whose send times never go
// back can settle its truth as it goes (horizon = clock − MaxLag) and let a
// reader merge partitions as it goes; another one settles at its end.
func ScanReplay(rd io.Reader, name string) (ReplayScan, error) {
	r := NewReplay(rd, name)
	sc := ReplayScan{Monotone: true}
	devices := map[string]struct{}{}
	last := int64(engine.None)
	for s, ok := r.Next(); ok; s, ok = r.Next() {
		sc.Events++
		if s.Send < last {
			sc.Monotone = false
		}
		last = max(last, s.Send)
		if s.Kind == Original {
			sc.Originals++
			sc.MaxLag = max(sc.MaxLag, s.Send-s.Event.Time)
			devices[s.Event.Device] = struct{}{}
		}
	}
	sc.Devices = len(devices)
	return sc, r.Err()
}
