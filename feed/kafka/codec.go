package kafka

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/streamtop/streamtop/engine"
)

// CommitMeta is the metadata of a commit: the run tag and the horizon up to
// which this instance had closed (and emitted) every window.
func CommitMeta(tag string, closed int64) string {
	return "streamtop/v1;closed=" + strconv.FormatInt(closed, 10) + ";run=" + tag
}

func ParseCommitMeta(s string) (Floor, bool) {
	rest, ok := strings.CutPrefix(s, "streamtop/v1;closed=")
	if !ok {
		return Floor{}, false
	}
	num, tag, ok := strings.Cut(rest, ";run=")
	if !ok {
		return Floor{}, false
	}
	c, err := strconv.ParseInt(num, 10, 64)
	return Floor{Tag: tag, Closed: c}, err == nil
}

// ProgressValue renders a progress record's value: per events partition,
// the end up to which every window is closed.
func ProgressValue(engineName string, closed map[int32]int64) []byte {
	keys := make([]int32, 0, len(closed))
	for p := range closed {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	b := []byte(`{"engine":`)
	b = engine.AppendJSONString(b, engineName)
	b = append(b, `,"closed":{`...)
	for i, p := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(p), 10)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, closed[p], 10)
	}
	return append(b, "}}"...)
}

// ParseProgress reads a progress record's value.
func ParseProgress(b []byte) (map[int32]int64, error) {
	var v struct {
		Closed map[string]int64 `json:"closed"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w progress: %v", engine.ErrMalformed, err)
	}
	out := make(map[int32]int64, len(v.Closed))
	for k, c := range v.Closed {
		p, err := strconv.ParseInt(k, 10, 32)
		if err != nil || p < 0 {
			return nil, fmt.Errorf("%w progress: partition %q", engine.ErrMalformed, k)
		}
		out[int32(p)] = c
	}
	return out, nil
}

// Floor is what a commit's metadata says: the run tag and the horizon up to
// which the committing instance had closed (and emitted) every window.
type Floor struct {
	Tag    string
	Closed int64
}
