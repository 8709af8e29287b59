package tui

import (
	"regexp"
	"strings"
)

// rowFilter is the table filter as typed: a regular expression, matched
// case-insensitively anywhere in a row's text (plain text when it does not
// compile, so "cat-1 (" still finds what it says); a leading "!" keeps the
// rows that do not match.
type rowFilter struct {
	text   string // as typed, trimmed
	invert bool
	re     *regexp.Regexp // nil: plain text
	plain  string         // lower case, when re is nil
}

// newRowFilter parses what was typed.
func newRowFilter(typed string) rowFilter {
	f := rowFilter{text: strings.TrimSpace(typed)}
	pat := f.text
	if strings.HasPrefix(pat, "!") {
		f.invert, pat = true, strings.TrimSpace(pat[1:])
	}
	if re, err := regexp.Compile("(?i)" + pat); err == nil && pat != "" {
		f.re = re
	} else {
		f.plain = strings.ToLower(pat)
	}
	return f
}

// empty reports whether the filter keeps every row.
func (f rowFilter) empty() bool { return f.re == nil && f.plain == "" }

// keeps reports whether a row whose texts are texts passes the filter.
func (f rowFilter) keeps(texts ...string) bool {
	if f.empty() {
		return true
	}
	hit := false
	for _, t := range texts {
		if f.re != nil && f.re.MatchString(t) || f.re == nil && strings.Contains(t, f.plain) {
			hit = true
			break
		}
	}
	return hit != f.invert
}

// describe is how the status line names the filter.
func (f rowFilter) describe() string {
	switch {
	case f.empty():
		return ""
	case f.re == nil && f.text != "":
		return f.text + ", as text"
	}
	return f.text
}
