package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
)

// The key map: every action's keys can be changed (Options.Keys, the
// config file's "keys = reset=R freeze=F"). The footer and the help are
// made from the bindings, so they show the keys in force.

// keyActions names every binding a user can rebind.
var keyActions = []struct {
	name string
	of   func(*KeyMap) *key.Binding
}{
	{"dup", func(k *KeyMap) *key.Binding { return &k.Dup }},
	{"late", func(k *KeyMap) *key.Binding { return &k.Late }},
	{"ooo", func(k *KeyMap) *key.Binding { return &k.OOO }},
	{"mode", func(k *KeyMap) *key.Binding { return &k.Mode }},
	{"dedup", func(k *KeyMap) *key.Binding { return &k.Dedup }},
	{"watermark-down", func(k *KeyMap) *key.Binding { return &k.WatermarkDown }},
	{"watermark-up", func(k *KeyMap) *key.Binding { return &k.WatermarkUp }},
	{"rate-up", func(k *KeyMap) *key.Binding { return &k.RateUp }},
	{"rate-down", func(k *KeyMap) *key.Binding { return &k.RateDown }},
	{"pause", func(k *KeyMap) *key.Binding { return &k.Pause }},
	{"reset", func(k *KeyMap) *key.Binding { return &k.Reset }},
	{"next-pane", func(k *KeyMap) *key.Binding { return &k.NextPane }},
	{"previous-pane", func(k *KeyMap) *key.Binding { return &k.PrevPane }},
	{"filter", func(k *KeyMap) *key.Binding { return &k.Filter }},
	{"engine", func(k *KeyMap) *key.Binding { return &k.Engine }},
	{"peer-log", func(k *KeyMap) *key.Binding { return &k.PeerLog }},
	{"up", func(k *KeyMap) *key.Binding { return &k.Up }},
	{"down", func(k *KeyMap) *key.Binding { return &k.Down }},
	{"page-up", func(k *KeyMap) *key.Binding { return &k.PageUp }},
	{"page-down", func(k *KeyMap) *key.Binding { return &k.PageDown }},
	{"top", func(k *KeyMap) *key.Binding { return &k.Top }},
	{"bottom", func(k *KeyMap) *key.Binding { return &k.Bottom }},
	{"sort", func(k *KeyMap) *key.Binding { return &k.Sort }},
	{"sort-reverse", func(k *KeyMap) *key.Binding { return &k.SortReverse }},
	{"freeze", func(k *KeyMap) *key.Binding { return &k.Freeze }},
	{"open", func(k *KeyMap) *key.Binding { return &k.Open }},
	{"copy", func(k *KeyMap) *key.Binding { return &k.Copy }},
	{"copy-id", func(k *KeyMap) *key.Binding { return &k.CopyID }},
	{"export", func(k *KeyMap) *key.Binding { return &k.Export }},
	{"help", func(k *KeyMap) *key.Binding { return &k.Help }},
	{"quit", func(k *KeyMap) *key.Binding { return &k.Quit }},
}

// KeyActions are the names Options.Keys takes.
func KeyActions() []string {
	out := make([]string, len(keyActions))
	for i, a := range keyActions {
		out[i] = a.name
	}
	return out
}

// ParseKeys reads "ACTION=KEY[,KEY…] …" (spaces or semicolons between
// actions), e.g. "reset=R freeze=F,ctrl+f".
func ParseKeys(spec string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, item := range strings.FieldsFunc(spec, func(r rune) bool { return r == ' ' || r == ';' }) {
		name, keys, ok := strings.Cut(item, "=")
		if !ok || name == "" || keys == "" {
			return nil, fmt.Errorf("keys: want ACTION=KEY[,KEY…], not %q", item)
		}
		out[name] = strings.Split(keys, ",")
	}
	return out, nil
}

// withKeys is the default key map with the bindings of keys changed; an
// unknown action, an empty key or a key bound twice is an error.
func withKeys(keys map[string][]string) (KeyMap, error) {
	k := DefaultKeyMap()
	for name, ks := range keys {
		i := slices.IndexFunc(keyActions, func(a struct {
			name string
			of   func(*KeyMap) *key.Binding
		}) bool {
			return a.name == name
		})
		if i < 0 {
			return k, fmt.Errorf("keys: no action %q (the actions: %s)", name, strings.Join(KeyActions(), ", "))
		}
		if slices.Contains(ks, "") {
			return k, fmt.Errorf("keys: %s: an empty key", name)
		}
		b := keyActions[i].of(&k)
		*b = key.NewBinding(key.WithKeys(ks...), key.WithHelp(strings.Join(ks, "/"), b.Help().Desc))
	}
	owner := map[string]string{}
	for _, a := range keyActions {
		for _, kk := range a.of(&k).Keys() {
			if prev, ok := owner[kk]; ok && !(kk == "enter" && (prev == "open" || a.name == "open")) {
				return k, fmt.Errorf("keys: %q is bound to both %s and %s", kk, prev, a.name)
			}
			owner[kk] = a.name
		}
	}
	k.short, k.peerShort = k.shortFromBindings()
	return k, nil
}

// CheckKeys reports whether keys make a key map (for a command line to
// refuse a bad one before the screen starts).
func CheckKeys(keys map[string][]string) error {
	_, err := withKeys(keys)
	return err
}

// shortFromBindings is the footer's terse list, made from the bindings in
// force (display only: never matched).
func (k *KeyMap) shortFromBindings() (short, peer []key.Binding) {
	b := func(desc string, bs ...key.Binding) key.Binding {
		var keys, help []string
		for _, x := range bs {
			keys = append(keys, x.Keys()...)
			help = append(help, x.Help().Key)
		}
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(help, "/"), desc))
	}
	short = []key.Binding{
		b("help", k.Help), b("quit", k.Quit), b("faults", k.Dup, k.Late, k.OOO), b("mode", k.Mode),
		b("dedup", k.Dedup), b("W", k.WatermarkDown, k.WatermarkUp), b("rate", k.RateUp, k.RateDown),
		b("pause", k.Pause), b("reset", k.Reset), b("pane", k.NextPane), b("filter", k.Filter),
	}
	return short, []key.Binding{b("engine", k.Engine), b("peer log", k.PeerLog)}
}

// narrowKeys is the footer's list of keys alone, for narrow terminals.
func (k *KeyMap) narrowKeys(peers bool) string {
	bs := []key.Binding{k.Dup, k.Late, k.OOO, k.Mode, k.Dedup, k.WatermarkDown, k.WatermarkUp, k.RateUp, k.RateDown,
		k.Pause, k.Reset, k.Filter, k.NextPane}
	if peers {
		bs = append(bs, k.Engine, k.PeerLog)
	}
	var out []string
	for _, x := range bs {
		if ks := x.Keys(); len(ks) > 0 {
			out = append(out, ks[0])
		}
	}
	return strings.Join(out, " ")
}
