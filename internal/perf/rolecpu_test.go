package perf

import (
	"os"
	"testing"
	"time"
)

func TestParseEngineSummary(t *testing.T) {
	out := "something else\nengine streamtop: 3150417 events, 3000000 accepted, 150014 duplicates and 403 late dropped, 156058 results\n"
	s, err := ParseEngineSummary(out)
	if err != nil || s.Events != 3150417 {
		t.Fatalf("got %+v, %v", s, err)
	}
	if _, err := ParseEngineSummary("engine streamtop: stopped\n"); err == nil {
		t.Fatal("a line without a count was taken")
	}
}

// ProcessCPU reads this process's CPU time from /proc: it grows by about
// what a busy loop burns.
func TestProcessCPUCountsWhatThisProcessBurns(t *testing.T) {
	u0, s0, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		x++
	}
	u1, s1, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := (u1 + s1) - (u0 + s0); d < 50*time.Millisecond || x == 0 {
		t.Fatalf("a 300 ms busy loop added %v of CPU", d)
	}
}
