package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// q during a run restores the terminal, then prints the report of what is
// known, which says it is not final: nothing seen on the screen is lost by
// quitting.
func TestQuitMidRunPrintsAProvisionalReport(t *testing.T) {
	in, keys := io.Pipe()
	out := &syncBuf{}
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--seed", "34", "--devices", "1", "--fps", "10"}, in, out, &errb)
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "pending") { // the comparator has a status
		select {
		case code := <-done:
			t.Fatalf("the screen ended by itself (exit %d): %s", code, errb.String())
		case <-deadline:
			t.Fatal("the comparator never showed a status")
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := keys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	var code int
	select {
	case code = <-done:
	case <-deadline:
		t.Fatal("q did not end the run")
	}
	keys.Close()
	all := out.String()
	restored := strings.LastIndex(all, "\x1b[?1049l") // the alternate screen left
	if code != 0 || restored < 0 {
		t.Fatalf("exit %d, screen restored at %d; stderr %s", code, restored, errb.String())
	}
	report := all[restored:]
	t.Logf("the report after the screen:\n%s", report)
	for _, want := range []string{"streamtop report", "NOT FINAL", "not final:", "keys pending"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report after the screen lacks %q:\n%s", want, report)
		}
	}
}

// watch against a broker that does not answer says so in its header
// ("disconnected since …"), not "run 0 running" with zeros.
func TestWatchADeadBroker(t *testing.T) {
	in, keys := io.Pipe()
	out := &syncBuf{}
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"watch", "-b", "127.0.0.1:1", "--fps", "10"}, in, out, &errb) }()
	deadline := time.After(time.Minute)
	for !strings.Contains(out.String(), "disconnected since") {
		select {
		case code := <-done:
			t.Fatalf("watch ended (exit %d): %s", code, errb.String())
		case <-deadline:
			t.Fatalf("no 'disconnected since' in the header:\n%q", tailString(out.String(), 2000))
		case <-time.After(50 * time.Millisecond):
		}
	}
	keys.Write([]byte("q"))
	select {
	case <-done:
	case <-deadline:
		t.Fatal("q did not end watch")
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
