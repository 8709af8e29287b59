package tui

import "testing"

func TestRowFilter(t *testing.T) {
	rows := []string{"2026-01-01 00:00:20 dev-19c4 cat-2 late dropped (1)", "2026-01-01 00:00:35 dev-7f3a cat-1 missing", "dev-7f3a cat-3 duplicates counted (1)"}
	for _, c := range []struct {
		typed string
		want  []bool
	}{
		{"", []bool{true, true, true}},
		{"DEV-7F", []bool{false, true, true}},
		{"cat-[12]", []bool{true, true, false}},
		{"!cat-[12]", []bool{false, false, true}},
		{"! missing", []bool{true, false, true}},
		{"^dev", []bool{false, false, true}},
		{"(7f3a)", []bool{false, true, true}},     // a regexp: "7f3a"
		{"dropped (", []bool{true, false, false}}, // not a regexp: the text
		{"!", []bool{true, true, true}},
	} {
		f := newRowFilter(c.typed)
		for i, r := range rows {
			if got := f.keeps(r); got != c.want[i] {
				t.Errorf("%q on %q: %v, want %v", c.typed, r, got, c.want[i])
			}
		}
	}
	if d := newRowFilter("dropped (").describe(); d != "dropped (, as text" {
		t.Errorf("describe %q", d)
	}
}
