package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"charm.land/fang/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// help draws fang's help (description, usage, examples, subcommands) and
// then the flags in groups by concern, which fang v2.0.1 does not do: one
// "flags" list of 80 would be unreadable.
//
// fang installs its help function on the root when it executes, so ours
// is installed when help is asked for: by the --help flag (its value's Set)
// or the help subcommand.
type help struct {
	root   *cobra.Command
	fang   func(*cobra.Command, []string)
	scheme func(lipgloss.LightDarkFunc) fang.ColorScheme
	colors *fang.ColorScheme // fang's choice, kept for the flag groups
}

func newHelp(root *cobra.Command) *help {
	h := &help{root: root}
	h.scheme = func(ld lipgloss.LightDarkFunc) fang.ColorScheme {
		cs := fang.DefaultColorScheme(ld)
		h.colors = &cs
		return cs
	}
	var asked bool
	root.PersistentFlags().AddFlag(&pflag.Flag{Name: "help", Shorthand: "h", Usage: "help for this command",
		Value: helpValue{&asked, h.install}, DefValue: "false", NoOptDefVal: "true"})
	root.SetHelpCommand(&cobra.Command{
		Use: "help [command]", Short: "Help about any command", Args: noArgsBeyondCommand,
		RunE: func(c *cobra.Command, args []string) error {
			h.install()
			target, _, err := c.Root().Find(args)
			if err != nil {
				return inCommand(c, usageErr(err))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	})
	return h
}

// noArgsBeyondCommand accepts the path of a command.
func noArgsBeyondCommand(*cobra.Command, []string) error { return nil }

// install puts the grouped help on the root, over fang's, once.
func (h *help) install() {
	if h.fang != nil {
		return
	}
	h.fang = h.root.HelpFunc()
	h.root.SetHelpFunc(h.render)
}

// helpValue is the --help flag: a bool whose setting installs our help.
type helpValue struct {
	on      *bool
	install func()
}

func (v helpValue) String() string   { return strconv.FormatBool(*v.on) }
func (v helpValue) Type() string     { return "bool" }
func (v helpValue) IsBoolFlag() bool { return true }
func (v helpValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*v.on = b
	if b {
		v.install()
	}
	return err
}

// render is fang's help with the flags taken out, then the flags by group.
func (h *help) render(c *cobra.Command, args []string) {
	fs := c.Flags()
	var shown []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			shown = append(shown, f)
			f.Hidden = true
		}
	})
	h.fang(c, args)
	for _, f := range shown {
		f.Hidden = false
	}
	cs := defaultScheme()
	if h.colors != nil {
		cs = *h.colors
	}
	w := colorprofile.NewWriter(c.OutOrStdout(), os.Environ())
	writeFlagGroups(w, cs, shown)
}

// writeFlagGroups lists flags under their groups' titles.
func writeFlagGroups(w io.Writer, cs fang.ColorScheme, flags []*pflag.Flag) {
	title := lipgloss.NewStyle().Bold(true).Foreground(cs.Title).Transform(strings.ToUpper).Margin(0, 2).PaddingBottom(1)
	flagStyle := lipgloss.NewStyle().Foreground(cs.Flag)
	text := lipgloss.NewStyle().Foreground(cs.Description)
	dim := lipgloss.NewStyle().Foreground(cs.FlagDefault)
	keys := map[*pflag.Flag]string{}
	space := 0
	for _, f := range flags {
		keys[f] = flagKey(f)
		space = max(space, lipgloss.Width(keys[f])+2)
	}
	descWidth := max(helpWidth()-4-space, 30)
	first := true
	for _, g := range append(slices.Clone(groupOrder), "") {
		var in []*pflag.Flag
		for _, f := range flags {
			if groupOf(f) == g {
				in = append(in, f)
			}
		}
		if len(in) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		fmt.Fprintln(w, title.Render(cmp.Or(g, "other")+" flags"))
		for _, f := range in {
			_, usage := pflag.UnquoteUsage(f)
			desc := ansi.Wordwrap(text.Render(usage)+dim.Render(flagNote(f)), descWidth, "")
			desc = strings.ReplaceAll(desc, "\n", "\n"+strings.Repeat(" ", 4+space))
			pad := strings.Repeat(" ", space-lipgloss.Width(keys[f]))
			fmt.Fprintln(w, "    "+flagStyle.Render(keys[f])+pad+desc)
		}
	}
	fmt.Fprintln(w)
}

// flagKey is "-s --seed int": the short form, the long one and the kind
// of value.
func flagKey(f *pflag.Flag) string {
	k := "   --" + f.Name
	if f.Shorthand != "" {
		k = "-" + f.Shorthand + " --" + f.Name
	}
	if name, _ := pflag.UnquoteUsage(f); name != "" && f.NoOptDefVal == "" {
		k += " " + name
	}
	return k
}

// flagNote is a flag's default and the variable it reads.
func flagNote(f *pflag.Flag) string {
	var note string
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
	default:
		note = " (default " + f.DefValue + ")"
	}
	if env := f.Annotations[annEnv]; len(env) > 0 {
		note += " [$" + env[0] + "]"
	}
	return note
}

func groupOf(f *pflag.Flag) string {
	if g := f.Annotations[annGroup]; len(g) > 0 {
		return g[0]
	}
	return ""
}

// helpWidth is the terminal's width (at most 120), 120 elsewhere, as fang.
func helpWidth() int {
	if w, _, err := term.GetSize(os.Stdout.Fd()); err == nil && w > 0 {
		return min(w, 120)
	}
	return 120
}
