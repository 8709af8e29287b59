package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// startBroker starts an embedded broker and a client on it.
func startBroker(t *testing.T) (*Embedded, *kgo.Client) {
	t.Helper()
	b, err := StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cl, err := Config{Brokers: []string{b.Addr()}}.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return b, cl
}

// A topic read partition by partition grows from 2 to 5 partitions while a
// Loop reads it: the Loop reads the new ones from their first record, and
// the role hears of them before any of their records.
func TestLoopReadsPartitionsAddedWhileItRuns(t *testing.T) {
	b, prod := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(prod)
	if _, err := EnsureTopics(ctx, adm, 2, 1, b.TopicConfigs(), "t"); err != nil {
		t.Fatal(err)
	}
	produce := func(p int32, v string) {
		t.Helper()
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "t", Partition: p, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(0, "a")
	produce(1, "b")

	cl, err := Config{Brokers: []string{b.Addr()}}.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	known := map[int32]bool{0: true, 1: true}
	got := map[int32][]string{}
	var unknown []string
	seen := make(chan int, 100)
	l := Loop{Client: cl, Assign: []string{"t"}, Discover: 50 * time.Millisecond, Wait: 50 * time.Millisecond,
		Added: func(topic string, ps []int32) {
			for _, p := range ps {
				known[p] = true
			}
		}}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- l.Run(lctx, func(fs kgo.Fetches) {
			n := 0
			fs.EachRecord(func(r *kgo.Record) {
				if !known[r.Partition] {
					unknown = append(unknown, fmt.Sprintf("%d:%s", r.Partition, r.Value))
				}
				got[r.Partition] = append(got[r.Partition], string(r.Value))
				n++
			})
			if n > 0 {
				seen <- n
			}
		})
	}()
	wait := func(want int) {
		t.Helper()
		for total := 0; total < want; {
			select {
			case n := <-seen:
				total += n
			case <-ctx.Done():
				t.Fatalf("waited for %d records, read %v", want, got)
			}
		}
	}
	wait(2)
	if _, err := adm.CreatePartitions(ctx, 3, "t"); err != nil {
		t.Fatal(err)
	}
	// Written before the reader can know of them: read from the start.
	for p := int32(2); p < 5; p++ {
		for {
			err := prod.ProduceSync(ctx, &kgo.Record{Topic: "t", Partition: p, Value: []byte(fmt.Sprint("n", p))}).FirstErr()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // the producer's metadata catches up
		}
	}
	wait(3)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for p := int32(0); p < 5; p++ {
		if len(got[p]) != 1 {
			t.Errorf("partition %d: read %v, want one record", p, got[p])
		}
	}
	if len(unknown) > 0 {
		t.Errorf("records handed over before their partition was announced: %v", unknown)
	}
}
