package tui

import (
	"regexp"
	"strconv"
	"strings"
)

// The comparator's causes (SPEC §4) as the exception table shows them: in
// full when the column allows, else shortened ("late 2+dup 1 ~3"), else
// their first kind alone; and counted per kind for the pane's summary.

var (
	lateN  = regexp.MustCompile(`late dropped \((\d+)\)`)
	dupN   = regexp.MustCompile(`duplicates counted \((\d+)\)`)
	altN   = regexp.MustCompile(` \(or (\d+) alternatives?\)`)
	arrive = strings.NewReplacer("windowed by arrival", "arrival", "processing time", "proc", "micro-batch", "batch",
		" + ", "+", "unexplained", "unexpl")
)

// shortCause shortens a cause: "late dropped (2) + duplicates counted (1)
// (or 3 alternatives)" becomes "late 2+dup 1 ~3".
func shortCause(c string) string {
	c = lateN.ReplaceAllString(c, "late $1")
	c = dupN.ReplaceAllString(c, "dup $1")
	c = altN.ReplaceAllString(c, " ~$1")
	return arrive.Replace(c)
}

// causeKinds are the kinds counted, in SPEC §4's order, with the phrase
// that names each in a cause.
var causeKinds = []struct{ short, tiny, phrase string }{
	{"late", "late", "late dropped"}, {"dup", "dup", "duplicates counted"}, {"arrival", "arr", "windowed by arrival"},
	{"missing", "miss", "missing"}, {"extra", "xtra", "extra"}, {"unexplained", "unex", "unexplained"},
}

// tinyCause is a cause's first kind alone, in at most minCauseW cells.
func tinyCause(c string) string {
	for _, k := range causeKinds {
		if strings.HasPrefix(c, k.phrase) {
			return k.tiny
		}
	}
	return c
}

// tallyCauses counts the rows' causes per kind, e.g.
// "late 3 · dup 2 · unexplained 1" (a combined cause counts in both kinds).
func tallyCauses(rows []cmpRow) string { return formatCauses(countCauses(rows), false) }

// countCauses counts the rows' causes per kind, in causeKinds' order.
func countCauses(rows []cmpRow) []int {
	n := make([]int, len(causeKinds))
	for i := range rows {
		for k, kind := range causeKinds {
			if strings.Contains(rows[i].cause, kind.phrase) {
				n[k]++
			}
		}
	}
	return n
}

// formatCauses renders counts per kind: "late 3 · dup 2", or tiny:
// "late 3 dup 2", with the kinds' tiny names ("miss 1 xtra 4").
func formatCauses(n []int, tiny bool) string {
	var parts []string
	for k, kind := range causeKinds {
		if k < len(n) && n[k] > 0 {
			name := kind.short
			if tiny {
				name = kind.tiny
			}
			parts = append(parts, name+" "+strconv.Itoa(n[k]))
		}
	}
	if tiny {
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, " · ")
}
