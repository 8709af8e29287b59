package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/tui"
)

// runCLI runs the program on args and returns its exit status and output.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

var subcommands = []string{"inject", "engine", "rates", "compare", "watch", "bench"}

func TestHelpGroupsEachCommandsOwnFlags(t *testing.T) {
	for _, c := range []struct {
		cmd       string
		has, hasn []string
	}{
		{"", []string{"INJECTOR FLAGS", "ENGINE FLAGS", "KAFKA CONNECTION FLAGS", "EMBEDDED BROKER FLAGS", "-H --headless", "-s --seed int"},
			[]string{"--group", "--downstream", "--quick"}},
		{"inject", []string{"INJECTOR FLAGS", "KAFKA CONNECTION FLAGS", "-b --brokers", "-e --events"}, []string{"--headless", "--fps", "--engine ", "--listen"}},
		{"engine", []string{"ENGINE FLAGS", "-g --group", "--lateness"}, []string{"--seed", "--headless", "--fps"}},
		{"rates", []string{"RATES FLAGS", "--source"}, []string{"--seed", "--cassandra", "--headless"}},
		{"compare", []string{"COMPARE FLAGS", "-D --downstream", "-f --follow", "-o --report"}, []string{"--seed", "--headless", "--fps"}},
		{"watch", []string{"--fps", "-g --group", "CASSANDRA CONNECTION FLAGS"}, []string{"--seed", "--headless", "--report"}},
		{"bench", []string{"BENCH FLAGS", "-q --quick", "--target"}, []string{"--seed", "--headless", "--cassandra"}},
	} {
		args := append(strings.Fields(c.cmd), "--help")
		code, out, errs := runCLI(args...)
		if code != exitOK || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		for _, s := range c.has {
			if !strings.Contains(out, s) {
				t.Errorf("%v: no %q in the help", args, s)
			}
		}
		for _, s := range c.hasn {
			if strings.Contains(out, s) {
				t.Errorf("%v: %q is not this command's flag, yet in its help", args, s)
			}
		}
	}
}

func TestHelpNamesTheVariableOfEveryConnectionFlag(t *testing.T) {
	_, out, _ := runCLI("inject", "--help")
	for _, v := range []string{"$STREAMTOP_BROKERS", "$STREAMTOP_TLS_CA", "$STREAMTOP_SASL_USER", "$STREAMTOP_SASL_MECHANISM",
		"$STREAMTOP_SASL_PASSWORD", "$STREAMTOP_CASSANDRA]", "$STREAMTOP_CASSANDRA_USER", "$STREAMTOP_CASSANDRA_PASSWORD"} {
		if !strings.Contains(out, v) {
			t.Errorf("inject --help does not name %s", v)
		}
	}
}

func TestConnectionFlagsReadTheirVariablesAndTheFlagWins(t *testing.T) {
	t.Setenv("STREAMTOP_BROKERS", "from-env:9092")
	t.Setenv("STREAMTOP_SASL_USER", "env-user")
	t.Setenv("STREAMTOP_CASSANDRA", "cass-env")
	cfg := defaultInjectConfig()
	if err := parseCommand(nil, &cfg); err != nil {
		t.Fatal(err)
	}
	if got := cfg.kafka.Brokers; len(got) != 1 || got[0] != "from-env:9092" || cfg.kafka.SASL.User != "env-user" ||
		len(cfg.cass.hosts) != 1 || cfg.cass.hosts[0] != "cass-env" {
		t.Errorf("from the environment: brokers %v, sasl user %q, cassandra %v", got, cfg.kafka.SASL.User, cfg.cass.hosts)
	}
	cfg = defaultInjectConfig()
	if err := parseCommand([]string{"-b", "from-flag:9092", "--sasl-user", "flag-user"}, &cfg); err != nil {
		t.Fatal(err)
	}
	if got := cfg.kafka.Brokers; len(got) != 1 || got[0] != "from-flag:9092" || cfg.kafka.SASL.User != "flag-user" {
		t.Errorf("the flag does not win: brokers %v, sasl user %q", got, cfg.kafka.SASL.User)
	}
}

func TestPasswordsComeFromTheEnvironmentOrAFile(t *testing.T) {
	t.Setenv("STREAMTOP_SASL_PASSWORD", "env-secret")
	cfg := defaultInjectConfig()
	if err := parseCommand([]string{"-b", "k:9092"}, &cfg); err != nil || cfg.kafka.SASL.Password != "env-secret" {
		t.Fatalf("from $STREAMTOP_SASL_PASSWORD: %q, %v", cfg.kafka.SASL.Password, err)
	}
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = defaultInjectConfig()
	if err := parseCommand([]string{"-b", "k:9092", "--cassandra-password-file", file, "--sasl-password-file", file}, &cfg); err != nil ||
		cfg.kafka.SASL.Password != "file-secret" || cfg.cass.password.value != "file-secret" {
		t.Fatalf("from --*-password-file: %q %q, %v", cfg.kafka.SASL.Password, cfg.cass.password.value, err)
	}
}

