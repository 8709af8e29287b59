package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
)

// Defect 15: `rates --duration` dropped its last tick (the source, the
// pipeline and the watcher were stopped at once, and the pipeline never
// saw the tick written last). Every tick but the first (which primes) gives
// a rate, however the stop falls.
func TestRatesDurationKeepsTheLastTick(t *testing.T) {
	b, err := kafka.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 3 {
		var out, errb bytes.Buffer
		args := []string{"rates", "--brokers", b.Addr(), "--source", "sim", "--interval", "15ms", "--duration", "600ms",
			"--topic-rate-input", "in" + string(rune('a'+i)), "--topic-rate", "rate" + string(rune('a'+i))}
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Fatalf("rates: exit %d\n%s", code, errb.String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		adm, err := kafka.Config{Brokers: []string{b.Addr()}}.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		ends := func(topic string) int64 {
			e, err := kafka.EndOffsets(ctx, kadm.NewClient(adm), topic)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, o := range e {
				n += o
			}
			return n
		}
		ticks, rates := ends("in"+string(rune('a'+i))), ends("rate"+string(rune('a'+i)))
		adm.Close()
		cancel()
		if ticks < 5 || rates != ticks-1 {
			t.Fatalf("run %d: %d ticks gave %d rates, want %d", i, ticks, rates, ticks-1)
		}
	}
}
