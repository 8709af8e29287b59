package main

import (
	"context"
	"io"
	"strings"

	"charm.land/fang/v2"
	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// streams are the process's standard streams (a test's buffers).
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// run is the whole program, with its streams as arguments for tests: it
// parses args, runs the command and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{stdin, stdout, stderr}
	root := newRoot(s)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	h := newHelp(root)
	err := fang.Execute(context.Background(), root,
		fang.WithVersion(buildVersion().short()),
		fang.WithColorSchemeFunc(h.scheme),
		fang.WithErrorHandler(func(w io.Writer, _ fang.Styles, err error) { printError(w, err) }))
	return exitCode(err)
}

// newRoot is the command tree: the one-process run and its subcommands.
func newRoot(s streams) *cobra.Command {
	cfg := defaultAppConfig()
	root := newCommand(commandText[""], &cfg, func(c *cobra.Command) error { return runApp(c.Context(), &cfg, s) })
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagError)
	root.AddGroup(&cobra.Group{ID: "roles", Title: "roles (each on its own host, against a cluster)"},
		&cobra.Group{ID: "tools", Title: "tools"})
	inject, engine, rates := defaultInjectConfig(), defaultEngineConfig(), defaultRatesConfig()
	cmp, watch, bench := defaultCompareConfig(), defaultWatchConfig(), defaultBenchConfig()
	root.AddCommand(
		newCommand(commandText["inject"], &inject, func(c *cobra.Command) error { return runInject(c.Context(), &inject, s) }),
		newCommand(commandText["engine"], &engine, func(c *cobra.Command) error { return runEngine(c.Context(), &engine, s) }),
		newCommand(commandText["rates"], &rates, func(c *cobra.Command) error { return runRates(c.Context(), &rates, s) }),
		newCommand(commandText["compare"], &cmp, func(c *cobra.Command) error { return runCompare(c.Context(), &cmp, s) }),
		newCommand(commandText["watch"], &watch, func(c *cobra.Command) error { return runWatch(c.Context(), &watch, s) }),
		newCommand(commandText["bench"], &bench, func(c *cobra.Command) error { return runBench(c.Context(), &bench, s) }),
		newPeersCommand(s),
		newVersionCommand(s),
	)
	return root
}

// newCommand is a command whose flags are cfg's: parsed, completed and
// checked before run, with the profiles cfg asks for around it.
func newCommand(t cmdText, cfg roleConfig, run func(*cobra.Command) error) *cobra.Command {
	c := &cobra.Command{Use: t.use, Short: t.short, Long: t.long, Example: t.example, GroupID: t.group, Args: noArgs}
	c.Flags().SortFlags = false
	cfg.bind(&binder{fs: c.Flags()})
	bindProfile(c.Flags())
	c.RunE = func(c *cobra.Command, _ []string) error {
		if err := prepare(c.Flags(), cfg); err != nil {
			return inCommand(c, usageErr(err))
		}
		stop, err := startProfiles(cfg.profiles(), c.ErrOrStderr(), c.CommandPath())
		if err != nil {
			return inCommand(c, err)
		}
		defer stop()
		return inCommand(c, run(c))
	}
	return c
}

// prepare completes and checks cfg once its flags are parsed: flags not
// given read their variables, then the defaults that depend on other flags.
func prepare(fs *pflag.FlagSet, cfg roleConfig) error {
	if err := applyEnv(fs); err != nil {
		return err
	}
	if err := applyConfigFile(fs); err != nil {
		return err
	}
	if err := cfg.complete(fs.Changed); err != nil {
		return err
	}
	return cfg.Validate()
}

// parseCommand parses a subcommand's args ("" for the one-process run)
// into cfg, as run would, without running it (for tests).
func parseCommand(args []string, cfg roleConfig) error {
	fs := pflag.NewFlagSet("streamtop", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.bind(&binder{fs: fs})
	bindProfile(fs)
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	return prepare(fs, cfg)
}

// defaultScheme is the help's colours when fang has not chosen them.
func defaultScheme() fang.ColorScheme { return fang.DefaultColorScheme(lipgloss.LightDark(true)) }

// bindProfile adds --profile, the config file's connection profile.
func bindProfile(fs *pflag.FlagSet) {
	(&binder{fs: fs}).in(grpKafka).str(new(string), "profile", "", "the config file's [profile `NAME`] of settings (connection, theme…), under flags and their variables").env()
}

// applyConfigFile gives the flags neither given nor set by a variable the
// config file's values (see configfile.go).
func applyConfigFile(fs *pflag.FlagSet) error {
	cf, err := loadConfig()
	if err != nil {
		return err
	}
	profile := ""
	if f := fs.Lookup("profile"); f != nil {
		profile = f.Value.String()
	}
	for _, s := range cf.top { // "profile = NAME" outside any profile: the default one
		if s.name == "profile" && profile == "" {
			profile = s.value
		}
	}
	if len(cf.top) == 0 && len(cf.profiles) == 0 && profile == "" {
		return nil
	}
	return cf.apply(fs, profile, allFlagNames())
}

// allFlagNames is every flag name of every command.
func allFlagNames() map[string]bool {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}))
	return known
}
