package kafka

import (
	"errors"
	"github.com/streamtop/streamtop/feed/bus"
	"math"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

func TestCommitMetadataRoundTrip(t *testing.T) {
	for _, c := range []Floor{{"abc/0", 1767225600000}, {"", engine.None}, {"x/y/3", math.MaxInt64}} {
		got, ok := ParseCommitMeta(CommitMeta(c.Tag, c.Closed))
		if !ok || got != c {
			t.Errorf("%+v → %q → %+v, %v", c, CommitMeta(c.Tag, c.Closed), got, ok)
		}
	}
	for _, bad := range []string{"", "member-id-123", "streamtop/v1;closed=x;run=a", "streamtop/v1;closed=5"} {
		if _, ok := ParseCommitMeta(bad); ok {
			t.Errorf("%q parsed as commit metadata", bad)
		}
	}
}

func TestProgressRecordRoundTrip(t *testing.T) {
	in := map[int32]int64{0: 5000, 3: bus.Final, 15: -10000}
	v := ProgressValue("eng \"1\"", in)
	got, err := ParseProgress(v)
	if err != nil || len(got) != 3 || got[0] != 5000 || got[3] != bus.Final || got[15] != -10000 {
		t.Fatalf("%s → %v, %v", v, got, err)
	}
	for _, bad := range []string{`{`, `{"closed":{"x":1}}`, `{"closed":{"-1":1}}`, `{"closed":{"1":"a"}}`} {
		if _, err := ParseProgress([]byte(bad)); !errors.Is(err, engine.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", bad, err)
		}
	}
}
