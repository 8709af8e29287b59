package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitExceptions = 3
)

// usageError is a command line that cannot run: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usageErr marks err as bad usage (nil stays nil).
func usageErr(err error) error {
	if err == nil {
		return nil
	}
	var u usageError
	if errors.As(err, &u) {
		return err
	}
	return usageError{err}
}

// errExceptions: the run went through and --fail-on-exceptions found a
// score that is not 0 (exit 3). Nothing more to say: the report said it.
var errExceptions = errors.New("the score has exceptions")

// reportedError is a failure already told on stderr (by the role's log):
// exit 1 without another line.
type reportedError struct{ err error }

func (r reportedError) Error() string { return r.err.Error() }
func (r reportedError) Unwrap() error { return r.err }

// reported marks err as already shown (nil stays nil).
func reported(err error) error {
	if err == nil {
		return nil
	}
	return reportedError{err}
}

// commandError ties an error to the command path that failed, for its
// one prefix ("streamtop inject: …").
type commandError struct {
	path string
	err  error
}

func (c commandError) Error() string { return c.err.Error() }
func (c commandError) Unwrap() error { return c.err }

// exitCode is the one place an outcome becomes an exit status.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errExceptions):
		return exitExceptions
	case errors.As(err, &u):
		return exitUsage
	}
	return exitFailure
}

// printError writes err once, with one prefix naming the command, and for
// bad usage a pointer to --help.
func printError(w io.Writer, err error) {
	var r reportedError
	if err == nil || errors.Is(err, errExceptions) || errors.As(err, &r) {
		return
	}
	path := "streamtop"
	var ce commandError
	if errors.As(err, &ce) {
		path = ce.path
	}
	msg := strings.TrimPrefix(err.Error(), path+": ")
	fmt.Fprintf(w, "%s: %s\n", path, msg)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", path)
	}
}

// inCommand ties err to c's path (nil stays nil).
func inCommand(c *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	var ce commandError
	if errors.As(err, &ce) {
		return err
	}
	return commandError{path: c.CommandPath(), err: err}
}

// flagError is cobra's FlagErrorFunc: bad usage, with the flags closest to
// an unknown one suggested.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := suggestFlags(c.Flags(), name); len(s) > 0 {
			err = fmt.Errorf("%w\n\nDid you mean this?\n\t--%s", err, strings.Join(s, "\n\t--"))
		}
	}
	return inCommand(c, usageErr(err))
}

// suggestFlags are the visible flags within two edits of name, or that
// start with it.
func suggestFlags(fs *pflag.FlagSet, name string) []string {
	var out []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && (editDistance(name, f.Name) <= 2 || len(name) > 2 && strings.HasPrefix(f.Name, name)) {
			out = append(out, f.Name)
		}
	})
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// noArgs is cobra.NoArgs as bad usage, with the subcommands closest to an
// unknown word suggested (cobra's SuggestionsMinimumDistance).
func noArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unexpected argument %q (flags start with --)", args[0])
	if c.HasAvailableSubCommands() {
		msg = fmt.Sprintf("unknown command %q (flags start with --)", args[0])
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return inCommand(c, usageErr(errors.New(msg)))
}

// needTerminal refuses to draw the screen into something that is not a
// terminal (a file, a pipe): the output would be escape codes no one can
// read, and a run meant for a file wants --headless. Streams a test hands
// in (not an *os.File) are taken as they are.
func needTerminal(out io.Writer, headless string) error {
	f, ok := out.(interface{ Fd() uintptr })
	if !ok || term.IsTerminal(f.Fd()) {
		return nil
	}
	return usageErr(fmt.Errorf("standard output is not a terminal, and the screen needs one: %s", headless))
}
