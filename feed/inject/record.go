package inject

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/streamtop/streamtop/feed/sim"
)

// Recorder writes the events an injector sends, in send order with their
// send times, in the JSON-lines form a replay reads (SPEC §2: the event
// object plus "send"), so `--replay` of the file gives the recorded run's
// verdict.
//
// It records one run: the injector closes it when that run's input ends,
// when the run is reset (a new run is not recorded: appended to the same
// file its send times would go back and its events would share windows
// with the first run's, which no run had) and when the injector stops.
//
// The file has no pattern words: the JSON-lines form has no place for one
// (a word after the object makes the line the printed form, whose next
// field must be the send time), and a replay derives duplicates from ids
// anyway.
//
// Safe for concurrent use: the injector writes, its owner may Close.
type Recorder struct {
	mu     sync.Mutex
	name   string
	w      *bufio.Writer
	c      io.Closer // nil: not ours to close
	line   []byte
	events int64
	err    error // the first write, flush or close error
	closed bool
}

// CreateRecorder creates (or truncates) the file at path, mode 0666 before
// the umask.
func CreateRecorder(path string) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := NewRecorder(f, path)
	r.c = f
	return r, nil
}

// NewRecorder records to w; name labels errors. Close flushes w but does
// not close it.
func NewRecorder(w io.Writer, name string) *Recorder {
	return &Recorder{name: name, w: bufio.NewWriterSize(w, 64*1024)}
}

// Name is the file recorded to.
func (r *Recorder) Name() string { return r.name }

// write appends one batch of sent events. After an error it writes
// nothing more; it reports whether this call met the first error.
func (r *Recorder) write(batch []sim.Sent) (failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return false
	}
	for _, s := range batch {
		r.line = append(sim.AppendRecorded(r.line[:0], s), '\n')
		if _, err := r.w.Write(r.line); err != nil {
			r.err = fmt.Errorf("record %s: %w", r.name, err)
			return true
		}
		r.events++
	}
	return false
}

// Close flushes and closes the file once; later calls return the same
// error. It returns the first error met writing the file, if any.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = fmt.Errorf("record %s: %w", r.name, err)
	}
	if r.c != nil {
		if err := r.c.Close(); err != nil && r.err == nil && !errors.Is(err, os.ErrClosed) {
			r.err = fmt.Errorf("record %s: %w", r.name, err)
		}
	}
	return r.err
}

// Events counts the events written so far.
func (r *Recorder) Events() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events
}

// Err returns the first error met writing the file, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
