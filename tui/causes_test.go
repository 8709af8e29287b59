package tui

import (
	"strings"
	"testing"
)

func TestCauseForms(t *testing.T) {
	for _, c := range []struct{ full, short, tiny string }{
		{"late dropped (2)", "late 2", "late"},
		{"duplicates counted (1) (or 1 alternative)", "dup 1 ~1", "dup"},
		{"late dropped (1) + duplicates counted (3) (or 12 alternatives)", "late 1+dup 3 ~12", "late"},
		{"windowed by arrival (processing time or micro-batch)", "arrival (proc or batch)", "arr"},
		{"missing", "missing", "miss"},
		{"extra", "extra", "xtra"},
		{"unexplained", "unexpl", "unex"},
	} {
		if got := shortCause(c.full); got != c.short {
			t.Errorf("shortCause(%q) = %q, want %q", c.full, got, c.short)
		}
		if got := tinyCause(c.full); got != c.tiny {
			t.Errorf("tinyCause(%q) = %q, want %q", c.full, got, c.tiny)
		}
	}
	rows := []cmpRow{{cause: "late dropped (1)"}, {cause: "late dropped (1) + duplicates counted (1)"},
		{cause: "unexplained"}, {cause: "windowed by arrival"}}
	if got, want := tallyCauses(rows), "late 2 · dup 1 · arrival 1 · unexplained 1"; got != want {
		t.Errorf("tally = %q, want %q", got, want)
	}
}

// The exception table shows each row's cause, shortened to fit, and the
// pane counts them per kind: at 80 columns and wider.
func TestExceptionTableShowsCauses(t *testing.T) {
	for _, sz := range []struct {
		w, h int
		want []string
	}{
		{80, 24, []string{" +42 late ┃", "     — miss ┃", " -42 dup  ┃", "5 rows · late 2 · dup 2 · missing 1 · extra 1"}},
		{200, 40, []string{" late dropped (1) ", " missing ", " late 1+dup 1 ~2 ", " n down cause "}},
	} {
		got := plain(t, newTestModel(t, testControls(t), testSnapshot(), sz.w, sz.h))
		for _, s := range sz.want {
			if !strings.Contains(got, s) {
				t.Errorf("%dx%d: no %q in\n%s", sz.w, sz.h, s, got)
			}
		}
	}
}
