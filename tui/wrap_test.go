package tui

import (
	"reflect"
	"testing"
)

func TestWrapWords(t *testing.T) {
	for _, c := range []struct {
		s    string
		w    int
		want []string
	}{
		{"streamtop watch -b 127.0.0.1:1 --run-key-file /tmp/a-b/run-key", 20,
			[]string{"streamtop watch -b", "127.0.0.1:1", "--run-key-file", "/tmp/a-b/run-key"}},
		{"a abcdefghij b", 4, []string{"a", "abcd", "efgh", "ij b"}},
		{"", 10, []string{""}},
		{"  spaced   out  ", 20, []string{"spaced out"}},
		{"世界", 1, []string{"世", "界"}}, // wider than the line: one a line, no hang
		{"ab", 0, []string{"a", "b"}},
		{"世界x", 3, []string{"世", "界x"}},
	} {
		if got := wrapWords(c.s, c.w); !reflect.DeepEqual(got, c.want) {
			t.Errorf("wrapWords(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}
