package rates

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

// tickSeeds are ticks in every form SPEC §5 names, good and bad.
var tickSeeds = []string{
	`{"rate":40012.5,"ts":1767225600000}`,
	`{"rate":1e12}`,
	`{"rate":0}`,
	`{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"7.1234"}}`,
	`{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"NaN"}}`,
	`40000.25`,
	`-1`,
	`Inf`,
	` {"rate":"1"} `,
}

// A tick that decodes has a rate in (0, MaxRate]; written back in the
// simulator's form (and as a bare number) it decodes the same.
func FuzzDecodeTick(f *testing.F) {
	for _, s := range tickSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := engine.DecodeTick(b)
		if err != nil {
			return
		}
		if math.IsNaN(tk.Rate) || tk.Rate <= 0 || tk.Rate > engine.MaxRate {
			t.Fatalf("%q: rate %v", b, tk.Rate)
		}
		sim := []byte(`{"rate":` + strconv.FormatFloat(tk.Rate, 'f', -1, 64) + `,"ts":` + strconv.FormatInt(tk.TS, 10) + `}`)
		if back, err := engine.DecodeTick(sim); err != nil || back != tk {
			t.Fatalf("%+v → %s → %+v, %v", tk, sim, back, err)
		}
		bare := strconv.FormatFloat(tk.Rate, 'g', -1, 64)
		if back, err := engine.DecodeTick([]byte(bare)); err != nil || back.Rate != tk.Rate {
			t.Fatalf("%v → %s → %+v, %v", tk.Rate, bare, back, err)
		}
	})
}

// A tick file gives its lines, trimmed, minus blank lines and comments,
// in order, and then io.EOF (FileTicks reads the file and hands it to
// fileTicks, fuzzed here without a file per input).
func FuzzFileTicks(f *testing.F) {
	f.Add([]byte("# ticks\n40000\n\n{\"rate\":40001}\r\n  # indented comment\n  40002  \nnot a tick"))
	f.Add([]byte(""))
	f.Add([]byte("\n\n#\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		src, err := fileTicks(file, "fuzz")
		if err != nil {
			t.Fatalf("a %d-byte file: %v", len(file), err)
		}
		var want [][]byte
		for _, l := range bytes.Split(file, []byte("\n")) {
			if l = bytes.TrimSpace(l); len(l) > 0 && l[0] != '#' {
				want = append(want, l)
			}
		}
		for i := 0; ; i++ {
			got, err := src(context.Background())
			if errors.Is(err, io.EOF) {
				if i != len(want) {
					t.Fatalf("%d ticks, want %d", i, len(want))
				}
				return
			}
			if i < len(want) && len(want[i]) > MaxTickLine { // skipped with an error
				if err == nil {
					t.Fatalf("tick %d: a %d-byte line was handed over", i, len(want[i]))
				}
				continue
			}
			if err != nil || i >= len(want) || !bytes.Equal(got, want[i]) {
				t.Fatalf("tick %d: %q, %v; want %d ticks: %q", i, got, err, len(want), want)
			}
		}
	})
}
