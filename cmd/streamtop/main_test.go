package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMain runs the tests without the $STREAMTOP_<FLAG> variables of the
// shell that started them: every flag reads one, so a developer's
// $STREAMTOP_BROKERS would otherwise change what the tests run against.
// The test harness's own variables (STREAMTOP_TESTENV_*, STREAMTOP_REQUIRE_*,
// STREAMTOP_PEERS and STREAMTOP_PEERS_*) and the peers' tool settings (where the cache, the
// JDK and the Maven mirror are) stay.
func TestMain(m *testing.M) {
	keep := []string{"STREAMTOP_TESTENV", "STREAMTOP_REQUIRE_", "STREAMTOP_PEERS", "STREAMTOP_CACHE", "STREAMTOP_JAVA_HOME", "STREAMTOP_MAVEN_REPO"}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "STREAMTOP_") && !slices.ContainsFunc(keep, func(k string) bool { return strings.HasPrefix(name, k) }) {
			os.Unsetenv(name)
		}
	}
	// The developer's config file must not change what the tests run
	// either: the user config directory is an empty one.
	dir, err := os.MkdirTemp("", "streamtop-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