// No secret is ever printed: not in any help, not in an error, not in a
// run's log or report (the defect: every --help showed both passwords as
// flag defaults).
func TestSecretsAreNeverPrinted(t *testing.T) {
	const secret = "s3cr3t-b4c8f1e2-never-print-me"
	t.Setenv("STREAMTOP_SASL_PASSWORD", secret)
	t.Setenv("STREAMTOP_CASSANDRA_PASSWORD", secret)
	t.Setenv("STREAMTOP_LISTEN_SASL_PASSWORD", secret)
	runs := [][]string{{"--help"}, {"help"}, {"--version"}, {"version"}, {"completion", "bash"}}
	for _, c := range subcommands {
		runs = append(runs, []string{c, "--help"}, []string{"help", c})
	}
	runs = append(runs,
		[]string{"inject", "-b", "127.0.0.1:1", "--sasl-mechanism", "plain"},                        // no user
		[]string{"inject", "-b", "127.0.0.1:1", "--sasl-password", secret},                          // refused on the command line
		[]string{"compare", "-b", "127.0.0.1:1", "--cassandra-user", "u"},                           // no --cassandra
		[]string{"--headless", "--sasl-mechanism", "bogus", "-b", "127.0.0.1:1"},                    // bad mechanism
		[]string{"--headless", "--clock", "virtual", "-e", "50", "--listen-sasl-user", "streamtop"}, // a whole run with SASL
	)
	for _, args := range runs {
		code, out, errs := runCLI(args...)
		if strings.Contains(out+errs, secret) {
			t.Errorf("streamtop %v (exit %d) printed the secret:\n%s%s", args, code, out, errs)
		}
	}
	if code, _, errs := runCLI("inject", "-b", "127.0.0.1:1", "--sasl-password", "x"); code != exitUsage ||
		!strings.Contains(errs, "$STREAMTOP_SASL_PASSWORD") {
		t.Errorf("--sasl-password on the command line: exit %d, %q", code, errs)
	}
}

// The defect: --fps 61 passed validation and the screen then refused it
// (exit 1 after starting every role).
func TestFPSOutOfRangeIsBadUsage(t *testing.T) {
	for _, args := range [][]string{{"--fps", "61"}, {"--fps", "0"}, {"watch", "-b", "k:9092", "--fps", "61"}} {
		code, _, errs := runCLI(args...)
		if code != exitUsage || !strings.Contains(errs, "--fps") || !strings.Contains(errs, "want 1 to 60") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	// The range checked is the screen's.
	ctl, err := bus.NewControls(settingsOf(defaultInjectorFlags(), defaultEngineFlags()))
	if err != nil {
		t.Fatal(err)
	}
	none := func() bus.Snapshot { return bus.Snapshot{} }
	if _, err := tui.New(tui.Options{Controller: ctl, FPS: maxFPS, Source: none}); err != nil {
		t.Errorf("the screen refuses --fps %d: %v", maxFPS, err)
	}
	if _, err := tui.New(tui.Options{Controller: ctl, FPS: maxFPS + 1, Source: none}); err == nil {
		t.Errorf("the screen takes --fps %d: maxFPS is not its limit", maxFPS+1)
	}
}

// The defect: --source bogus was ignored with --headless (the rate
// pipeline does not run there).
func TestUnknownRateSourceIsRejectedEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--headless", "--clock", "virtual", "-e", "10", "--source", "bogus"},
		{"--source", "file:"},
		{"rates", "-b", "k:9092", "--source", "bogus"},
	} {
		code, _, errs := runCLI(args...)
		if code != exitUsage || !strings.Contains(errs, "--source") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// The defect: "streamtop inject: streamtop inject needs …".
func TestErrorsHaveOnePrefix(t *testing.T) {
	for _, c := range []struct {
		args   []string
		prefix string
	}{
		{[]string{"inject"}, "streamtop inject: "},
		{[]string{"compare", "-b", "k:9092"}, "streamtop compare: "},
		{[]string{"--devices", "0"}, "streamtop: "},
	} {
		code, _, errs := runCLI(c.args...)
		first, _, _ := strings.Cut(errs, "\n")
		if code != exitUsage || !strings.HasPrefix(first, c.prefix) || strings.Count(first, "streamtop") != 1 {
			t.Errorf("%v: exit %d, first line %q: want one prefix %q", c.args, code, first, c.prefix)
		}
	}
}

func TestMistypedCommandsAndFlagsAreSuggested(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"injct"}, "Did you mean this?\n\tinject"},
		{[]string{"comapre"}, "\tcompare"},
		{[]string{"--sed", "3"}, "\t--seed"},
		{[]string{"compare", "--downstrem", "x"}, "\t--downstream"},
	} {
		code, _, errs := runCLI(c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q: want %q", c.args, code, errs, c.want)
		}
	}
}

