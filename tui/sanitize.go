package tui

import "github.com/streamtop/streamtop/compare"

// sanitize makes a string from the outside world (Kafka records, files,
// other hosts) safe to put on the screen; see compare.Printable.
func sanitize(s string) string { return compare.Printable(s) }
