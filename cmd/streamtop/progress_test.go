package main

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/bus"
)

func progressSnapshot() bus.Snapshot {
	return bus.Snapshot{
		Injector: &bus.InjectorStatus{Sent: 4520},
		Engine:   &bus.EngineStatus{Lag: 12},
		Compare: &bus.CompareStatus{Report: compare.Report{
			Settled: compare.Score{Keys: 340}, Provisional: compare.Score{Keys: 1980}}},
	}
}

func TestHeadlessProgressLine(t *testing.T) {
	for _, c := range []struct {
		elapsed time.Duration
		snap    bus.Snapshot
		want    string
	}{
		{12345 * time.Millisecond, progressSnapshot(), "streamtop: 12.3 s · 4 520 events sent · engine lag 12 · 340/1 980 keys settled"},
		{3 * time.Second, bus.Snapshot{}, "streamtop: 3.0 s"}, // no role has reported yet
		{time.Minute, bus.Snapshot{Injector: &bus.InjectorStatus{Sent: 1234567}}, "streamtop: 60.0 s · 1 234 567 events sent"},
	} {
		if got := headlessProgressLine(c.elapsed, c.snap); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1 000", -12345: "-12 345"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

// On a terminal: nothing for the first seconds, then one line rewritten
// in place at most every 500 ms, erased before what follows.
func TestHeadlessProgressRewritesOneLine(t *testing.T) {
	var term bytes.Buffer
	start := time.Unix(0, 0)
	p := &progress{w: &term, start: start}
	snap := progressSnapshot()
	p.clear()
	p.update(start.Add(2*time.Second), snap)
	if term.Len() != 0 {
		t.Fatalf("progress within the first seconds: %q", term.String())
	}
	for _, ms := range []int{3000, 3200, 3499, 3500} {
		p.update(start.Add(time.Duration(ms)*time.Millisecond), snap)
	}
	p.clear()
	p.clear()
	want := "\rstreamtop: 3.0 s · 4 520 events sent · engine lag 12 · 340/1 980 keys settled\x1b[K" +
		"\rstreamtop: 3.5 s · 4 520 events sent · engine lag 12 · 340/1 980 keys settled\x1b[K" + "\r\x1b[K"
	if term.String() != want {
		t.Fatalf("wrote %q\nwant  %q", term.String(), want)
	}
}

// Not a terminal (a file, a pipe, a test's buffer): nothing, ever.
func TestHeadlessProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	start := time.Unix(0, 0)
	for _, w := range []*progress{newProgress(f, start), newProgress(&buf, start)} {
		for s := range 20 {
			w.update(start.Add(time.Duration(s)*time.Second), progressSnapshot())
		}
		w.clear()
	}
	if st, _ := f.Stat(); st.Size() != 0 || buf.Len() != 0 {
		t.Fatalf("progress written: %d bytes to a file, %q to a buffer", st.Size(), buf.String())
	}
}
