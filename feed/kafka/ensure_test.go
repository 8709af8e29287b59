package kafka

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Defect 14: topics streamtop created (the roles' own, with no configs or a
// size bound only) took the broker's 7-day time retention, and a virtual
// clock stamps records at 2026-01-01: the broker deleted the events and
// results of a run within minutes. A topic EnsureTopics creates keeps its
// records whatever their timestamps unless the caller sets retention.ms.
func TestEnsureTopicsKeepsRecordsWhateverTheirTimestamps(t *testing.T) {
	_, cl := startBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	size, short := "1000000", "60000"
	for topic, configs := range map[string]map[string]*string{
		"no-configs": nil,
		"size-bound": {"retention.bytes": &size},
		"own-choice": {RetentionMs: &short},
	} {
		if _, err := EnsureTopics(ctx, adm, 1, 1, configs, topic); err != nil {
			t.Fatal(err)
		}
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "no-configs", "size-bound", "own-choice")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"no-configs": "-1", "size-bound": "-1", "own-choice": short}
	for _, rc := range rcs {
		got := "(unset)"
		for _, c := range rc.Configs {
			if c.Key == RetentionMs && c.Value != nil {
				got = *c.Value
			}
		}
		if got != want[rc.Name] {
			t.Errorf("%s: retention.ms %s, want %s", rc.Name, got, want[rc.Name])
		}
	}
}
