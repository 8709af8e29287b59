package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// The config file: settings a user gives every run, in the user's config
// directory (~/.config/streamtop/config, or $STREAMTOP_CONFIG). One
// setting per line, the long name of a flag, "=", its value; a setting
// applies to every command that has that flag. "[profile NAME]" starts a
// connection profile, used with --profile NAME (or $STREAMTOP_PROFILE, or
// "profile = NAME" outside any profile):
//
//	# ~/.config/streamtop/config
//	theme = light
//	utc = true
//
//	[profile prod]
//	brokers = k1:9092,k2:9092
//	tls-ca = /etc/streamtop/ca.pem
//	sasl-mechanism = scram-sha-512
//	sasl-user = streamtop
//	sasl-password-file = /etc/streamtop/kafka.password
//
// A flag on the command line wins, then its $STREAMTOP_ variable, then the
// profile, then the settings outside any profile, then the default.
// Secrets are never written here: only the path of a file holding one.

// configEnv names the file, when set.
const configEnv = "STREAMTOP_CONFIG"

// configFile is a parsed config file.
type configFile struct {
	path     string
	top      []setting
	profiles map[string][]setting
}

type setting struct {
	name, value string
	line        int
}

// configPath is where the config file is read from, and whether the user
// named it (then it must exist).
func configPath() (string, bool) {
	if p := os.Getenv(configEnv); p != "" {
		return p, true
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(dir, "streamtop", "config"), false
}

// loadConfig reads the config file; none is an empty one unless named.
func loadConfig() (*configFile, error) {
	path, named := configPath()
	if path == "" {
		return &configFile{}, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !named {
		return &configFile{path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	return parseConfig(path, f)
}

// parseConfig parses a config file's text.
func parseConfig(path string, r io.Reader) (*configFile, error) {
	c := &configFile{path: path, profiles: map[string][]setting{}}
	sc := bufio.NewScanner(r)
	profile, inProfile := "", false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			name, ok := strings.CutPrefix(strings.TrimSuffix(line, "]"), "[profile ")
			if !ok || !strings.HasSuffix(line, "]") || strings.TrimSpace(name) == "" {
				return nil, fmt.Errorf("%s:%d: want [profile NAME], not %q", path, n, clipText(line))
			}
			profile, inProfile = strings.TrimSpace(name), true
			if _, ok := c.profiles[profile]; !ok {
				c.profiles[profile] = nil // a profile may be empty
			}
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s:%d: want name = value, not %q", path, n, clipText(line))
		}
		s := setting{name: strings.TrimPrefix(name, "--"), value: unquote(value), line: n}
		if inProfile {
			c.profiles[profile] = append(c.profiles[profile], s)
		} else {
			c.top = append(c.top, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// unquote drops one pair of surrounding double quotes.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// clipText shortens a line quoted in an error.
func clipText(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// apply sets, for every flag of fs not given on the command line nor by
// its variable, the value the profile (then the top settings) give it.
// known holds every flag name of every command: a name no command has is
// an error (a typo must not be ignored); one this command lacks is not.
func (c *configFile) apply(fs *pflag.FlagSet, profile string, known map[string]bool) error {
	sets := c.top
	if profile != "" {
		p, ok := c.profiles[profile]
		if !ok {
			return fmt.Errorf("--profile %s: no [profile %s] in %s (it has %s)", profile, profile, c.where(), c.profileNames())
		}
		sets = append(slices.Clone(p), c.top...) // the profile's first: the first setting of a flag wins
	}
	done := map[string]bool{}
	for _, s := range sets {
		if err := c.check(s, known); err != nil {
			return err
		}
		f := fs.Lookup(s.name)
		if f == nil || f.Changed || done[s.name] || fromEnv(f) {
			continue
		}
		if err := f.Value.Set(s.value); err != nil {
			return fmt.Errorf("%s:%d: %s = %s: %w", c.path, s.line, s.name, s.value, err)
		}
		done[s.name] = true
	}
	return nil
}

// check refuses a setting no command has, and secrets.
func (c *configFile) check(s setting, known map[string]bool) error {
	if known[s.name+"-file"] { // a secret (its flag, if any, only refuses)
		return fmt.Errorf("%s:%d: %s is a secret: not in the config file; write %s-file = PATH (a file holding it) or set $%s",
			c.path, s.line, s.name, s.name, envName(s.name))
	}
	if known[s.name] {
		return nil
	}
	msg := fmt.Sprintf("%s:%d: no flag --%s", c.path, s.line, s.name)
	if near := nearest(s.name, known); near != "" {
		msg += " (did you mean " + near + "?)"
	}
	return errors.New(msg)
}

// fromEnv reports whether f's variable is set (it wins over the file).
func fromEnv(f *pflag.Flag) bool {
	name := f.Annotations[annEnv]
	if len(name) == 0 {
		return false
	}
	v, ok := os.LookupEnv(name[0])
	return ok && v != ""
}

func (c *configFile) where() string {
	if c.path == "" {
		return "the config file"
	}
	return c.path
}

func (c *configFile) profileNames() string {
	if len(c.profiles) == 0 {
		return "no profile"
	}
	names := make([]string, 0, len(c.profiles))
	for n := range c.profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return "profiles " + strings.Join(names, ", ")
}

// nearest is the known name closest to name (at most 2 edits), or "".
func nearest(name string, known map[string]bool) string {
	best, bestD := "", 3
	for k := range known {
		if d := editDistance(name, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	return best
}
