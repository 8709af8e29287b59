package tui

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// exportTable is the exception table in view (the followed engine's rows
// that pass the filter, in the order shown), every column in full.
func (p *comparatorPane) exportTable() (header []string, rows [][]string) {
	header = []string{"window_end", "device", "category", "m1_truth", "m1_down", "delta_m1",
		"m2_truth", "m2_down", "delta_m2", "n_truth", "n_down", "cause", "events", "settled"}
	for _, name := range p.others {
		header = append(header, "m1_"+name)
	}
	for _, i := range p.shown {
		r := &p.cur.rows[i]
		row := []string{r.endLong, r.device, r.category, r.truth, r.down, r.delta,
			r.m2truth, r.m2down, r.dm2, r.ntruth, r.ndown, r.cause, namedText(r), strconv.FormatBool(r.settled)}
		for k := range p.others {
			v := ""
			if k < len(r.others) {
				v = r.others[k]
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return header, rows
}

// exportedMsg says where an export went, or why it failed.
type exportedMsg struct {
	rows      int
	csv, json string
	err       error
}

// exportCmd writes the table to NAME.csv and NAME.json in dir, NAME
// saying what and when (at, UTC), off the update loop.
func exportCmd(dir, engineName string, at time.Time, header []string, rows [][]string) tea.Cmd {
	base := "streamtop-exceptions-" + fileSafe(engineName) + "-" + at.UTC().Format("20060102-150405")
	return func() tea.Msg {
		msg := exportedMsg{rows: len(rows), csv: filepath.Join(dir, base+".csv"), json: filepath.Join(dir, base+".json")}
		msg.err = writeExport(msg.csv, msg.json, header, rows)
		return msg
	}
}

// writeExport writes the rows as CSV (a header line first) and as JSON
// (an array of objects keyed by the header), creating new files only.
func writeExport(csvPath, jsonPath string, header []string, rows [][]string) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	_ = w.WriteAll(rows) // a strings.Builder does not fail
	objs := make([]map[string]string, len(rows))
	for i, r := range rows {
		objs[i] = make(map[string]string, len(header))
		for j, h := range header {
			objs[i][h] = r[j]
		}
	}
	js, err := json.MarshalIndent(objs, "", "  ")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{csvPath, []byte(b.String())}, {jsonPath, append(js, '\n')}} {
		if err := writeNew(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// writeNew writes data to a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// fileSafe keeps letters, digits, '-' and '_' of s, for a file name.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "engine"
	}
	return b.String()
}
