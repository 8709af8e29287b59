package tui

import (
	"cmp"
	"slices"
)

// sortKey is a column the exception table can be sorted by.
type sortKey uint8

const (
	byEnd sortKey = iota
	byDevice
	byCategory
	byTruth
	byDown
	byDelta
	byCause
	numSortKeys // also: a column that does not sort
)

var sortNames = [numSortKeys]string{"window end", "device", "category", "m1 truth", "m1 down", "Δm1", "cause"}

// tableSort is the exception table's order. The zero value is the
// default: by window end, newest first, so the latest exceptions are in
// view without scrolling.
type tableSort struct {
	by  sortKey
	asc bool
}

// next sorts by the next column, in its natural first direction (text
// A→Z, numbers and times largest first).
func (s tableSort) next() tableSort {
	by := (s.by + 1) % numSortKeys
	return tableSort{by: by, asc: by == byDevice || by == byCategory || by == byCause}
}

// reversed is the same column the other way.
func (s tableSort) reversed() tableSort { return tableSort{by: s.by, asc: !s.asc} }

// isDefault reports whether s is the zero order (not worth a word).
func (s tableSort) isDefault() bool { return s == tableSort{} }

// arrow marks the sorted column's title.
func (s tableSort) arrow() string {
	if s.asc {
		return "↑"
	}
	return "↓"
}

// describe names the order for the status line.
func (s tableSort) describe() string { return "by " + sortNames[s.by] + " " + s.arrow() }

// apply orders shown (indices into rows), stably: equal rows keep their
// key order. A missing value (no m1 on one side) sorts as the smallest.
func (s tableSort) apply(rows []cmpRow, shown []int) {
	slices.SortStableFunc(shown, func(i, j int) int {
		a, b := &rows[i], &rows[j]
		var c int
		switch s.by {
		case byEnd:
			c = cmp.Compare(a.end, b.end)
		case byDevice:
			c = cmp.Compare(a.device, b.device)
		case byCategory:
			c = cmp.Compare(a.category, b.category)
		case byTruth:
			c = cmp.Compare(a.truthN, b.truthN)
		case byDown:
			c = cmp.Compare(a.downN, b.downN)
		case byDelta:
			c = cmp.Compare(a.deltaN, b.deltaN)
		case byCause:
			c = cmp.Compare(a.cause, b.cause)
		}
		if !s.asc {
			c = -c
		}
		return c
	})
}
