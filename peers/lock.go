package peers

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Jar is one locked artifact: where it is in a Maven repository, its
// SHA-256 and its size.
type Jar struct {
	Path   string // relative to a repository root: org/apache/…/x-1.0.jar
	SHA256 [32]byte
	Size   int64
}

// Name is the jar's file name.
func (j Jar) Name() string { return path.Base(j.Path) }

// Jars returns the peer's locked jars (none when it has no jars.lock).
func (p Peer) Jars() ([]Jar, error) {
	b, err := fs.ReadFile(files, p.Dir+"/jars.lock")
	if err != nil {
		return nil, nil //nolint:nilerr // no lock: no jars
	}
	jars, err := ParseLock(b)
	if err != nil {
		return nil, fmt.Errorf("peer %s: jars.lock: %w", p.Name, err)
	}
	return jars, nil
}

// ParseLock reads a jars.lock: `PATH SHA256 SIZE` per line, # comments.
// A path must stay inside the repository (no .., no leading /) and end in .jar.
func ParseLock(b []byte) ([]Jar, error) {
	var out []Jar
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want PATH SHA256 SIZE, got %d fields", n, len(f))
		}
		j := Jar{Path: f[0]}
		if clean := path.Clean(j.Path); clean != j.Path || strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "../") || !strings.HasSuffix(clean, ".jar") {
			return nil, fmt.Errorf("line %d: %q is not a jar path inside a repository", n, j.Path)
		}
		sum, err := hex.DecodeString(f[1])
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("line %d: %q is not a SHA-256", n, f[1])
		}
		copy(j.SHA256[:], sum)
		if j.Size, err = strconv.ParseInt(f[2], 10, 64); err != nil || j.Size <= 0 {
			return nil, fmt.Errorf("line %d: size %q", n, f[2])
		}
		if seen[j.Name()] {
			return nil, fmt.Errorf("line %d: %s twice", n, j.Name())
		}
		seen[j.Name()] = true
		out = append(out, j)
	}
	return out, sc.Err()
}

// Requirements returns the peer's pip lock (Python peers), or nil.
func (p Peer) Requirements() []byte {
	b, err := fs.ReadFile(files, p.Dir+"/requirements.lock")
	if err != nil {
		return nil
	}
	return b
}

// JVMOptions are the peer's extra JVM flags (jvm.options: one per line, # comments).
func (p Peer) JVMOptions() []string {
	b, err := fs.ReadFile(files, p.Dir+"/jvm.options")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Sources are the files compiled (Java) or run (Python) for the peer, by
// path under the embedded tree: the shared Java sources first.
func (p Peer) Sources() ([]string, error) {
	var out []string
	dirs := []string{p.Dir}
	ext := ".py"
	if p.Kind == Java {
		dirs, ext = []string{"common", p.Dir}, ".java"
	}
	for _, d := range dirs {
		es, err := fs.ReadDir(files, d)
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", p.Name, err)
		}
		for _, e := range es {
			if strings.HasSuffix(e.Name(), ext) {
				out = append(out, d+"/"+e.Name())
			}
		}
	}
	return out, nil
}

// Size is the download size of the peer's jars.
func Size(jars []Jar) int64 {
	var n int64
	for _, j := range jars {
		n += j.Size
	}
	return n
}
