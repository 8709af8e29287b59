package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain runs the tests without the $STREAMTOP_<FLAG> variables of the
// shell that started them: every flag reads one, so a developer's
// $STREAMTOP_BROKERS would otherwise change what the tests run against.
// The test harness's own variables (STREAMTOP_TESTENV_*, STREAMTOP_REQUIRE_*)
// stay.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "STREAMTOP_") && !strings.HasPrefix(name, "STREAMTOP_TESTENV") &&
			!strings.HasPrefix(name, "STREAMTOP_REQUIRE_") {
			os.Unsetenv(name)
		}
	}
	os.Exit(m.Run())
}
