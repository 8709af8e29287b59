package peerrun

import "strings"

// lineKind is what one stdout line of a peer says (peers/README.md).
type lineKind uint8

const (
	lineLog      lineKind = iota // anything else: part of its log
	lineReady                    // streamtop-peer ready
	lineDone                     // streamtop-peer done
	lineSettings                 // streamtop-peer settings …
	lineCannot                   // streamtop-peer cannot …
)

const linePrefix = "streamtop-peer "

// parseLine classifies one stdout line; rest is what follows the word.
func parseLine(s string) (k lineKind, rest string) {
	body, ok := strings.CutPrefix(strings.TrimRight(s, "\r"), linePrefix)
	if !ok {
		return lineLog, s
	}
	word, rest, _ := strings.Cut(body, " ")
	switch word {
	case "ready":
		return lineReady, ""
	case "done":
		return lineDone, ""
	case "settings":
		return lineSettings, strings.TrimSpace(rest)
	case "cannot":
		return lineCannot, strings.TrimSpace(rest)
	}
	return lineLog, s
}

// ring keeps the last n lines of a log.
type ring struct {
	lines []string
	next  int
	full  bool
}

func newRing(n int) *ring { return &ring{lines: make([]string, max(n, 1))} }

func (r *ring) add(s string) {
	r.lines[r.next] = s
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// tail returns up to n of the last lines, oldest first.
func (r *ring) tail(n int) []string {
	var all []string
	if r.full {
		all = append(all, r.lines[r.next:]...)
	}
	all = append(all, r.lines[:r.next]...)
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}
