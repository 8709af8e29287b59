package ratecheck

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/streamtop/streamtop/engine"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Two pipelines' topics on a real broker: ours from our processor, theirs
// the same records with one rate changed and the last alert missing.
func TestCheckMatchesInOrderOfTicks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := kafka.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kc := kafka.Config{Brokers: []string{b.Addr()}}
	cl, err := kc.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cfg := Config{Ours: [3]string{"r", "g", "a"}, Theirs: [3]string{"r.storm", "g.storm", "a.storm"}, Final: 300 * time.Millisecond}
	if _, err := kafka.EnsureTopics(ctx, kadm.NewClient(cl), 1, 1, b.TopicConfigs(), append(cfg.Ours[:], cfg.Theirs[:]...)...); err != nil {
		t.Fatal(err)
	}
	proc, _ := engine.NewRateProcessor(engine.RateConfig{Threshold: 50})
	var recs []*kgo.Record
	alerts := 0
	for i, v := range []float64{40000, 40030, 40100, 40100, 40050, 40000, 40120.5} {
		out, ok := proc.Process(engine.Tick{Rate: v})
		if !ok {
			continue
		}
		rate := strconv.AppendFloat(nil, out.Rate, 'f', -1, 64)
		theirRate := rate
		if i == 3 {
			theirRate = []byte("40101")
		}
		recs = append(recs, &kgo.Record{Topic: "r", Value: rate}, &kgo.Record{Topic: "r.storm", Value: theirRate},
			&kgo.Record{Topic: "g", Value: out.AppendVariationJSON(nil)}, &kgo.Record{Topic: "g.storm", Value: out.AppendVariationJSON(nil)})
		if out.Alert {
			alerts++
			recs = append(recs, &kgo.Record{Topic: "a", Value: out.AppendAlertJSON(nil)})
			if alerts < 4 {
				recs = append(recs, &kgo.Record{Topic: "a.storm", Value: out.AppendAlertJSON(nil)})
			}
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, Deps{Kafka: kc})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("never final")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r := c.Report()
	if r.Records != 16 || r.Differences != 2 || r.Ours != [3]int{6, 6, 4} || r.Theirs != [3]int{6, 6, 3} {
		t.Fatalf("report %v %+v", r, r)
	}
	if d := r.Diffs[0]; d.Topic != "rate" || d.Index != 2 || d.Theirs != "40101" {
		t.Fatalf("first diff %+v", d)
	}
	if _, err := New(Config{Ours: cfg.Ours, Theirs: cfg.Ours, Final: time.Second}, Deps{Kafka: kc}); err == nil {
		t.Fatal("the same topics on both sides were accepted")
	}
}
