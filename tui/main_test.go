package tui

import (
	"os"
	"testing"
)

// TestMain runs the tests in a UTF-8 locale whatever the machine's: on
// LANG=C the screen draws in ASCII (TestAsciiScreen covers that), and the
// golden views are the UTF-8 ones.
func TestMain(m *testing.M) {
	os.Unsetenv("LC_ALL")
	os.Unsetenv("LC_CTYPE")
	os.Setenv("LANG", "C.UTF-8")
	os.Exit(m.Run())
}
