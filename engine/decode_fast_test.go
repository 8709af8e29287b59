package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// injectorEvents are n events as the injector makes them: UUID devices,
// ids of device and sequence, m2 with 9 decimals.
func injectorEvents(n int) []Event {
	rng := rand.New(rand.NewPCG(34, 1))
	devs := make([]string, 100)
	for i := range devs {
		devs[i] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()>>16)
	}
	evs := make([]Event, n)
	for i := range evs {
		dev := devs[rng.IntN(len(devs))]
		evs[i] = Event{ID: fmt.Sprintf("%s-%d", dev, i), Device: dev, Time: 1767225600000 + rng.Int64N(1e9),
			Category: fmt.Sprintf("cat-%d", rng.IntN(5)), M1: rng.Int64N(201) - 100, M2: math.Round(rng.Float64()*1e12) / 1e9}
		if i%7 == 0 {
			evs[i].M2 = -evs[i].M2
		}
	}
	return evs
}

// The injector's records take the fast path, and it reads them exactly.
func TestCanonicalTakesTheInjectorsRecords(t *testing.T) {
	d := NewDecoder()
	for _, ev := range injectorEvents(10000) {
		b := ev.AppendJSON(nil)
		got, ok := d.canonical(b)
		if !ok || got != ev {
			t.Fatalf("%s: canonical %+v, %v; want %+v", b, got, ok, ev)
		}
	}
}

// BenchmarkCanonicalVsScan decodes the injector's records with Decode (the
// fast path) and with the general scanner alone, in turns: the ratio is
// what the fast path buys.
func BenchmarkCanonicalVsScan(b *testing.B) {
	var lines [][]byte
	for _, ev := range injectorEvents(1 << 14) {
		lines = append(lines, ev.AppendJSON(nil))
	}
	d := NewDecoder()
	var fast, scan time.Duration
	for b.Loop() {
		for _, c := range []struct {
			decode func([]byte) (Event, error)
			t      *time.Duration
		}{{d.Decode, &fast}, {d.scan, &scan}} {
			start := time.Now()
			for _, l := range lines {
				if _, err := c.decode(l); err != nil {
					b.Fatal(err)
				}
			}
			*c.t += time.Since(start)
		}
	}
	n := float64(b.N * len(lines))
	b.ReportMetric(float64(fast.Nanoseconds())/n, "fast-ns/event")
	b.ReportMetric(float64(scan.Nanoseconds())/n, "scan-ns/event")
	b.ReportMetric(float64(scan)/float64(fast), "speedup")
}

// canonicalCases are records near the canonical form: each is either
// declined by the fast path or read as the general scanner reads it.
var canonicalCases = []string{
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":-0,"c":"c","m1":-0,"m2":-0.0}`,
	`{"id":"i","di":"d","dt":0,"c":"c","m1":0,"m2":0.00000000000001}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":0.000000000000001}`,
	`{"id":"i","di":"d","dt":01,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":01,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":01.5}`,
	`{"id":"i","di":"d","dt":1.0,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1e3,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1e3}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1.}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":.5}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":-}`,
	`{"id":"i","di":"d","dt":-,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1234567890.123456}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":123456789012345}`,
	`{"id":"i","di":"d","dt":1234567890123456789,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1125899906842625,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1099511627777,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":-1099511627777}`,
	`{"id":"","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"","m1":1,"m2":1}`,
	`{"id":"i\"","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i\\","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"é","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	"{\"id\":\"i\t\",\"di\":\"d\",\"dt\":1,\"c\":\"c\",\"m1\":1,\"m2\":1}",
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1} `,
	` {"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1}}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1,"m1":2}`,
	`{"id":"i","di":"d","dt":"1","c":"c","m1":1,"m2":1}`,
	`{"id":null,"di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1 }`,
	`{"id":"i","di":"d","dt":1,"c":"` + strings.Repeat("c", 257) + `","m1":1,"m2":1}`,
	`{"di":"d","id":"i","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1.5,"x":1}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":431.77418934412345}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":-1.5e-7}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1E+2}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1e}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1e999}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":1e-999}`,
	`{"id":"i","di":"d","dt":1,"c":"c","m1":1,"m2":2e12}`,
}

// canonicalAgrees checks b: declined, or read as the general scanner reads it.
func canonicalAgrees(t *testing.T, b []byte) {
	t.Helper()
	fast, ok := NewDecoder().canonical(b)
	if !ok {
		return
	}
	want, err := NewDecoder().scan(b)
	if err != nil || fast != want || math.Signbit(fast.M2) != math.Signbit(want.M2) {
		t.Errorf("%q: fast path %+v; the scanner %+v, %v", b, fast, want, err)
	}
}

func TestCanonicalDeclinesOrAgrees(t *testing.T) {
	taken := 0
	for _, c := range canonicalCases {
		canonicalAgrees(t, []byte(c))
		if _, ok := NewDecoder().canonical([]byte(c)); ok {
			taken++
		}
	}
	// The first three are canonical, and the long and exponent forms of m2
	// after them: the test would pass vacuously if the fast path declined
	// everything.
	if taken < 7 {
		t.Errorf("the fast path took %d of the cases, want at least the 7 canonical ones", taken)
	}
}

func FuzzCanonicalAgreesWithScanner(f *testing.F) {
	for _, c := range canonicalCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { canonicalAgrees(t, b) })
}

func TestPlainJSONBytes(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"", true}, {"abcdefghijklmnop", true}, {"~~~~~~~~ !!!!!!!", true},
		{"abcdefg\\", false}, {"\\abcdefghij", false}, {"abcdefghij\\", false},
		{"abcdefg\x1f", false}, {"abcdefg\x7f", true}, {"abcdefg\x80", false}, {"a\x00", false},
		{"[[[[[[[[]]]]]]]]", true}, {"]]]]]]]]\\", false}, {"\x5b\x5d\x5c", false},
	} {
		if got := plainJSONBytes([]byte(c.s)); got != c.want {
			t.Errorf("plainJSONBytes(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

func TestEightDigits(t *testing.T) {
	for _, c := range []string{"00000000", "12345678", "99999999", "17672256", "1234567/", "1234567:", "a2345678", "12 45678", "\x00\x00\x00\x00\x00\x00\x00\x00"} {
		x := binary.LittleEndian.Uint64([]byte(c))
		want, err := strconv.ParseUint(c, 10, 64)
		if got := eightDigits(x); got != (err == nil) {
			t.Errorf("eightDigits(%q) = %v, want %v", c, got, err == nil)
		} else if got && eightDigitsValue(x) != want {
			t.Errorf("eightDigitsValue(%q) = %d, want %d", c, eightDigitsValue(x), want)
		}
	}
	// Every byte value at every position, the others digits.
	for pos := range 8 {
		for b := range 256 {
			s := []byte("31415926")
			s[pos] = byte(b)
			_, err := strconv.ParseUint(string(s), 10, 64)
			if got := eightDigits(binary.LittleEndian.Uint64(s)); got != (err == nil) {
				t.Fatalf("eightDigits(%q) = %v", s, got)
			}
		}
	}
}
