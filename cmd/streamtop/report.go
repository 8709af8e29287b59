package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"
	"github.com/streamtop/streamtop/feed/bus"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/engine"
)

// report is what a finished run prints. Under the virtual clock every field
// is reproducible: no wall-clock times, durations of the run, ports or
// addresses.
type report struct {
	run      reportRun
	judging  bool // streamtop compare: the run judged is named
	injector *bus.InjectorStatus
	engine   *bus.EngineStatus
	verdicts []*bus.CompareStatus // one per downstream; the first is the main one
}

// reportRun is the settings a report shows.
type reportRun struct {
	inj        injectorFlags
	eng        engineFlags
	window     time.Duration
	partitions int
	clock      bus.Clock
}

func reportOf(a *app, final *bus.CompareStatus, eng *bus.EngineStatus, peerWait time.Duration) report {
	c := a.cfg
	run := reportRun{inj: c.inj, eng: c.eng, window: c.clock.window, partitions: c.topics.partitions, clock: c.clock.of(c.inj.replay)}
	verdicts := append([]*bus.CompareStatus{final}, a.peerVerdicts(peerWait)...) // every engine's (SPEC §9)
	return report{run: run, injector: a.latest.Peek().Injector, engine: eng, verdicts: verdicts}
}

// compareReport is streamtop compare's: the settings shown are the
// defaults (the run's own are the injector's and engines').
func compareReport(cfg *compareConfig, verdicts []*bus.CompareStatus) report {
	run := reportRun{inj: defaultAppConfig().inj, eng: defaultEngineFlags(), window: cfg.clock.window,
		partitions: cfg.topics.partitions, clock: bus.RealClock}
	return report{run: run, judging: true, verdicts: verdicts}
}

func writeReport(w io.Writer, format string, r report) error {
	switch format {
	case "json":
		return writeJSON(w, r)
	case "csv":
		return writeCSV(w, r)
	}
	return writeText(w, r)
}

func writeText(w io.Writer, r report) error { return writeTextIn(w, r, terminalWidth(w)) }

