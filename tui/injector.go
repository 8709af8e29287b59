package tui

import (
	"math"
	"strconv"

	"github.com/streamtop/streamtop/feed/bus"

	tea "charm.land/bubbletea/v2"
)

// injectorPane shows the injector: its rate, counters, toggles and truth.
type injectorPane struct {
	paneBase
	status   *bus.InjectorStatus
	settings bus.Settings
	replay   string // sanitized
	observed bool   // the settings are fractions observed on the topics (watch), not knobs
}

func newInjectorPane(st *styles) *injectorPane {
	return &injectorPane{paneBase: paneBase{st: st, dirty: true}}
}

// SetSnapshot hands the pane the newest status (nil until the injector
// publishes) and the settings in force.
func (p *injectorPane) SetSnapshot(s *bus.InjectorStatus, set bus.Settings) {
	if s != p.status {
		p.status, p.dirty = s, true
		if s != nil {
			p.replay = sanitize(s.Replay)
		}
	}
	if set != p.settings {
		p.settings, p.dirty = set, true
	}
}

// HandleKey: the injector pane has nothing to scroll.
func (p *injectorPane) HandleKey(tea.KeyPressMsg, *KeyMap) bool { return false }

// View renders the pane at its size.
func (p *injectorPane) View() string { return joinLines(p.lines()) }

func (p *injectorPane) lines() []string {
	if p.dirty || len(p.cache) != p.h {
		p.cache = box(p.st, p.title(), p.body(), p.w, p.h, p.focused)
		p.dirty = false
	}
	return p.cache
}

// title names the pane, the replayed file, and the zone of its times
// (event times: UTC, as windows are labelled).
func (p *injectorPane) title() string {
	if p.replay != "" {
		return "Injector · replay " + p.replay + " · times UTC"
	}
	return "Injector · times UTC"
}

// toggleItems renders the injector's knobs from the settings in force.
func toggleItems(st *styles, s bus.Settings) []string {
	t := func(tg bus.Toggle, name string) string {
		if tg.On {
			return st.good.Render(tg.Label(name))
		}
		return st.faint.Render(tg.Label(name))
	}
	return []string{t(s.Dup, "dup"), t(s.Late, "late"), t(s.OOO, "ooo")}
}

// observedItems renders what a watcher sees of the injector's faults: the
// share of each among the events read so far, not the knobs (it cannot
// know whether one is on).
func observedItems(st *styles, s bus.Settings) []string {
	pct := func(tg bus.Toggle, name string) string {
		return name + " " + strconv.FormatFloat(math.Round(tg.P*1000)/10, 'f', -1, 64) + "%"
	}
	return []string{st.label.Render("observed ") + st.value.Render(pct(s.Dup, "dup")),
		st.value.Render(pct(s.Late, "late")), st.value.Render(pct(s.OOO, "ooo"))}
}

// knobLines are the injector's knobs (or, watching, what was observed of
// them): the fault lines, and the items of the rate line.
func (p *injectorPane) knobLines(cw int) (lines, knobs []string) {
	st, s := p.st, p.status
	if s != nil && s.Replay != "" {
		// A replay keeps its recorded events: the generator's knobs do not apply.
		return nil, []string{st.value.Render("recorded events"), kv(st, "devices", strconv.Itoa(s.Devices))}
	}
	rate := strconv.FormatFloat(p.settings.Rate, 'f', -1, 64) + "/s/device"
	lines = st.cells.pack(toggleItems(st, p.settings), st.sepText, cw)
	knobs = []string{st.value.Render("rate " + rate)}
	if p.observed {
		if s == nil { // nothing observed yet: no shares of nothing
			return nil, nil
		}
		lines, knobs = st.cells.pack(observedItems(st, p.settings), st.sepText, cw), []string{kv(st, "observed rate", rate)}
	}
	if s != nil {
		knobs = append(knobs, kv(st, "devices", strconv.Itoa(s.Devices)))
	}
	return lines, knobs
}

func (p *injectorPane) body() []string {
	st := p.st
	cw, ch := contentSize(p.w, p.h)
	sep := st.sepText
	s := p.status
	lines, knobs := p.knobLines(cw)
	if p.settings.Paused {
		knobs = append(knobs, st.warn.Render("paused"))
	}
	lines = append(lines, st.cells.pack(knobs, sep, cw)...)
	if s == nil {
		return append(lines, st.faint.Render("waiting for injector…"))
	}
	short := cw < 60
	lbl := func(long, narrow string) string {
		if short {
			return narrow
		}
		return long
	}
	warnKV := func(label string, n int64, style func(...string) string) string {
		if n > 0 {
			return st.label.Render(label) + " " + style(itoa(n))
		}
		return kv(st, label, itoa(n))
	}
	lines = append(lines, st.cells.pack([]string{
		kv(st, "events/s", ftoa(s.Rate, 1)),
		kv(st, "sent", itoa(s.Sent)),
		kv(st, lbl("originals", "orig"), itoa(s.Originals)),
		kv(st, lbl("duplicates", "dup"), itoa(s.Duplicates)),
		kv(st, "late", itoa(s.Late)),
		kv(st, "ooo", itoa(s.OutOfOrder)),
		warnKV("failed", s.Failed, st.bad.Render),
		warnKV("malformed", s.Malformed, st.warn.Render),
	}, sep, cw)...)
	clock := "—"
	if s.Sent > 0 {
		clock = fmtTime(s.Clock, false, p.year)
	}
	truth := []string{kv(st, "clock", clock)}
	if short {
		truth = append(truth,
			kv(st, "truth", strconv.Itoa(s.TruthKeys)+" dev/"+strconv.Itoa(s.SendTruthKeys)+" send"),
			kv(st, "differ", strconv.Itoa(s.TruthDiffer)))
	} else {
		truth = append(truth,
			kv(st, "truth keys", strconv.Itoa(s.TruthKeys)+" device time / "+strconv.Itoa(s.SendTruthKeys)+" send time"),
			kv(st, "differing", strconv.Itoa(s.TruthDiffer)))
	}
	if s.Done {
		truth = append(truth, st.warn.Render("input done"))
	}
	if s.Unverified > 0 { // a watcher without the run's key
		truth = append(truth, st.warn.Render(itoa(s.Unverified)+" markers unverified (ignored)"))
	}
	lines = append(lines, st.cells.pack(truth, sep, cw)...)
	if room := ch - len(lines); room >= 3 {
		if g := chart(s.RateSeries, cw, room-1); g != nil {
			lines = append(lines, st.label.Render("events/s"))
			for _, l := range g {
				lines = append(lines, st.chart.Render(l))
			}
		}
	}
	return lines
}
