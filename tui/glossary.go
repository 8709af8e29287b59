package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// glossary is what `?` says about each figure and word on the screen, in
// plain language, after the keys (docs/semantics.md has the exact rules).
var glossary = []struct{ term, text string }{
	{"times", "the log's times are wall-clock times in the zone its title names (local unless --utc); window ends, watermarks, the injector's clock and alerts are event times, always in UTC, as windows are labelled"},
	{"truth (dev)", "the sums the injector computes itself from every event it sent, windowed by each event's device time (when it happened): what a correct event-time engine must write"},
	{"truth (send)", "the same events windowed by when they were sent: what a processing-time engine approaches"},
	{"differ", "keys whose two truths differ: late and out-of-order events at work"},
	{"down", "downstream: what the judged engine wrote (its results topic)"},
	{"Δm1", "truth − down, for the m1 sums: positive when the engine counted too little"},
	{"exception", "a key where the engine's m1 sum is not the truth's, or a key only one side has (missing, extra)"},
	{"settled", "a key that can no longer change: its window ended longer ago than late events can come (7:00 by default) and the engine has finished it; the score counts settled keys"},
	{"N out of M", "N exceptions among M settled keys: the verdict; while the run goes on it counts the run's own windows, 'FINAL' once the run is over and every key settled"},
	{"before the run", "keys of windows that ended before the run's first event was sent: only late events reach them, so an engine at lateness 0 misses them all; they settle first and are counted apart until the end"},
	{"no verdict yet", "no window of the run has settled: the first keys to settle are windows before the run, which only late events reach, so no score is shown until the run's first window settles"},
	{"provisional", "the same count over every key seen so far, settled or not: it can still change"},
	{"pending", "keys seen but not settled yet"},
	{"~ rows", "exceptions not settled yet: they may resolve themselves when the rest arrives"},
	{"send-time score", "the same engine judged against the send-time truth"},
	{"cause", "why a key is an exception, from what was sent: late dropped, duplicates counted, windowed by arrival, missing, extra, or unexplained"},
	{"W", "watermark lag: the watermark trails the newest device time read by W; a larger W waits longer for out-of-order events"},
	{"wm", "the engine's watermark: windows ending at or before it are emitted"},
	{"lateness", "how long after the watermark passes a window's end the engine still takes late events into it (then the window is closed)"},
	{"idle", "a partition silent this long stops holding the watermark back"},
	{"lag [a b c d]", "records written to the events topic but not read by the engine yet: in total, then per partition"},
	{"observed", "watch only: the shares of duplicates, late and out-of-order events measured on the events topic since watching began; a copy of an event sent before then is taken for an original, late or out of order, so the first minutes overstate those two"},
	{"late dropped", "events the engine refused because their window was already closed"},
	{"dup dropped", "repeated event ids the engine's de-duplication left out"},
}

// glossaryLines renders the glossary for a box cw cells wide: each term,
// its meaning wrapped beside it (under it, indented, when narrow).
func (m *Model) glossaryLines(cw int) []string {
	st := m.st
	out := []string{st.title.Render("What the figures mean"), ""}
	col := 0
	for _, g := range glossary {
		col = max(col, st.cells.width(g.term)+2)
	}
	beside := cw-col >= 40
	indent := strings.Repeat(" ", col)
	if !beside {
		indent = "    "
	}
	for _, g := range glossary {
		wrapped := strings.Split(ansi.Wordwrap(g.text, max(cw-len(indent), 10), " "), "\n")
		if !beside {
			out = append(out, st.value.Render(g.term))
		} else {
			pad := strings.Repeat(" ", col-st.cells.width(g.term))
			out = append(out, st.value.Render(g.term)+pad+st.label.Render(wrapped[0]))
			wrapped = wrapped[1:]
		}
		for _, l := range wrapped {
			out = append(out, st.label.Render(indent+l))
		}
	}
	return out
}
