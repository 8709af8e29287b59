package rates

import (
	"context"
	"errors"
	"github.com/streamtop/streamtop/feed/kafka/kafkatest"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/engine"
	"github.com/twmb/franz-go/pkg/kgo"
)

// embedded starts a broker with the default topics for a test.
func embedded(t *testing.T, partitions int32) (*kafka.Embedded, kafka.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := kafkatest.Start(t, ctx, partitions, kafka.DefaultTopics().All()...)
	return b.Embedded, b.Config
}

func TestRatePipelineThroughItsFourTopics(t *testing.T) {
	_, kc := embedded(t, 1)
	topics := kafka.DefaultTopics()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eventBus := bus.NewBus()
	watch := eventBus.Watch()

	prod, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	// SPEC §5's example, in the three accepted forms plus a malformed tick.
	ticks := []string{"40000", `{"rate":40030,"ts":1767225600000}`, "40100",
		`{"Realtime Currency Exchange Rate":{"5. Exchange Rate":"40100"}}`, "40050", "x", "40000", "40120.5"}
	for _, v := range ticks {
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topics.RateInput, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	pipe, err := kc.NewClient(kgo.ConsumeTopics(topics.RateInput),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer pipe.Close()
	watcher, err := kc.NewClient(kgo.ConsumeTopics(topics.RateInput, topics.RateOutput, topics.RateGap, topics.RateAlert),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	rctx, rcancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() {
		RunPipeline(rctx, PipelineConfig{Topics: topics, Rate: engine.DefaultRateConfig()}, pipe, eventBus)
		done <- struct{}{}
	}()
	go func() {
		RunWatcher(rctx, WatcherConfig{Topics: topics, Source: "test", Threshold: 50}, watcher, eventBus)
		done <- struct{}{}
	}()
	var st *bus.RateStatus
	for st == nil || len(st.Rates) < 6 || st.AlertCount < 4 || st.Ticks+st.Malformed < 8 {
		select {
		case <-ctx.Done():
			t.Fatalf("rate status never complete: %+v", st)
		case <-time.After(20 * time.Millisecond):
		}
		st = watch.Peek().Rates
	}
	rcancel()
	<-done
	<-done
	if want := []float64{40030, 40100, 40100, 40050, 40000, 40120.5}; !slices.Equal(st.Rates, want) {
		t.Errorf("rates %v, want %v", st.Rates, want)
	}
	if want := []float64{30, 70, 0, -50, -50, 120.5}; !slices.Equal(st.Variations, want) {
		t.Errorf("variations %v, want %v", st.Variations, want)
	}
	if st.AlertCount != 4 || st.Ticks != 7 || st.Malformed != 1 || st.Last != 40120.5 {
		t.Errorf("alerts %d, ticks %d, malformed %d, last %v", st.AlertCount, st.Ticks, st.Malformed, st.Last)
	}
	var warned bool
	for _, l := range watch.Peek().Logs {
		warned = warned || (l.Role == "rates" && l.Level == bus.Warn)
	}
	if !warned {
		t.Error("the malformed tick was not shown in the log")
	}
}

// A tick file with a line over the limit: that tick is skipped with an
// error, the others are read (the whole file was refused before).
func TestFileTicksSkipsALineOverTheLimit(t *testing.T) {
	content := "40000\n" + strings.Repeat("9", 1<<20+10) + "\n40050\n"
	src, err := fileTicks([]byte(content), "t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var errs int
	for {
		b, err := src(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs++
			continue
		}
		got = append(got, string(b))
	}
	if errs != 1 || len(got) != 2 || got[0] != "40000" || got[1] != "40050" {
		t.Fatalf("ticks %v, %d errors: want 40000 and 40050, one error", got, errs)
	}
}
