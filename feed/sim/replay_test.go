package sim

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// Lines as the original injector printed them (from the boontadata slides),
// a JSON line, and malformed ones.
const recorded = `
# comment
{"id":"56169865-cf64-408a-951e-cd7d6016de51-0", "di":"56169865-cf64-408a-951e-cd7d6016de51", "dt":"1487662207216", "c":"cat-1", "m1":33, "m2":381.230831563} 1487662207216 0.0
{"id": "56169865-cf64-408a-951e-cd7d6016de51-1", "di": "56169865-cf64-408a-951e-cd7d6016de51", "dt": "1487662207484", "c": "cat-1", "m1": 85, "m2": 392.382876072} 1487662207484 0.0
{"id":"56169865-cf64-408a-951e-cd7d6016de51-0", "di":"56169865-cf64-408a-951e-cd7d6016de51", "dt":"1487662207216", "c":"cat-1", "m1":33, "m2":381.230831563} 1487662207615 0.399 re
{"id":"56169865-cf64-408a-951e-cd7d6016de51-100", "di":"56169865-cf64-408a-951e-cd7d6016de51", "dt":"1487662088059", "c":"cat-4", "m1":49, "m2":351.645271718} 1487662219097 131.038 late
{"id": "56169865-cf64-408a-951e-cd7d6016de51-6", "di": "56169865-cf64-408a-951e-cd7d6016de51", "dt": "1487662208448", "c": "cat-4", "m1": 78, "m2": 474,637726528} 1487662208448 0.0
dev-7|dev|1487662208500|cat-2|5|1.25 1487662208501 0.001
{"id":"dev-8","di":"dev","dt":1487662208600,"c":"cat-3","m1":6,"m2":2.5,"send":1487662208610}
{"id":"dev-9","di":"dev","dt":1487662208600,"c":"cat-3","m1":6,"m2":2.5}
dev-10|dev|x|cat-2|5|1.25 1487662208501 0.001
`

func TestReplayReadsBothRecordedForms(t *testing.T) {
	r := NewReplay(strings.NewReader(recorded), "slides.txt")
	var got []Sent
	for s, ok := r.Next(); ok; s, ok = r.Next() {
		got = append(got, s)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d events, want 6: %+v", len(got), got)
	}
	n, last := r.Malformed()
	if n != 3 || last == nil || !strings.Contains(last.Error(), "slides.txt:") {
		t.Errorf("malformed %d (%v), want 3 with a file:line reason", n, last)
	}
	want := []struct {
		id   string
		send int64
		kind Kind
		late bool
	}{
		{"56169865-cf64-408a-951e-cd7d6016de51-0", 1487662207216, Original, false},
		{"56169865-cf64-408a-951e-cd7d6016de51-1", 1487662207484, Original, false},
		{"56169865-cf64-408a-951e-cd7d6016de51-0", 1487662207615, Repeat, false},
		{"56169865-cf64-408a-951e-cd7d6016de51-100", 1487662219097, Original, true},
		{"dev-7", 1487662208501, Original, false},
		{"dev-8", 1487662208610, Original, false},
	}
	for i, w := range want {
		g := got[i]
		if g.Event.ID != w.id || g.Send != w.send || g.Kind != w.kind || g.Late != w.late {
			t.Errorf("event %d: %+v, want %+v", i, g, w)
		}
	}
	if got[0].Event.Time != 1487662207216 || got[0].Event.M1 != 33 || got[4].Event.Category != "cat-2" {
		t.Errorf("fields not parsed: %+v / %+v", got[0].Event, got[4].Event)
	}
}

func TestRecordedFormsRoundTrip(t *testing.T) {
	s := Sent{Event: engine.Event{ID: "a-1", Device: "a", Time: 990, Category: "cat-2", M1: 4, M2: 0.25}, Send: 1000, Late: true}
	for name, line := range map[string][]byte{
		"jsonl":   AppendRecorded(nil, s),
		"printed": AppendPrinted(nil, s, false),
		"pipe":    AppendPrinted(nil, s, true),
	} {
		got, err := ParseRecorded(line)
		if err != nil {
			t.Fatalf("%s %q: %v", name, line, err)
		}
		if got.Event != s.Event || got.Send != s.Send {
			t.Errorf("%s: %+v, want %+v", name, got, s)
		}
	}
	if _, err := ParseRecorded([]byte(`{"id":"a"} 12 0.0 bogus`)); !errors.Is(err, engine.ErrMalformed) {
		t.Errorf("bad line: %v", err)
	}
}

