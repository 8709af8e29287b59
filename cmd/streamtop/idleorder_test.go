package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Defect 17, SPEC §3's example as a replay: one partition, idle 6 s, W 1 s,
// lateness 0; A sent at 1 s with device time 1 s, B sent at 200 s with
// device time 50 s. At B's arrival the partition has been silent 199 s, so
// it is idle before B is judged: the watermark moves to 194 s and B is
// late. A replay gives the verdict of a live run whose records arrived at
// their send times: "1 exceptions out of 2".
func TestReplayJudgesIdlenessBeforeTheRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ab.jsonl")
	lines := `{"id":"A","di":"dev","dt":1000,"c":"cat-1","m1":1,"m2":1.5,"send":1000}
{"id":"B","di":"dev","dt":50000,"c":"cat-1","m1":2,"m2":2.5,"send":200000}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runJSON(t, "--replay", path, "--partitions", "1", "--idle", "6s", "--watermark", "1s", "--lateness", "0s")
	if r.Score.Exceptions != 1 || r.Score.Keys != 2 {
		t.Fatalf("score %d exceptions out of %d, want 1 out of 2", r.Score.Exceptions, r.Score.Keys)
	}
}
