package peers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultRepo is where locked jars are downloaded from.
const DefaultRepo = "https://repo1.maven.org/maven2"

// Cache is where peers are fetched and built, outside the repository:
// jars in a Maven layout shared by every peer (Root/maven), builds and
// Python environments by a hash of what made them (Root/peers).
type Cache struct {
	Root string       // [$STREAMTOP_CACHE, else the user cache dir/streamtop]
	Repo string       // Maven repository URL [$STREAMTOP_MAVEN_REPO, else DefaultRepo]
	HTTP *http.Client // [a client with a 10-minute timeout per jar]
}

// DefaultCache is the cache the environment names.
func DefaultCache() (Cache, error) {
	c := Cache{Root: os.Getenv("STREAMTOP_CACHE"), Repo: os.Getenv("STREAMTOP_MAVEN_REPO")}
	if c.Root == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return Cache{}, fmt.Errorf("peers: no cache directory (set STREAMTOP_CACHE): %w", err)
		}
		c.Root = filepath.Join(dir, "streamtop")
	}
	return c, nil
}

func (c Cache) repo() string {
	if c.Repo == "" {
		return DefaultRepo
	}
	return strings.TrimRight(c.Repo, "/")
}

func (c Cache) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Minute}
}

// JarFile is where jar j is kept once verified.
func (c Cache) JarFile(j Jar) string {
	return filepath.Join(c.Root, "maven", filepath.FromSlash(j.Path))
}

// Progress is what a fetch reports as it goes.
type Progress struct {
	Step        string // "jars", "build", "python"
	Done, Total int64  // bytes for jars; steps otherwise
	Item        string // the jar or step at hand
}

// missingJars are the jars not in the cache yet.
func (c Cache) missingJars(jars []Jar) []Jar {
	var out []Jar
	for _, j := range jars {
		if st, err := os.Stat(c.JarFile(j)); err != nil || st.Size() != j.Size {
			out = append(out, j)
		}
	}
	return out
}

// FetchJars downloads the jars not cached yet, each checked against its
// lock line before it takes its place.
func (c Cache) FetchJars(ctx context.Context, jars []Jar, progress func(Progress)) error {
	missing := c.missingJars(jars)
	total := Size(missing)
	var done int64
	for _, j := range missing {
		err := c.download(ctx, j, func(n int64) {
			if progress != nil {
				progress(Progress{Step: "jars", Done: done + n, Total: total, Item: j.Name()})
			}
		})
		if err != nil {
			return err
		}
		done += j.Size
	}
	if progress != nil && len(missing) > 0 {
		progress(Progress{Step: "jars", Done: total, Total: total})
	}
	return nil
}

// download fetches one jar into a temporary file beside its place, checks
// size and SHA-256, then renames it: a half-written or wrong jar is never
// taken for a good one.
func (c Cache) download(ctx context.Context, j Jar, read func(int64)) error {
	dst := c.JarFile(j)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	url := c.repo() + "/" + j.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return fmt.Errorf("peers: download %s: %w", j.Name(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("peers: download %s: %s from %s", j.Name(), resp.Status, url)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &countingReader{r: io.LimitReader(resp.Body, j.Size+1), read: read})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("peers: download %s: %w", j.Name(), err)
	}
	if n != j.Size {
		return fmt.Errorf("peers: %s is %d bytes, the lock says %d", j.Name(), n, j.Size)
	}
	if got := h.Sum(nil); string(got) != string(j.SHA256[:]) {
		return fmt.Errorf("peers: %s has SHA-256 %s, the lock says %s: not used", j.Name(), hex.EncodeToString(got), hex.EncodeToString(j.SHA256[:]))
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	return nil
}

type countingReader struct {
	r    io.Reader
	n    int64
	read func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.read != nil && n > 0 {
		c.read(c.n)
	}
	return n, err
}

// buildDir is where peer p's build (and Python environment) lives: named
// by a hash of its sources and locks, so a changed job is rebuilt.
func (c Cache) buildDir(p Peer) (string, error) {
	h := sha256.New()
	srcs, err := p.Sources()
	if err != nil {
		return "", err
	}
	for _, f := range append(srcs, p.Dir+"/jars.lock", p.Dir+"/requirements.lock") {
		b, _ := files.ReadFile(f) // a missing lock hashes as empty
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	return filepath.Join(c.Root, "peers", p.Dir+"-"+hex.EncodeToString(h.Sum(nil))[:12]), nil
}

// State is what the cache holds of a peer.
type State struct {
	MissingJars  int   // locked jars not cached
	MissingBytes int64 // their size
	Built        bool  // compiled (Java) or environment made (Python)
}

// Ready: nothing left to fetch or build.
func (s State) Ready() bool { return s.MissingJars == 0 && s.Built }

// State reports what is cached of p.
func (c Cache) State(p Peer) (State, error) {
	jars, err := p.Jars()
	if err != nil {
		return State{}, err
	}
	miss := c.missingJars(jars)
	dir, err := c.buildDir(p)
	if err != nil {
		return State{}, err
	}
	_, berr := os.Stat(filepath.Join(dir, ".complete"))
	return State{MissingJars: len(miss), MissingBytes: Size(miss), Built: berr == nil}, nil
}

// errNoTool is returned when a JDK or Python is missing.
var errNoTool = errors.New("not found")
