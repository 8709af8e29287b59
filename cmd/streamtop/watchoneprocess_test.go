package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// watch against a one-process run: the run says how to watch it (its
// broker and the file holding its run key); a watcher given that key acts
// on the run's markers, one without it counts them as unverified, and
// neither reads the missing consumer group as an error.
func TestWatchAOneProcessRun(t *testing.T) {
	runErr := &syncBuf{}
	ended := make(chan int, 1)
	go func() {
		ended <- run([]string{"--headless", "--seed", "34", "--devices", "2", "--duration", "25s", "--report", "json"},
			strings.NewReader(""), io.Discard, runErr)
	}()
	hint := regexp.MustCompile(`streamtop watch -b (\S+) --run-key-file (\S+)`)
	deadline := time.After(time.Minute)
	var m []string
	for m == nil {
		select {
		case code := <-ended:
			t.Fatalf("the run ended (exit %d) without saying how to watch it: %s", code, runErr.String())
		case <-deadline:
			t.Fatalf("no watch hint: %s", runErr.String())
		case <-time.After(50 * time.Millisecond):
			m = hint.FindStringSubmatch(runErr.String())
		}
	}
	type watcher struct {
		out  *syncBuf
		keys *io.PipeWriter
		done chan int
	}
	start := func(args ...string) watcher {
		in, keys := io.Pipe()
		w := watcher{out: &syncBuf{}, keys: keys, done: make(chan int, 1)}
		var errb bytes.Buffer
		go func() { w.done <- run(append([]string{"watch", "-b", m[1], "--fps", "10"}, args...), in, w.out, &errb) }()
		return w
	}
	keyed, blind := start("--run-key-file", m[2]), start()
	screen := func(w watcher) string { return ansi.Strip(w.out.String()) }
	for !strings.Contains(screen(blind), "unverified") { // the run's progress records have come
		select {
		case <-deadline:
			t.Fatalf("the watcher without the key never counted a marker unverified:\n%s", tailString(screen(blind), 3000))
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(2 * time.Second) // the keyed watcher read the same records
	for name, w := range map[string]watcher{"keyed": keyed, "blind": blind} {
		got := screen(w)
		if strings.Contains(got, "GROUP_ID_NOT_FOUND") || !strings.Contains(got, "no consumer group") {
			t.Errorf("%s: the missing group is an error, or not said:\n%s", name, tailString(got, 3000))
		}
		if !strings.Contains(got, "no truth to judge against") {
			t.Errorf("%s: the comparator does not say why it has no verdict:\n%s", name, tailString(got, 3000))
		}
	}
	if got := screen(keyed); strings.Contains(got, "unverified") {
		t.Errorf("the watcher with the run's key did not verify its markers:\n%s", tailString(got, 3000))
	}
	for _, w := range []watcher{keyed, blind} {
		w.keys.Write([]byte("q"))
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			t.Fatal("q did not end watch")
		}
	}
	if code := <-ended; code != exitOK {
		t.Errorf("the run ended with %d: %s", code, runErr.String())
	}
}
