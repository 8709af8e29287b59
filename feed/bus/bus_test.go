package bus

import (
	"testing"
	"time"
)

func TestBusSubscriberIsLosslessAndOrdered(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(1, func(m any) bool { _, ok := m.(*TruthBatch); return ok })
	const n = 1000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			b.Publish(&TruthBatch{Run: i})
			b.Publish(&EngineStatus{}) // filtered out for sub
		}
	}()
	for i := range n {
		m := (<-sub.C()).(*TruthBatch)
		if m.Run != i {
			t.Fatalf("got batch %d, want %d", m.Run, i)
		}
	}
	<-done
	b.Unsubscribe(sub)
	b.Publish(&TruthBatch{}) // must not block once unsubscribed
}

func TestBusUnsubscribeReleasesABlockedPublisher(t *testing.T) {
	b := NewBus()
	sub := b.Subscribe(1, nil)
	b.Publish(&TruthBatch{})
	released := make(chan struct{})
	go func() { b.Publish(&TruthBatch{}); close(released) }()
	select {
	case <-released:
		t.Fatal("publish to a full lossless subscriber did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	b.Unsubscribe(sub)
	select {
	case <-released:
	case <-time.After(time.Second):
		t.Fatal("unsubscribe did not release the publisher")
	}
}

func TestLatestCoalescesForTheScreenAndCounts(t *testing.T) {
	b := NewBus()
	w := b.Watch()
	for i := range 10 {
		b.Publish(&InjectorStatus{Sent: int64(i)})
	}
	b.Publish(&EngineStatus{Consumed: 5})
	b.Publish(LogEntry{Text: "hello"})
	s := w.Snapshot()
	if s.Injector == nil || s.Injector.Sent != 9 || s.Engine.Consumed != 5 {
		t.Fatalf("snapshot %+v", s)
	}
	if s.Coalesced != 9 {
		t.Errorf("coalesced %d, want 9 (ten injector statuses, one read)", s.Coalesced)
	}
	if len(s.Logs) != 1 || s.Logs[0].Text != "hello" {
		t.Errorf("logs %+v", s.Logs)
	}
	b.Publish(&InjectorStatus{Sent: 10})
	if s2 := w.Snapshot(); s2.Coalesced != 9 || s2.Seq <= s.Seq {
		t.Errorf("a status replaced after a read is not coalesced: %d, seq %d→%d", s2.Coalesced, s.Seq, s2.Seq)
	}
	for range MaxLogs + 5 {
		b.Publish(LogEntry{Text: "x"})
	}
	if s3 := w.Snapshot(); len(s3.Logs) != MaxLogs || s3.LogsLost != 6 {
		t.Errorf("logs kept %d lost %d", len(s3.Logs), s3.LogsLost)
	}
}

func TestControlsApply(t *testing.T) {
	c, err := NewControls(Settings{Dup: NewToggle(0.05), Late: NewToggle(0.01), Rate: 20, Dedup: true, WatermarkLag: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ch := c.Changed()
	s := c.Apply(ToggleDup)
	select {
	case <-ch:
	default:
		t.Error("Changed not closed by Apply")
	}
	if s.Dup.On || s.Dup.Label("dup") != "dup off" {
		t.Errorf("dup after toggle: %+v %q", s.Dup, s.Dup.Label("dup"))
	}
	if s = c.Apply(ToggleDup); s.Dup.Label("dup") != "dup 5% on" {
		t.Errorf("dup back on: %q", s.Dup.Label("dup"))
	}
	if s = c.Apply(ToggleOOO); !s.OOO.On || s.OOO.P != 0.05 {
		t.Errorf("ooo switched on from 0 uses the demo's 5%%: %+v", s.OOO)
	}
	if s = c.Apply(RateUp); s.Rate != 50 {
		t.Errorf("rate up from 20: %v", s.Rate)
	}
	if s = c.Apply(RateDown); s.Rate != 20 {
		t.Errorf("rate down from 50: %v", s.Rate)
	}
	if s = c.Apply(WatermarkUp); s.WatermarkLag != 2*time.Second {
		t.Errorf("W up from 1s: %v", s.WatermarkLag)
	}
	for range 20 {
		s = c.Apply(WatermarkDown)
	}
	if s.WatermarkLag != 0 {
		t.Errorf("W floor: %v", s.WatermarkLag)
	}
	if s = c.Apply(NextMode); s.Mode.String() != "processing" {
		t.Errorf("mode: %v", s.Mode)
	}
	c.Apply(TogglePause)
	if s = c.Apply(Reset); s.Run != 1 || s.Paused {
		t.Errorf("reset: %+v", s)
	}
	if _, err := NewControls(Settings{Rate: 0}); err == nil {
		t.Error("rate 0 accepted")
	}
	if _, err := NewControls(Settings{Rate: 1, Dup: Toggle{P: 2}}); err == nil {
		t.Error("dup probability 2 accepted")
	}
}

func TestBusSubscribersComeAndGoWhilePublishing(t *testing.T) {
	b := NewBus()
	const n = 5000
	keep := b.Subscribe(16, nil)
	done := make(chan int)
	go func() {
		got := 0
		for range keep.C() {
			got++
			if got == n {
				break
			}
		}
		done <- got
	}()
	go func() {
		for range 200 {
			s := b.Subscribe(1, nil) // never read: Unsubscribe must release publishers
			time.Sleep(10 * time.Microsecond)
			b.Unsubscribe(s)
		}
	}()
	for i := range n {
		b.Publish(&TruthBatch{Run: i})
	}
	if got := <-done; got != n {
		t.Fatalf("the steady subscriber got %d of %d", got, n)
	}
}

func TestToggleLabelRoundsFloatNoise(t *testing.T) {
	if got := (Toggle{P: 0.058000000000000003, On: true}).Label("dup"); got != "dup 5.8% on" {
		t.Errorf("label %q", got)
	}
}
