package kafka

import (
	"maps"
	"strings"
	"testing"
)

// A progress value that parses names partitions ≥ 0 and, written back with
// ProgressValue, reads back the same.
func FuzzParseProgress(f *testing.F) {
	f.Add([]byte(`{"engine":"streamtop","closed":{"0":1767225600000,"3":-5}}`))
	f.Add([]byte(`{"closed":{}}`))
	f.Add([]byte(`{"engine":"x\"y","closed":{"2147483647":9223372036854775807,"1":-9223372036854775808}}`))
	f.Add([]byte(`{"closed":{"01":1,"1":2}}`))
	f.Add([]byte(`{"closed":{"-1":1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		closed, err := ParseProgress(b)
		if err != nil {
			return
		}
		for p := range closed {
			if p < 0 {
				t.Fatalf("partition %d", p)
			}
		}
		v := ProgressValue("fuzz", closed)
		back, err := ParseProgress(v)
		if err != nil || !maps.Equal(back, closed) {
			t.Fatalf("round trip: %v → %s → %v, %v", closed, v, back, err)
		}
	})
}

// CommitMeta reads back what it wrote, for any tag and horizon; a parsed
// metadata string written again reads back the same.
func FuzzCommitMeta(f *testing.F) {
	f.Add("streamtop/v1;closed=1767225600000;run=ab12/0", "ab12/3", int64(1767225600000))
	f.Add("streamtop/v1;closed=-5;run=", "", int64(-9223372036854775808))
	f.Add("streamtop/v1;closed=+05;run=a;run=b", "x;run=y", int64(0))
	f.Add("streamtop/v2;closed=1;run=a", "a#mac", int64(1))
	f.Fuzz(func(t *testing.T, s, tag string, closed int64) {
		if got, ok := ParseCommitMeta(CommitMeta(tag, closed)); !ok || got != (Floor{Tag: tag, Closed: closed}) {
			t.Fatalf("CommitMeta(%q, %d) reads back %+v, %v", tag, closed, got, ok)
		}
		fl, ok := ParseCommitMeta(s)
		if !ok {
			return
		}
		if again, ok := ParseCommitMeta(CommitMeta(fl.Tag, fl.Closed)); !ok || again != fl {
			t.Fatalf("%q → %+v → %+v, %v", s, fl, again, ok)
		}
	})
}

// fuzzKey is the key the run-header target checks.
var fuzzKey = RunKey("fuzzing-key-0123456789")

// A run header verifies only for what the key produced: an event header
// for its tag (never as a marker), a marker header for its tag, kind,
// value and partition (never for another of them, never as an event), and
// what the key produced verifies (tags without '#', the header's separator).
func FuzzRunHeaders(f *testing.F) {
	f.Add("s/0", HeaderEnd, "0", int32(0), HeaderEnd, "0", int32(1), "s/0#AAAAAAAAAAAAAAAA")
	f.Add("s/0", HeaderClock, "17", int32(2), HeaderEnd, "17", int32(2), "")
	f.Add("s/1", HeaderProgress, "1", int32(3), HeaderProgress, "1", int32(3), "s/99")
	f.Fuzz(func(t *testing.T, tag, kind, value string, p int32, kind2, value2 string, p2 int32, forged string) {
		ev := fuzzKey.EventHeader(tag)
		m := fuzzKey.MarkerHeader(tag, kind, value, p)
		if !strings.Contains(tag, "#") {
			if got, ok := fuzzKey.VerifyEvent(ev); !ok || got != tag {
				t.Fatalf("own event header %q: %q %v", ev, got, ok)
			}
			if got, ok := fuzzKey.VerifyMarker(m, kind, value, p); !ok || got != tag {
				t.Fatalf("own marker header %q: %q %v", m, got, ok)
			}
		}
		if _, ok := fuzzKey.VerifyMarker(ev, kind2, value2, p2); ok {
			t.Fatalf("event header %q of %q verified as a marker %q=%q on %d", ev, tag, kind2, value2, p2)
		}
		if _, ok := fuzzKey.VerifyEvent(m); ok {
			t.Fatalf("marker header %q verified as an event", m)
		}
		same := kind == kind2 && value == value2 && p == p2
		if got, ok := fuzzKey.VerifyMarker(m, kind2, value2, p2); ok && (!same || got != tag) {
			t.Fatalf("marker %q=%q on %d of %q verified as %q=%q on %d of %q", kind, value, p, tag, kind2, value2, p2, got)
		}
		// Any other string verifies only if it is what the key makes.
		if got, ok := fuzzKey.VerifyEvent(forged); ok && forged != fuzzKey.EventHeader(got) {
			t.Fatalf("%q verified as an event of %q", forged, got)
		}
		if got, ok := fuzzKey.VerifyMarker(forged, kind2, value2, p2); ok && forged != fuzzKey.MarkerHeader(got, kind2, value2, p2) {
			t.Fatalf("%q verified as a marker of %q", forged, got)
		}
	})
}