func TestReplayRejectsSendTimesOutOfRange(t *testing.T) {
	for _, line := range []string{
		`d-1|d|1000|cat-1|1|1 9223372036854775807 0.0`,
		`{"id":"d-1","di":"d","dt":1000,"c":"cat-1","m1":1,"m2":1,"send":-9223372036854775808}`,
	} {
		if _, err := ParseRecorded([]byte(line)); !errors.Is(err, engine.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", line, err)
		}
	}
}

func TestScanReplay(t *testing.T) {
	sc, err := ScanReplay(strings.NewReader(recorded), "slides.txt")
	if err != nil {
		t.Fatal(err)
	}
	// 6 events, 5 originals, 2 devices; the late one lags 131.038 s; the
	// file's send times go back (…219097 then …208501).
	if sc.Events != 6 || sc.Originals != 5 || sc.Devices != 2 || sc.MaxLag != 131038 || sc.Monotone {
		t.Errorf("scan %+v", sc)
	}
}

// Defect 11: a line over MaxReplayLine ended the replay with a read error
// (the run aborted: exit 1, no report). It is counted as malformed and the
// replay goes on, in the scan as in the replay itself.
func TestReplaySkipsALineOverTheLimit(t *testing.T) {
	good := `{"id":"d-%d","di":"d","dt":1000,"c":"cat-1","m1":1,"m2":1,"send":1000}`
	long := `{"id":"d-x","di":"` + strings.Repeat("x", MaxReplayLine) + `","dt":1000,"c":"cat-1","m1":1,"m2":1,"send":1000}`
	file := strings.Replace(good, "%d", "0", 1) + "\n" + long + "\r\n" + strings.Replace(good, "%d", "1", 1) + "\n" + long
	sc, err := ScanReplay(strings.NewReader(file), "long.txt")
	if err != nil || sc.Events != 2 {
		t.Fatalf("scan: %d events, %v; want 2 and no error", sc.Events, err)
	}
	r := NewReplay(strings.NewReader(file), "long.txt")
	var ids []string
	for s, ok := r.Next(); ok; s, ok = r.Next() {
		ids = append(ids, s.Event.ID)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	n, last := r.Malformed()
	if strings.Join(ids, ",") != "d-0,d-1" || n != 2 || last == nil || !strings.Contains(last.Error(), "long.txt:4") {
		t.Fatalf("events %v, malformed %d (%v); want d-0,d-1 and the two long lines (2 and 4) skipped", ids, n, last)
	}
	// A line of exactly MaxReplayLine bytes is read.
	exact := `{"id":"d-2","di":"d","dt":1000,"c":"cat-1","m1":1,"m2":1,"send":1000}`
	exact = exact[:len(exact)-1] + `,"pad":"` + strings.Repeat("p", MaxReplayLine-len(exact)-9) + `"}`
	if len(exact) != MaxReplayLine {
		t.Fatalf("test line is %d bytes", len(exact))
	}
	r = NewReplay(strings.NewReader(exact+"\n"), "exact.txt")
	if s, ok := r.Next(); !ok || s.Event.ID != "d-2" {
		t.Fatalf("a line of MaxReplayLine bytes: %+v %v (%v)", s, ok, r.Err())
	}
}

// SPEC §2: any pattern word is accepted and only informative; the
// original's older logs print d<s for a late event.
func TestReplayAcceptsAnyPatternWord(t *testing.T) {
	for word, late := range map[string]bool{"late": true, "d<s": true, "re": false, "whatever": false} {
		s, err := ParseRecorded([]byte(`a-1|a|1000|cat-1|3|1.5 2000 0.5 ` + word))
		if err != nil {
			t.Fatalf("pattern %q: %v", word, err)
		}
		if s.Late != late || s.Send != 2000 || s.Event.M1 != 3 {
			t.Errorf("pattern %q: %+v", word, s)
		}
	}
}
