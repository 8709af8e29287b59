// Package kafkatest starts an embedded Kafka-protocol broker for a test,
// with its topics made and a producer to them: the few lines every test
// against a real broker begins with.
package kafkatest

import (
	"context"
	"testing"

	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Broker is an embedded broker started for a test, closed when it ends.
type Broker struct {
	*kafka.Embedded
	Config kafka.Config
	Prod   *kgo.Client // produces at once (no linger)
	Adm    *kadm.Client
}

// Start starts a broker and makes topics with parts partitions each.
func Start(t testing.TB, ctx context.Context, parts int32, topics ...string) *Broker {
	t.Helper()
	b, err := kafka.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	kc := kafka.Config{Brokers: []string{b.Addr()}}
	prod, err := kc.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	adm := kadm.NewClient(prod)
	if _, err := kafka.EnsureTopics(ctx, adm, parts, 1, b.TopicConfigs(), topics...); err != nil {
		t.Fatal(err)
	}
	return &Broker{Embedded: b, Config: kc, Prod: prod, Adm: adm}
}