func TestVersionFlagAndCommand(t *testing.T) {
	v := buildVersion()
	code, out, _ := runCLI("--version")
	if code != exitOK || !strings.Contains(out, v.short()) {
		t.Errorf("--version: exit %d, %q, want %q", code, out, v.short())
	}
	code, out, _ = runCLI("version")
	if code != exitOK || !strings.Contains(out, "streamtop "+v.version) || !strings.Contains(out, "module  "+v.module) ||
		!strings.Contains(out, "commit  ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestCompletionsAndManPage(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errs := runCLI("completion", shell)
		if code != exitOK || !strings.Contains(out, "streamtop") || len(out) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), errs)
		}
	}
	// fang writes the man page to the process's stdout.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	page := make(chan string)
	go func() { b, _ := io.ReadAll(r); page <- string(b) }()
	code, _, errs := runCLI("man")
	os.Stdout = stdout
	w.Close()
	man := <-page
	if code != exitOK || !strings.Contains(man, ".TH") || !strings.Contains(man, "listen-sasl-user") {
		t.Errorf("man: exit %d, stderr %q, page %.300q", code, errs, man)
	}
}

// Profiles are created as other tools create files: 0666 before the
// umask.
func TestProfileFilesModeIsUmasked(t *testing.T) {
	umask := syscall.Umask(0o022)
	defer syscall.Umask(umask)
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	if code, _, errs := runCLI("--headless", "--clock", "virtual", "-e", "20", "--cpuprofile", cpu, "--memprofile", mem); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, f := range []string{cpu, mem} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o644 {
			t.Errorf("%s: mode %o, want 0666 under umask 022 (644)", filepath.Base(f), got)
		}
	}
}

// The defect: SIGHUP (the terminal closed) killed the process with the
// alternate screen still up. It now quits the screen as SIGTERM does.
func TestSIGHUPLeavesTheAlternateScreen(t *testing.T) {
	in, inW := io.Pipe() // a terminal that never types
	defer inW.Close()
	var out, errb syncBuf
	done := make(chan int, 1)
	go func() { done <- run([]string{"--clock", "virtual", "-e", "50"}, in, &out, &errb) }()
	const enter, leave = "\x1b[?1049h", "\x1b[?1049l"
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), enter) {
		if time.Now().After(deadline) {
			t.Fatalf("the screen never entered the alternate screen; stderr %q", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		s := out.String()
		if code != exitOK || strings.LastIndex(s, leave) < strings.LastIndex(s, enter) {
			t.Errorf("exit %d; the output does not leave the alternate screen last; stderr %q", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SIGHUP did not stop the screen")
	}
}

// Started with standard output not a terminal (a file, a pipe), the screen
// commands refuse with a pointer to what works there, before starting
// anything: escape codes in a file help no one.
func TestScreenWantsATerminal(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "streamtop --headless"},
		{[]string{"--peer", "flink"}, "streamtop --headless"},
		{[]string{"watch", "-b", "127.0.0.1:1"}, "streamtop compare --follow"},
	} {
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		code := run(c.args, strings.NewReader(""), f, &stderr)
		f.Close()
		if code != exitUsage || !strings.Contains(stderr.String(), "standard output is not a terminal") || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v into a file: exit %d, stderr %q; want exit %d pointing to %s", c.args, code, stderr.String(), exitUsage, c.want)
		}
		if out, _ := os.ReadFile(f.Name()); len(out) > 0 {
			t.Errorf("%v wrote %q into the file", c.args, out)
		}
	}
}

// --theme takes the screen's palettes only, on both screens.
func TestThemeFlag(t *testing.T) {
	for _, args := range [][]string{{"--theme", "purple"}, {"watch", "-b", "127.0.0.1:1", "--theme", "purple"}} {
		code, _, stderr := runCLI(args...)
		if code != exitUsage || !strings.Contains(stderr, `--theme "purple": want one of auto, dark, light, 16, none`) {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}
