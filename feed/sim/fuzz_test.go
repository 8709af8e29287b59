package sim

import (
	"bytes"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// replaySeeds are recorded lines in every form, good and bad.
var replaySeeds = []string{
	`{"id":"d-0","di":"d","dt":1487662207216,"c":"cat-1","m1":33,"m2":381.23,"send":1487662207216}`,
	`{"id": "d-0", "di": "d", "dt": "1487662207216", "c": "cat-1", "m1": 33, "m2": 381.230831563} 1487662207615 0.399 re`,
	`{"id":"d-100","di":"d","dt":"1487662088059","c":"cat-4","m1":49,"m2":351.6} 1487662219097 131.038 late`,
	`dev-7|dev|1487662208500|cat-2|5|1.25 1487662208501 0.001`,
	`dev-7|dev|1487662208500|cat-2|5|1.25 1487662208501 0.001 ooo`,
	`{"id":"d-9","di":"d","dt":-5,"c":"cat-3","m1":-6,"m2":2.5e-7,"send":"-3"}`,
	`{"id":"d-9","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"\u00e9\"x","di":"d\\","dt":1,"c":"c","m1":1,"m2":1,"send":2}`,
	`d|x|1|c|1|1 1 x`,
	`{`,
}

// A recorded line that parses has its send time in range and, written back
// in either of our forms (JSON lines, the printed form), reads back the same.
func FuzzParseRecorded(f *testing.F) {
	for _, s := range replaySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := ParseRecorded(line)
		if err != nil {
			return
		}
		if s.Send < -engine.MaxTime || s.Send > engine.MaxTime {
			t.Fatalf("send %d out of range", s.Send)
		}
		back, err := ParseRecorded(AppendRecorded(nil, s))
		if err != nil || back.Event != s.Event || back.Send != s.Send {
			t.Fatalf("JSON line round trip: %+v → %q → %+v, %v", s, AppendRecorded(nil, s), back, err)
		}
		printed := AppendPrinted(nil, s, false)
		back, err = ParseRecorded(printed)
		if err != nil || back != s {
			t.Fatalf("printed round trip: %+v → %q → %+v, %v", s, printed, back, err)
		}
	})
}

// A replay file of any content: the scan and the replay agree on the events
// (count, originals, monotony), every line is either an event, skipped as
// blank or a comment, or counted malformed, and a file in memory has no
// read error.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(recorded))
	f.Add([]byte(bytes.Join([][]byte{[]byte(replaySeeds[0]), []byte(replaySeeds[1]), []byte(replaySeeds[3])}, []byte("\r\n"))))
	f.Add([]byte("# only a comment\n\n\t\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		sc, err := ScanReplay(bytes.NewReader(file), "fuzz")
		if err != nil {
			t.Fatalf("scan of a file in memory: %v", err)
		}
		r := NewReplay(bytes.NewReader(file), "fuzz")
		events, originals, monotone, last := 0, 0, true, int64(engine.None)
		ids := map[string]bool{}
		for s, ok := r.Next(); ok; s, ok = r.Next() {
			events++
			if s.Send < last {
				monotone = false
			}
			last = max(last, s.Send)
			if s.Kind == Original {
				if ids[s.Event.ID] {
					t.Fatalf("id %q an original twice", s.Event.ID)
				}
				originals++
			}
			ids[s.Event.ID] = true
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		if sc.Events != events || sc.Originals != originals || sc.Monotone != monotone || originals != len(ids) {
			t.Fatalf("scan %+v; replay %d events, %d originals (%d ids), monotone %v", sc, events, originals, len(ids), monotone)
		}
		malformed, _ := r.Malformed()
		lines := bytes.Count(file, []byte("\n")) + 1
		if int64(events)+malformed > int64(lines) {
			t.Fatalf("%d events and %d malformed from %d lines", events, malformed, lines)
		}
	})
}
