package tui

import (
	"strconv"
	"strings"
)

// observedBody is an engine seen from outside (watch): what its topics
// show — results, the progress records that verify, its group's lag — and
// nothing it would have to make up. Its settings, watermark, windows and
// drops are the engine's own, on no topic.
func (p *enginePane) observedBody(cw int) []string {
	st, s := p.st, p.status
	name := sanitize(s.Config.Name)
	if name == "" {
		name = "no result yet"
	}
	malformed := kv(st, "malformed", itoa(s.Malformed))
	if s.Malformed > 0 {
		malformed = st.label.Render("malformed") + " " + st.warn.Render(itoa(s.Malformed))
	}
	lines := st.cells.pack([]string{kv(st, "engine", name), kv(st, "results", itoa(s.Produced)),
		kv(st, "results/s", ftoa(s.ResultRate, 1)), malformed}, st.sepText, cw)
	lines = append(lines, kv(st, "closed ≤", fmtTime(s.ClosedBefore, cw < 60, p.year)))
	if s.Unverified > 0 {
		lines = append(lines, wrapStyled(st.warn, itoa(s.Unverified)+" progress records unverified, ignored: "+
			"watch with the run's key (--run-key-file; a one-process run logs its file)", cw)...)
	}
	switch {
	case s.LagUnknown != "":
		lines = append(lines, wrapStyled(st.label, "lag unknown: "+sanitize(s.LagUnknown)+
			" (the engine reads without one, as in one process)", cw)...)
	case len(s.PartitionLag) > 0:
		parts := make([]string, len(s.PartitionLag))
		for i, l := range s.PartitionLag {
			parts[i] = "p" + strconv.Itoa(i) + " " + itoa(l)
		}
		lines = append(lines, st.cells.pack([]string{kv(st, "lag", itoa(s.Lag)),
			st.faint.Render("[" + strings.Join(parts, " ") + "]")}, st.sepText, cw)...)
	default:
		lines = append(lines, kv(st, "lag", itoa(s.Lag)))
	}
	if p.errText != "" {
		lines = append(lines, wrapStyled(st.bad, "error: "+p.errText, cw)...)
	}
	lines = append(lines, "")
	return append(lines, wrapStyled(st.faint, "seen from the topics: the engine's settings, watermark, windows and drops are its own", cw)...)
}
