package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/spf13/pflag"
	"github.com/streamtop/streamtop/engine"
)

// Annotations a flag carries: its group in the help, and for connection
// flags the environment variable read when the flag is not given.
const (
	annGroup = "streamtop-group"
	annEnv   = "streamtop-env"
)

// Help groups, in the order the help lists them.
const (
	grpInjector  = "injector"
	grpEngine    = "engine"
	grpCompare   = "compare"
	grpRates     = "rates"
	grpRun       = "run"
	grpOutput    = "output"
	grpBench     = "bench"
	grpPeers     = "peers"
	grpEmbedded  = "embedded broker"
	grpKafka     = "kafka connection"
	grpTopics    = "topics"
	grpCassandra = "cassandra connection"
	grpSchema    = "cassandra tables"
)

var groupOrder = []string{grpInjector, grpEngine, grpCompare, grpRates, grpRun, grpOutput, grpBench, grpPeers, grpEmbedded,
	grpKafka, grpTopics, grpCassandra, grpSchema}

// envPrefix starts every variable a connection flag reads.
const envPrefix = "STREAMTOP_"

// binder binds flags to config fields: the field's value when bound is the
// flag's default, so every default is written once, in a defaultX function.
type binder struct {
	fs    *pflag.FlagSet
	group string
	last  string // the flag bound last, for env
}

// in sets the help group of the flags bound next.
func (b *binder) in(group string) *binder { b.group = group; return b }

func (b *binder) done(name string) *binder {
	_ = b.fs.SetAnnotation(name, annGroup, []string{b.group})
	b.last = name
	return b
}

// env makes the flag bound last read $STREAMTOP_<NAME> when it is not given.
func (b *binder) env() *binder {
	_ = b.fs.SetAnnotation(b.last, annEnv, []string{envName(b.last)})
	return b
}

// envName is the variable a flag reads: STREAMTOP_ and its name in capitals.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func (b *binder) str(p *string, name, short, usage string) *binder {
	b.fs.StringVarP(p, name, short, *p, usage)
	return b.done(name)
}

func (b *binder) integer(p *int, name, short, usage string) *binder {
	b.fs.IntVarP(p, name, short, *p, usage)
	return b.done(name)
}

func (b *binder) int64(p *int64, name, short, usage string) *binder {
	b.fs.Int64VarP(p, name, short, *p, usage)
	return b.done(name)
}

func (b *binder) float(p *float64, name, short, usage string) *binder {
	b.fs.Float64VarP(p, name, short, *p, usage)
	return b.done(name)
}

func (b *binder) boolean(p *bool, name, short, usage string) *binder {
	b.fs.BoolVarP(p, name, short, *p, usage)
	return b.done(name)
}

func (b *binder) duration(p *time.Duration, name, short, usage string) *binder {
	b.fs.DurationVarP(p, name, short, *p, usage)
	return b.done(name)
}

func (b *binder) value(v pflag.Value, name, short, usage string) *binder {
	b.fs.VarP(v, name, short, usage)
	return b.done(name)
}

// listValue is a comma-separated list: each use replaces the list.
type listValue struct{ p *[]string }

func (l listValue) String() string { return strings.Join(*l.p, ",") }
func (l listValue) Type() string   { return "list" }
func (l listValue) Set(v string) error {
	*l.p = splitList(v)
	return nil
}

// repeatedValue appends each use to the list.
type repeatedValue struct{ p *[]string }

func (r repeatedValue) String() string { return strings.Join(*r.p, " ") }
func (r repeatedValue) Type() string   { return "string" }
func (r repeatedValue) Set(v string) error {
	*r.p = append(*r.p, v)
	return nil
}

type modeValue struct{ p *engine.Mode }

func (m modeValue) String() string { return m.p.String() }
func (m modeValue) Type() string   { return "mode" }
func (m modeValue) Set(v string) (err error) {
	*m.p, err = engine.ParseMode(v)
	return err
}

type clockValue struct{ p *bus.Clock }

func (c clockValue) String() string { return c.p.String() }
func (c clockValue) Type() string   { return "clock" }
func (c clockValue) Set(v string) (err error) {
	*c.p, err = bus.ParseClock(v)
	return err
}

type timeValue struct{ p *time.Time }

func (t timeValue) String() string { return t.p.UTC().Format(time.RFC3339) }
func (t timeValue) Type() string   { return "time" }
func (t timeValue) Set(v string) error {
	p, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return errors.New("want an RFC 3339 time such as 2026-01-01T00:00:00Z")
	}
	*t.p = p
	return nil
}

// refusedValue takes a password given on the command line, forgets it at
// once and remembers only that it was given: the run is then refused.
type refusedValue struct{ given *bool }

func (r refusedValue) String() string { return "" }
func (r refusedValue) Type() string   { return "string" }
func (r refusedValue) Set(string) error {
	*r.given = true
	return nil
}

// secret is a password: read from $ENV or from the file --NAME-file names,
// never from the command line, never printed.
type secret struct {
	flag  string // the refused flag, e.g. sasl-password
	file  string // --<flag>-file
	given bool   // --<flag> was given on the command line
	value string
}

func newSecret(flag string) secret { return secret{flag: flag} }

// bind adds --<flag>-file (which also reads $STREAMTOP_<FLAG>_FILE) and the
// refused --<flag>, hidden.
func (s *secret) bind(b *binder, what string) {
	b.str(&s.file, s.flag+"-file", "", fmt.Sprintf("file holding the %s (else $%s)", what, envName(s.flag))).env()
	b.fs.Var(refusedValue{&s.given}, s.flag, "refused: a password on the command line is visible to other users")
	_ = b.fs.MarkHidden(s.flag)
}

// resolve reads the secret from its file or its variable.
func (s *secret) resolve() error {
	if s.given {
		return usageErr(fmt.Errorf("--%s: a password on the command line is visible to other users: set $%s or --%s-file",
			s.flag, envName(s.flag), s.flag))
	}
	s.value = os.Getenv(envName(s.flag))
	if s.file == "" {
		return nil
	}
	b, err := os.ReadFile(s.file)
	if err != nil {
		return usageErr(fmt.Errorf("--%s-file: %w", s.flag, err))
	}
	s.value = strings.TrimRight(string(b), "\r\n")
	return nil
}

// applyEnv sets every connection flag not given from its variable.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name := f.Annotations[annEnv]
		if err != nil || len(name) == 0 || f.Changed {
			return
		}
		if v, ok := os.LookupEnv(name[0]); ok && v != "" {
			if serr := f.Value.Set(v); serr != nil {
				err = usageErr(fmt.Errorf("$%s: %w", name[0], serr))
			}
		}
	})
	return err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
