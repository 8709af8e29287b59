package peers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// JDK is the Java the peers are built and run with: $STREAMTOP_JAVA_HOME,
// else a JDK 17 at Debian's place, else $JAVA_HOME, else java on $PATH.
// The engines are pinned for 17 (NOTES): 17 and 21 are accepted.
func JDK() (home string, err error) {
	cands := []string{os.Getenv("STREAMTOP_JAVA_HOME"), "/usr/lib/jvm/java-17-openjdk-amd64", os.Getenv("JAVA_HOME")}
	if java, err := exec.LookPath("javac"); err == nil {
		if real, err := filepath.EvalSymlinks(java); err == nil {
			cands = append(cands, filepath.Dir(filepath.Dir(real)))
		}
	}
	for i, h := range cands {
		if h == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(h, "bin", "javac")); err != nil {
			if i == 0 {
				return "", fmt.Errorf("peers: STREAMTOP_JAVA_HOME=%s has no bin/javac", h)
			}
			continue
		}
		v, err := javaVersion(h)
		if err != nil {
			return "", err
		}
		if v != "17" && v != "21" {
			return "", fmt.Errorf("peers: %s is Java %s; the engines need a JDK 17 or 21 (set STREAMTOP_JAVA_HOME)", h, v)
		}
		return h, nil
	}
	return "", fmt.Errorf("peers: no JDK 17 %w (install openjdk-17-jdk or set STREAMTOP_JAVA_HOME)", errNoTool)
}

var versionRE = regexp.MustCompile(`version "(\d+)`)

func javaVersion(home string) (string, error) {
	out, err := exec.Command(filepath.Join(home, "bin", "java"), "-version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("peers: %s/bin/java -version: %w", home, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("peers: %s/bin/java -version said %q", home, firstLine(out))
	}
	return string(m[1]), nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// Fetch makes peer p runnable: its jars downloaded and checked, then its
// job compiled (Java) or its Python environment made. What is cached
// already is not done again.
func (c Cache) Fetch(ctx context.Context, p Peer, progress func(Progress)) error {
	jars, err := p.Jars()
	if err != nil {
		return err
	}
	if err := c.FetchJars(ctx, jars, progress); err != nil {
		return err
	}
	dir, err := c.buildDir(p)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return nil
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	if err := c.build(ctx, p, jars, tmp, progress); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	return nil
}

// build writes the embedded sources into dir and compiles them (Java) or
// makes the Python environment there.
func (c Cache) build(ctx context.Context, p Peer, jars []Jar, dir string, progress func(Progress)) error {
	srcs, err := p.Sources()
	if err != nil {
		return err
	}
	var paths []string
	for _, s := range srcs {
		b, err := files.ReadFile(s)
		if err != nil {
			return fmt.Errorf("peers: %w", err)
		}
		dst := filepath.Join(dir, "src", filepath.FromSlash(s))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("peers: %w", err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("peers: %w", err)
		}
		paths = append(paths, dst)
	}
	if progress != nil {
		progress(Progress{Step: "build", Done: 0, Total: 1, Item: p.Dir})
	}
	if p.Kind == Python {
		return c.makeVenv(ctx, p, dir)
	}
	home, err := JDK()
	if err != nil {
		return err
	}
	args := append([]string{"--release", "17", "-nowarn", "-encoding", "UTF-8", "-cp", c.classpath(jars), "-d", filepath.Join(dir, "classes")}, paths...)
	cmd := exec.CommandContext(ctx, filepath.Join(home, "bin", "javac"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peers: compiling %s: %w\n%s", p.Dir, err, tail(out.String(), 20))
	}
	return nil
}

// classpath joins the cached jars' files.
func (c Cache) classpath(jars []Jar) string {
	var cp []string
	for _, j := range jars {
		cp = append(cp, c.JarFile(j))
	}
	return strings.Join(cp, string(os.PathListSeparator))
}

// makeVenv makes a Python environment in dir/venv from the peer's
// requirements lock, every package checked by its hash.
func (c Cache) makeVenv(ctx context.Context, p Peer, dir string) error {
	req := p.Requirements()
	if req == nil {
		return fmt.Errorf("peers: %s has no requirements.lock", p.Name)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return fmt.Errorf("peers: python3 %w (needed for %s)", errNoTool, p.Name)
	}
	lock := filepath.Join(dir, "requirements.lock")
	if err := os.WriteFile(lock, req, 0o644); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	venv := filepath.Join(dir, "venv")
	for _, args := range [][]string{
		{python, "-m", "venv", venv},
		{filepath.Join(venv, "bin", "pip"), "install", "--quiet", "--require-hashes", "--no-deps", "-r", lock},
	} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("peers: %s: %w\n%s", strings.Join(args[:3], " "), err, tail(string(out), 20))
		}
	}
	return nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
