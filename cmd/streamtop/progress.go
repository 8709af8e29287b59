package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/streamtop/streamtop/feed/bus"
)

// progress shows a headless run's progress on stderr, one line rewritten
// in place, when stderr is a terminal; nothing otherwise (a log or a pipe
// stays clean).
type progress struct {
	w     io.Writer // nil: not a terminal, nothing shown
	start time.Time
	last  time.Time // when the line was last written; zero: not shown
}

const (
	// progressAfter: runs shorter than this show no progress at all.
	progressAfter = 3 * time.Second
	// progressEvery: the line is rewritten at most this often.
	progressEvery = 500 * time.Millisecond
)

// newProgress shows progress on stderr only if it is a terminal.
func newProgress(stderr io.Writer, start time.Time) *progress {
	p := &progress{start: start}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(f.Fd()) {
		p.w = f
	}
	return p
}

// update rewrites the line from snap, if it is due at now.
func (p *progress) update(now time.Time, snap bus.Snapshot) {
	if p.w == nil || now.Sub(p.start) < progressAfter || (!p.last.IsZero() && now.Sub(p.last) < progressEvery) {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r"+headlessProgressLine(now.Sub(p.start), snap)+"\x1b[K")
}

// clear erases the line, if one is shown, so what follows starts clean.
func (p *progress) clear() {
	if p.w == nil || p.last.IsZero() {
		return
	}
	p.last = time.Time{}
	fmt.Fprint(p.w, "\r\x1b[K")
}

// headlessProgressLine is the progress line: elapsed wall time, then what the
// roles have reported so far (a part whose role has not reported is left
// out), e.g. "streamtop: 12.3 s · 4 520 events sent · engine lag 12 ·
// 340/980 keys settled".
func headlessProgressLine(elapsed time.Duration, snap bus.Snapshot) string {
	parts := []string{fmt.Sprintf("streamtop: %.1f s", elapsed.Seconds())}
	if in := snap.Injector; in != nil {
		parts = append(parts, groupDigits(in.Sent)+" events sent")
	}
	if e := snap.Engine; e != nil {
		parts = append(parts, "engine lag "+groupDigits(e.Lag))
	}
	if c := snap.Compare; c != nil {
		parts = append(parts, groupDigits(int64(c.Report.Settled.Keys))+"/"+groupDigits(int64(c.Report.Provisional.Keys))+" keys settled")
	}
	return strings.Join(parts, " · ")
}

// groupDigits writes n with its thousands apart: 4520 → "4 520".
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}
