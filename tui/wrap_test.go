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
	} {
		if got := wrapWords(c.s, c.w); !reflect.DeepEqual(got, c.want) {
			t.Errorf("wrapWords(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}
