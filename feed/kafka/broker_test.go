package kafka

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kcatPath finds kcat, an independent Kafka client (librdkafka). CI installs
// it and sets STREAMTOP_REQUIRE_KCAT, so there a missing kcat fails.
func kcatPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("STREAMTOP_REQUIRE_KCAT") != "" {
			t.Fatal("kcat is required (apt-get install kcat)")
		}
		t.Skip("kcat not installed; CI runs this test")
	}
	return p
}

func TestEmbeddedBrokerServesKafkaClients(t *testing.T) {
	b, err := StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") {
		t.Errorf("address %q, want loopback", b.Addr())
	}
	cl, err := Config{Brokers: []string{b.Addr()}}.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	created, err := EnsureTopics(ctx, adm, 4, 1, b.TopicConfigs(), DefaultTopics().All()...)
	if err != nil || len(created) != 6 {
		t.Fatalf("created %v, %v", created, err)
	}
	if again, err := EnsureTopics(ctx, adm, 4, 1, nil, DefaultTopics().All()...); err != nil || len(again) != 0 {
		t.Fatalf("second EnsureTopics created %v, %v", again, err)
	}
	n, err := PartitionCount(ctx, cl, TopicEvents)
	if err != nil || n != 4 {
		t.Fatalf("partitions %d, %v", n, err)
	}
	// A device's events hash like Kafka's default partitioner; markers go
	// where they are told.
	res := cl.ProduceSync(ctx,
		&kgo.Record{Topic: TopicEvents, Key: []byte("device-a"), Value: []byte(`{}`)},
		&kgo.Record{Topic: TopicEvents, Key: []byte("device-a"), Value: []byte(`{}`)},
		&kgo.Record{Topic: TopicEvents, Partition: 3, Value: []byte{}})
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	keyed := map[int32]int{}
	for _, r := range res { // results come in completion order
		if r.Record.Key == nil {
			if r.Record.Partition != 3 {
				t.Errorf("marker went to partition %d, want 3", r.Record.Partition)
			}
		} else {
			keyed[r.Record.Partition]++
		}
	}
	if len(keyed) != 1 {
		t.Errorf("one device's records went to partitions %v", keyed)
	}

	kcat := kcatPath(t)
	out, err := exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	for _, topic := range DefaultTopics().All() {
		if !strings.Contains(string(out), `topic "`+topic+`" with 4 partitions`) {
			t.Errorf("kcat -L does not list %s with 4 partitions:\n%s", topic, out)
		}
	}
}

func TestEmbeddedBrokerListen(t *testing.T) {
	if _, err := StartEmbedded("not an address"); err == nil {
		t.Error("a bad --listen was accepted")
	}
	b, err := StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := StartEmbedded(b.Addr()); err == nil {
		t.Error("a second broker on a taken port started")
	}
}
