package tui

import (
	"os/exec"
	"regexp"
	"testing"
)

// The screen knows only plain data: it must not link a Kafka or Cassandra
// client, directly or through the feed packages it imports.
func TestTUILinksNoKafkaOrCassandraClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	if bad := regexp.MustCompile(`(?m)^.*(franz-go|gocql).*$`).FindAllString(string(out), -1); len(bad) > 0 {
		t.Fatalf("tui links %d Kafka/Cassandra packages: %v", len(bad), bad)
	}
	if !regexp.MustCompile(`(?m)^github.com/streamtop/streamtop/feed/bus$`).Match(out) {
		t.Fatalf("go list -deps did not list feed/bus; output:\n%s", out)
	}
}
