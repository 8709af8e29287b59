package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeConfig writes text as the user's config file (in a fresh config
// directory) and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	path := filepath.Join(dir, "streamtop", "config")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const sampleConfig = `# every run
theme = light
utc = true
brokers = top:9092

[profile prod]
brokers = "k1:9092,k2:9092"
group = prod-engines

[profile empty]
`

// The config file's settings apply under flags and variables: a flag
// wins, then its variable, then the profile, then the settings outside
// any profile.
func TestConfigFilePrecedence(t *testing.T) {
	writeConfig(t, sampleConfig)
	for _, c := range []struct {
		name    string
		args    []string
		env     string
		brokers []string
	}{
		{"top settings", nil, "", []string{"top:9092"}},
		{"a profile", []string{"--profile", "prod"}, "", []string{"k1:9092", "k2:9092"}},
		{"an empty profile: the top settings", []string{"--profile", "empty"}, "", []string{"top:9092"}},
		{"the variable over the file", []string{"--profile", "prod"}, "env:9092", []string{"env:9092"}},
		{"the flag over everything", []string{"--profile", "prod", "-b", "flag:9092"}, "env:9092", []string{"flag:9092"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("STREAMTOP_BROKERS", c.env)
			}
			cfg := defaultWatchConfig()
			if err := parseCommand(c.args, &cfg); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.kafka.Brokers, c.brokers) || cfg.screen.theme != "light" || !cfg.screen.utc {
				t.Errorf("brokers %v theme %q utc %v; want %v, light, true", cfg.kafka.Brokers, cfg.screen.theme, cfg.screen.utc, c.brokers)
			}
			if strings.Contains(c.name, "profile") && c.name != "an empty profile: the top settings" && cfg.group != "prod-engines" {
				t.Errorf("group %q, want the profile's", cfg.group)
			}
		})
	}
	// "profile = NAME" outside any profile picks the profile by default.
	writeConfig(t, "profile = prod\n"+sampleConfig)
	cfg := defaultWatchConfig()
	if err := parseCommand(nil, &cfg); err != nil || !slices.Equal(cfg.kafka.Brokers, []string{"k1:9092", "k2:9092"}) {
		t.Errorf("the default profile: %v, brokers %v", err, cfg.kafka.Brokers)
	}
	// A setting this command lacks (theme for inject) is not an error.
	inj := defaultInjectConfig()
	if err := parseCommand([]string{"--profile", "prod"}, &inj); err != nil {
		t.Errorf("inject with a config for the screen: %v", err)
	}
}

// Mistakes in the file are clear errors naming the file and line; a
// secret is refused with what to write instead.
func TestConfigFileErrors(t *testing.T) {
	for _, c := range []struct {
		text, args, want string
	}{
		{"theme = light\nbrokr = k:9092\n", "", "config:2: no flag --brokr (did you mean brokers?)"},
		{"[profile prod]\nsasl-password = hunter2\n", "--profile prod", "config:2: sasl-password is a secret: not in the config file; write sasl-password-file = PATH (a file holding it) or set $STREAMTOP_SASL_PASSWORD"},
		{"just words\n", "", "config:1: want name = value"},
		{"[prod]\n", "", "config:1: want [profile NAME]"},
		{"theme = light\n", "--profile nope", "--profile nope: no [profile nope] in"},
		{"theme = purple\n", "", `--theme "purple": want one of`},
		{"fps = many\n", "", "config:1: fps = many:"},
	} {
		path := writeConfig(t, c.text)
		cfg := defaultAppConfig()
		err := parseCommand(strings.Fields(c.args), &cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
		if err != nil && strings.Contains(c.want, "config:") && !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %v does not name %s", c.text, err, path)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the secret is shown: %v", err)
		}
	}
	// $STREAMTOP_CONFIG names a file: it must exist.
	t.Setenv("STREAMTOP_CONFIG", filepath.Join(t.TempDir(), "missing"))
	cfg := defaultAppConfig()
	if err := parseCommand(nil, &cfg); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a named config file that is missing: %v", err)
	}
}

// README's example config file is one streamtop takes.
func TestReadmeConfigExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```ini\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || !strings.Contains(block, "[profile prod]") {
		t.Fatalf("no ini block in README")
	}
	writeConfig(t, block)
	cfg := defaultWatchConfig() // profile = lab by default
	if err := parseCommand(nil, &cfg); err != nil || !slices.Equal(cfg.kafka.Brokers, []string{"127.0.0.1:39092"}) || cfg.screen.theme != "light" {
		t.Fatalf("README's config: %v, brokers %v, theme %q", err, cfg.kafka.Brokers, cfg.screen.theme)
	}
	cf, err := parseConfig("README", strings.NewReader(block))
	if err != nil {
		t.Fatal(err)
	}
	known := allFlagNames()
	for _, sets := range append([][]setting{cf.top}, cf.profiles["prod"], cf.profiles["lab"]) {
		for _, s := range sets {
			if err := cf.check(s, known); err != nil {
				t.Errorf("README's config: %v", err)
			}
		}
	}
}

// The config file can change the screen's keys ("keys = …"); a key map the
// screen cannot take is refused before it starts.
func TestConfigKeyMap(t *testing.T) {
	writeConfig(t, "keys = reset=R freeze=F\n")
	cfg := defaultAppConfig()
	if err := parseCommand(nil, &cfg); err != nil {
		t.Fatal(err)
	}
	keys, err := cfg.screen.keyMap()
	if err != nil || !slices.Equal(keys["reset"], []string{"R"}) || !slices.Equal(keys["freeze"], []string{"F"}) {
		t.Errorf("keys %v, %v", keys, err)
	}
	writeConfig(t, "keys = reset=d\n")
	cfg = defaultAppConfig()
	if err := parseCommand(nil, &cfg); err == nil || !strings.Contains(err.Error(), `--keys: "d" is bound to both dup and reset`) {
		t.Errorf("a clash: %v", err)
	}
}