// writeTextIn is the text report for a terminal width columns wide (0:
// any width): the exception tables leave out columns rather than wrap.
func writeTextIn(w io.Writer, r report, width int) error {
	var b strings.Builder
	b.WriteString("streamtop report\n")
	if in := r.injector; in != nil {
		src := fmt.Sprintf("seed %d · %d device(s)", r.run.inj.seed, r.run.inj.devices)
		if r.run.inj.replay != "" {
			src = "replay " + compare.Printable(r.run.inj.replay)
		}
		fmt.Fprintf(&b, "  input     %s · %d originals · %d sent (%d duplicates, %d late, %d out of order) · clock %s\n",
			src, in.Originals, in.Sent, in.Duplicates, in.Late, in.OutOfOrder, r.run.clock)
		if in.Malformed > 0 {
			fmt.Fprintf(&b, "            %d malformed lines skipped\n", in.Malformed)
		}
		fmt.Fprintf(&b, "  truth     by device time %d keys · by send time %d keys · %d keys differ\n",
			in.TruthKeys, in.SendTruthKeys, in.TruthDiffer)
	}
	if e := r.engine; e != nil {
		c := e.Config
		dedup := "off"
		if c.Dedup {
			dedup = "on"
		}
		fmt.Fprintf(&b, "  engine    %s time · dedup %s · W %v · lateness %v · idle %v · window %v\n",
			c.Mode, dedup, c.Watermark, c.Lateness, c.Idle, c.Window)
		fmt.Fprintf(&b, "            %d accepted · %d duplicates dropped · %d late dropped · %d malformed · %d results\n",
			e.Stats.Accepted, e.Stats.Duplicates, e.Stats.Late, e.Malformed, e.Stats.Emitted)
	}
	for i, v := range r.verdicts {
		if i > 0 {
			b.WriteString("\n")
		}
		if v.Tag != "" && r.judging {
			fmt.Fprintf(&b, "  run       %s\n", compare.Printable(v.Tag))
		}
		fmt.Fprintf(&b, "  send time %s (the same results against the send-time truth)\n", v.SendTime)
		if !v.Final {
			fmt.Fprintf(&b, "  NOT FINAL: %d keys still pending; the score covers the settled keys only\n", v.Report.Pending)
			if br := v.Report.BeforeRun; br.Keys > 0 { // as the screen splits it (compare/early.go)
				fmt.Fprintf(&b, "            the run's own windows: %s · before the run (late events only): %d of %d differ\n",
					v.Report.RunWindows(), br.Exceptions, br.Keys)
			}
		}
		if v.Err != "" {
			fmt.Fprintf(&b, "  NO VERDICT: %s\n", compare.Printable(v.Err))
		}
		fmt.Fprintf(&b, "\nExceptions: device-time truth vs %s (Δ = truth − downstream)\n", compare.Printable(v.Downstream))
		rows, open := listedRows(v)
		if len(rows) == 0 && v.Report.Unlisted == 0 {
			b.WriteString("(none)\n")
		} else {
			writeRows(&b, rows, width)
		}
		if open > 0 {
			fmt.Fprintf(&b, "(and %d in windows still open on both sides, not listed: they differ only because neither side has finished them)\n", open)
		}
		if n := v.Report.Unlisted; n > 0 {
			fmt.Fprintf(&b, "(and %d older exceptions, counted in the score, no longer listed: a long run keeps the latest %d)\n", n, compare.MaxListed)
		}
		if len(v.Report.PendingRows) > 0 {
			b.WriteString("\nPending: the downstream reported these incomplete\n")
			writeRows(&b, v.Report.PendingRows, width)
		}
		if v.Final {
			fmt.Fprintf(&b, "\n%s\n", v.Report.Settled)
		} else {
			fmt.Fprintf(&b, "\nnot final: %s among the keys settled so far, %d keys pending\n", v.Report.Settled, v.Report.Pending)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// listedRows are the exception rows a text report lists: in a verdict not
// final, those in windows still open on both sides (the engine has not
// emitted them, the truth may still change) are only counted, as on the
// screen.
func listedRows(v *bus.CompareStatus) (rows []compare.Row, open int) {
	if v.Final {
		return v.Report.Exceptions, 0
	}
	for _, r := range v.Report.Exceptions {
		if !r.Settled && !r.TruthFinal && !r.DownFinal {
			open++
			continue
		}
		rows = append(rows, r)
	}
	return rows, open
}

// optionalCols are the text table's columns left out, in this order, when
// the terminal is too narrow for them all: counts, then m2.
var optionalCols = []int{10, 9, 8, 7, 6}

// fitColumns picks the columns (indices) that fit in limit cells (0: all)
// and names those left out.
func fitColumns(width []int, limit int) (keep []int, dropped []string) {
	out := map[int]bool{}
	total := func() int {
		n := 0
		for i, w := range width {
			if !out[i] {
				n += w + 2
			}
		}
		return n - 2
	}
	for _, i := range optionalCols {
		if limit <= 0 || total() <= limit {
			break
		}
		out[i] = true
		dropped = append(dropped, rowHeader[i])
	}
	for i := range width {
		if !out[i] {
			keep = append(keep, i)
		}
	}
	return keep, dropped
}

// sumWidths is the width of the columns keep, with their separators.
func sumWidths(width []int, keep []int) int {
	n := 0
	for _, i := range keep {
		n += width[i] + 2
	}
	return n - 2
}

// writeRowsStacked writes each exception on two lines for a terminal too
// narrow for the table (about 110 columns): the window, category, m1
// sums and cause, then the device id alone, indented.
func writeRowsStacked(b *strings.Builder, rows []compare.Row, limit int) {
	fmt.Fprintf(b, "(two lines an exception, to fit %d columns; --report csv has every column)\n", limit)
	for _, r := range rows {
		c := rowCells(r)
		fmt.Fprintf(b, "%s  %s  m1 truth %s  down %s  Δm1 %s  %s\n    %s\n", c[0], c[2], c[3], c[4], c[5], c[causeCol], c[1])
	}
}

// pick is row's cells at the indices keep.
func pick(row []string, keep []int) []string {
	out := make([]string, len(keep))
	for k, i := range keep {
		out[k] = row[i]
	}
	return out
}

// terminalWidth is w's width when it is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	cols, _, err := term.GetSize(f.Fd())
	if err != nil {
		return 0
	}
	return cols
}

// rowHeader titles the text report's columns; Δ is truth − downstream
// (the section's heading says so).
var rowHeader = []string{"window_end", "device", "category", "m1 truth", "m1 down", "Δm1", "m2 truth", "m2 down", "Δm2", "n truth", "n down", "cause"}

// causeCol is the cause's column: text, left-aligned.
const causeCol = 11

func rowCells(r compare.Row) []string {
	opt := func(has bool, s string) string {
		if !has {
			return "—"
		}
		return s
	}
	both := r.HasTruth && r.HasDown
	return []string{
		engine.FormatWindow(r.WindowEnd), compare.Printable(r.Device), compare.Printable(r.Category),
		opt(r.HasTruth, strconv.FormatInt(r.Truth.M1, 10)), opt(r.HasDown, strconv.FormatInt(r.Down.M1, 10)),
		opt(both, strconv.FormatInt(r.DeltaM1(), 10)),
		opt(r.HasTruth, strconv.FormatFloat(r.Truth.M2, 'f', 3, 64)), opt(r.HasDown, strconv.FormatFloat(r.Down.M2, 'f', 3, 64)),
		opt(both, strconv.FormatFloat(r.DeltaM2(), 'f', 3, 64)),
		opt(r.HasTruth, strconv.FormatInt(r.Truth.Count, 10)), opt(r.HasDown, strconv.FormatInt(r.Down.Count, 10)),
		opt(r.Cause != "", r.Cause),
	}
}

func writeRows(b *strings.Builder, rows []compare.Row, limit int) {
	cells := [][]string{rowHeader}
	for _, r := range rows {
		cells = append(cells, rowCells(r))
	}
	width := make([]int, len(rowHeader))
	for _, row := range cells {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	keep, dropped := fitColumns(width, limit)
	if fits := sumWidths(width, keep); limit > 0 && fits > limit {
		writeRowsStacked(b, rows, limit)
		return
	}
	if len(dropped) > 0 {
		fmt.Fprintf(b, "(%s left out to fit %d columns: --report csv or json has every column)\n", strings.Join(dropped, ", "), limit)
	}
	for _, row := range cells {
		row = pick(row, keep)
		for k, c := range row {
			i := keep[k]
			pad := width[i] - len([]rune(c))
			switch {
			case i >= 3 && i != causeCol: // numbers right-aligned
				b.WriteString(strings.Repeat(" ", pad) + c)
			case k == len(row)-1:
				b.WriteString(c) // no trailing blanks
			default:
				b.WriteString(c + strings.Repeat(" ", pad))
			}
			if k < len(row)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
}

type jsonRow struct {
	WindowEnd      string   `json:"window_end"`
	WindowEndMs    int64    `json:"window_end_ms"`
	Device         string   `json:"device"`
	Category       string   `json:"category"`
	M1Truth        *int64   `json:"m1_truth"`
	M1Downstream   *int64   `json:"m1_downstream"`
	DeltaM1        *int64   `json:"delta_m1"` // truth − downstream; null when a side has no value
	M2Truth        *float64 `json:"m2_truth"`
	M2Downstream   *float64 `json:"m2_downstream"`
	CountTruth     *int64   `json:"count_truth"`
	CountDownstrem *int64   `json:"count_downstream"`
	Settled        bool     `json:"settled"`
	Cause          string   `json:"cause,omitempty"` // every exception's (SPEC §4); pending rows have none
}

func jsonRows(rows []compare.Row) []jsonRow {
	out := make([]jsonRow, 0, len(rows))
	for _, r := range rows {
		j := jsonRow{WindowEnd: engine.FormatWindow(r.WindowEnd), WindowEndMs: r.WindowEnd,
			Device: r.Device, Category: r.Category, Settled: r.Settled, Cause: r.Cause}
		if r.HasTruth {
			j.M1Truth, j.M2Truth, j.CountTruth = &r.Truth.M1, &r.Truth.M2, &r.Truth.Count
		}
		if r.HasDown {
			j.M1Downstream, j.M2Downstream, j.CountDownstrem = &r.Down.M1, &r.Down.M2, &r.Down.Count
		}
		if r.HasTruth && r.HasDown {
			d := r.DeltaM1()
			j.DeltaM1 = &d
		}
		out = append(out, j)
	}
	return out
}

type jsonScore struct {
	Exceptions int `json:"exceptions"`
	Keys       int `json:"keys"`
}

func scoreOf(s compare.Score) jsonScore { return jsonScore{s.Exceptions, s.Keys} }

func writeJSON(w io.Writer, r report) error {
	v0 := r.verdicts[0]
	out := struct {
		Downstream    string     `json:"downstream"`
		Run           string     `json:"run,omitempty"`
		Final         bool       `json:"final"`
		Downstreams   []jsonDown `json:"downstreams,omitempty"`
		Score         jsonScore  `json:"score"`
		SendTimeScore jsonScore  `json:"send_time_score"`
		Pending       int        `json:"pending"`
		Exceptions    []jsonRow  `json:"exceptions"`
		Unlisted      int        `json:"unlisted_exceptions,omitempty"`
		PendingRows   []jsonRow  `json:"pending_rows"`
		Summary       string     `json:"summary"`
		Error         string     `json:"error,omitempty"`
		Injector      any        `json:"injector,omitempty"`
		Engine        any        `json:"engine,omitempty"`
		Config        jsonConfig `json:"config"`
	}{
		Downstream: v0.Downstream, Final: v0.Final, Score: scoreOf(v0.Report.Settled),
		SendTimeScore: scoreOf(v0.SendTime), Pending: v0.Report.Pending,
		Exceptions: jsonRows(v0.Report.Exceptions), Unlisted: v0.Report.Unlisted, PendingRows: jsonRows(v0.Report.PendingRows),
		Summary: v0.Report.Settled.String(), Error: v0.Err, Config: configOf(r.run),
	}
	if r.judging {
		out.Run = v0.Tag // a one-process run's tag is random: kept out for byte-identical reports
	}
	if len(r.verdicts) > 1 {
		for _, v := range r.verdicts {
			out.Downstreams = append(out.Downstreams, jsonDown{Downstream: v.Downstream, Final: v.Final,
				Score: scoreOf(v.Report.Settled), Pending: v.Report.Pending, Exceptions: jsonRows(v.Report.Exceptions),
				Summary: v.Report.Settled.String()})
		}
	}
	if in := r.injector; in != nil {
		out.Injector = map[string]int64{"sent": in.Sent, "originals": in.Originals, "duplicates": in.Duplicates,
			"late": in.Late, "out_of_order": in.OutOfOrder, "malformed": in.Malformed,
			"truth_keys": int64(in.TruthKeys), "send_truth_keys": int64(in.SendTruthKeys), "truth_differ": int64(in.TruthDiffer)}
	}
	if e := r.engine; e != nil {
		out.Engine = map[string]int64{"accepted": e.Stats.Accepted, "duplicates": e.Stats.Duplicates,
			"late": e.Stats.Late, "emitted": e.Stats.Emitted, "malformed": e.Malformed, "consumed": e.Consumed}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(escapeTerminalRunes(b), '\n'))
	return err
}

// escapeTerminalRunes rewrites the C1 controls and bidirectional overrides
// that encoding/json leaves raw as \u escapes: the JSON means the same, and
// printed on a terminal it cannot steer it. They only occur inside strings.
func escapeTerminalRunes(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		risky := (r >= 0x80 && r <= 0x9f) || r == 0x061c || r == 0x200e || r == 0x200f ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
		if risky {
			if out == nil {
				out = append(make([]byte, 0, len(b)+16), b[:i]...)
			}
			out = fmt.Appendf(out, "\\u%04x", r)
		} else if out != nil {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	if out == nil {
		return b
	}
	return out
}

type jsonDown struct {
	Downstream string    `json:"downstream"`
	Final      bool      `json:"final"`
	Score      jsonScore `json:"score"`
	Pending    int       `json:"pending"`
	Exceptions []jsonRow `json:"exceptions"`
	Summary    string    `json:"summary"`
}

type jsonConfig struct {
	Seed     int64   `json:"seed"`
	Devices  int     `json:"devices"`
	Events   int     `json:"events"`
	Rate     float64 `json:"rate"`
	Dup      float64 `json:"dup"`
	Late     float64 `json:"late"`
	OOO      float64 `json:"ooo"`
	Engine   string  `json:"engine"`
	Dedup    bool    `json:"dedup"`
	W        string  `json:"watermark"`
	Lateness string  `json:"lateness"`
	Window   string  `json:"window"`
	Parts    int     `json:"partitions"`
	Clock    string  `json:"clock"`
	Replay   string  `json:"replay,omitempty"`
}

func configOf(r reportRun) jsonConfig {
	i, e := r.inj, r.eng
	return jsonConfig{Seed: i.seed, Devices: i.devices, Events: i.events, Rate: i.rate, Dup: i.dup, Late: i.late,
		OOO: i.ooo, Engine: e.mode.String(), Dedup: e.dedup, W: e.watermark.String(), Lateness: e.lateness.String(),
		Window: r.window.String(), Parts: r.partitions, Clock: r.clock.String(), Replay: i.replay}
}

func writeCSV(w io.Writer, r report) error {
	cw := csv.NewWriter(w)
	header := []string{"status", "window_end", "device", "category", "m1_truth", "m1_downstream", "delta_m1_truth_minus_downstream",
		"m2_truth", "m2_downstream", "delta_m2_truth_minus_downstream", "count_truth", "count_downstream", "cause", "downstream"}
	if err := cw.Write(header); err != nil {
		return err
	}
	emit := func(status, down string, rows []compare.Row) error {
		for _, row := range rows {
			cells := rowCells(row)
			for i, c := range cells {
				if c == "—" {
					cells[i] = ""
				}
			}
			if err := cw.Write(append(append([]string{status}, cells...), compare.Printable(down))); err != nil {
				return err
			}
		}
		return nil
	}
	for _, v := range r.verdicts {
		if err := emit("exception", v.Downstream, v.Report.Exceptions); err != nil {
			return err
		}
		if err := emit("pending", v.Downstream, v.Report.PendingRows); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
