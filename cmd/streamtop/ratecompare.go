package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/ratecheck"
	"golang.org/x/sync/errgroup"
)

// rateDownstreams are the suffixes of the rates:SUFFIX downstreams. They
// need no truth (ours is the reference), so they are judged on their own.
func rateDownstreams(cfg *compareConfig) ([]string, error) {
	var suffixes []string
	for _, d := range cfg.cmp.downstreams {
		if kind, name, _ := parseDownstream(d); kind == "rates" {
			suffixes = append(suffixes, name)
		}
	}
	if len(suffixes) > 0 && len(suffixes) < len(cfg.cmp.downstreams) {
		return nil, errors.New("rates:SUFFIX downstreams are judged against our rate pipeline, not the truth: judge them in a compare of their own")
	}
	return suffixes, nil
}

// rateVerdict is one rate pipeline's report.
type rateVerdict struct {
	Downstream string `json:"downstream"`
	compare.RateReport
}

// runRateChecks judges each rates:SUFFIX pipeline against ours, until
// every verdict is final (silent --idle-final), --timeout or a signal.
func runRateChecks(ctx context.Context, cfg *compareConfig, suffixes []string, s streams) error {
	h := newHeadless("compare", cfg.duration, s.err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.printLogs(ctx)
	t := cfg.topics.names
	ours := [3]string{t.RateOutput, t.RateGap, t.RateAlert}
	final := cfg.cmp.idleFinal
	if final <= 0 {
		final = time.Second
	}
	var checks []*ratecheck.Check
	for _, sfx := range suffixes {
		c, err := ratecheck.New(ratecheck.Config{Ours: ours, Final: final,
			Theirs: [3]string{ours[0] + "." + sfx, ours[1] + "." + sfx, ours[2] + "." + sfx}}, ratecheck.Deps{Kafka: cfg.kafka.Config})
		if err != nil {
			return usageErr(err)
		}
		checks = append(checks, c)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stopped := make(chan struct{})
	h.stopOn(ctx, func() { close(stopped) }, cancel, false)
	var g errgroup.Group
	for _, c := range checks {
		role(&g, runCtx, h.bus, &h.failed, "compare", c.Run)
	}
	end := awaitRates(checks, stopped, time.After(cfg.cmp.timeout))
	stop()
	if err := g.Wait(); err != nil {
		return err
	}
	return reportRates(cfg, suffixes, checks, end, h.logf, s)
}

// awaitRates waits until every check is final, or a stop or the timeout.
func awaitRates(checks []*ratecheck.Check, stopped <-chan struct{}, timeout <-chan time.Time) judgingEnd {
	for _, c := range checks {
		select {
		case <-c.Done():
		case <-stopped:
			return interrupted
		case <-timeout:
			return timedOut
		}
	}
	return allFinal
}

// writeRateReport prints the rate verdicts as text, JSON or CSV.
func writeRateReport(w io.Writer, format string, verdicts []rateVerdict) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"rates": verdicts})
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"downstream", "topic", "index", "ours", "theirs"})
		for _, v := range verdicts {
			for _, d := range v.Diffs {
				cw.Write([]string{v.Downstream, d.Topic, strconv.Itoa(d.Index), d.Ours, d.Theirs})
			}
		}
		cw.Flush()
		return cw.Error()
	}
	for _, v := range verdicts {
		fmt.Fprintf(w, "%s against our rate pipeline: %s\n", v.Downstream, v.RateReport)
		fmt.Fprintf(w, "  records (rate, variation, alert): ours %v, theirs %v\n", v.Ours, v.Theirs)
		for _, d := range v.Diffs {
			fmt.Fprintf(w, "  %-9s #%-5d ours %-24s theirs %s\n", d.Topic, d.Index, orMissing(d.Ours), orMissing(d.Theirs))
		}
		if v.Differences > len(v.Diffs) {
			fmt.Fprintf(w, "  … and %d more\n", v.Differences-len(v.Diffs))
		}
	}
	return nil
}

func orMissing(s string) string {
	if s == "" {
		return "(missing)"
	}
	return s
}

// reportRates prints each rate verdict and says how the run ends.
func reportRates(cfg *compareConfig, suffixes []string, checks []*ratecheck.Check, end judgingEnd, logf func(string), s streams) error {
	var verdicts []rateVerdict
	diff := false
	for i, c := range checks {
		v := rateVerdict{Downstream: "rates:" + suffixes[i], RateReport: c.Report()}
		verdicts = append(verdicts, v)
		diff = diff || v.Differences > 0
		logf(fmt.Sprintf("%s: %s (ours %v, theirs %v records of rate, variation, alert)", v.Downstream, v.RateReport, v.Ours, v.Theirs))
	}
	if err := writeRateReport(s.out, cfg.report.format, verdicts); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	switch {
	case end == timedOut:
		return fmt.Errorf("no final verdict within --timeout %v", cfg.cmp.timeout)
	case end == interrupted && !cfg.cmp.follow:
		return reported(errors.New("interrupted before the final verdict"))
	case cfg.report.failOnExc && diff:
		return errExceptions
	}
	return nil
}
