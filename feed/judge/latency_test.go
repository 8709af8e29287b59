package judge

import (
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
)

func TestLatencies(t *testing.T) {
	l := newLatencies(5 * time.Second)
	k := engine.Key{Device: "d", Category: "c", WindowEnd: 10_000}
	if _, _, n := l.quantiles(); n != 0 {
		t.Fatal("samples before any result")
	}
	l.result(k, 9_000) // nothing sent for k yet: no sample
	for i, send := range []int64{5_100, 6_000, 9_900} {
		ev := engine.Event{Device: "d", Category: "c", Time: 5_000 + int64(i)*1000}
		l.sent(&ev, send)
	}
	l.result(k, 10_000)         // 100 ms after the newest send
	l.result(k, 10_400)         // 500 ms
	l.result(k, 9_800)          // before the newest send: not a latency of it
	l.result(k, 9_900+20*60000) // 20 min: a virtual clock's gap, not a latency
	p50, p99, n := l.quantiles()
	if n != 2 || p50 != 100*time.Millisecond || p99 != 100*time.Millisecond {
		t.Fatalf("p50 %v p99 %v n %d", p50, p99, n)
	}
	for range 98 {
		l.result(k, 10_400)
	}
	if p50, p99, n = l.quantiles(); n != 100 || p50 != 500*time.Millisecond || p99 != 500*time.Millisecond {
		t.Fatalf("after 100: p50 %v p99 %v n %d", p50, p99, n)
	}
	l.forget(10_001)
	l.result(k, 10_500)
	if _, _, n = l.quantiles(); n != 100 {
		t.Fatalf("a forgotten key still sampled: %d", n)
	}
}
