package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/judge"
	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/compare"
	"github.com/streamtop/streamtop/feed/cass"
	"golang.org/x/sync/errgroup"
)

// runCompare is `streamtop compare`: every --downstream judged against the
// truth in Cassandra, each with its own score.
func runCompare(ctx context.Context, cfg *compareConfig, s streams) error {
	if suffixes, err := rateDownstreams(cfg); err != nil || len(suffixes) > 0 {
		if err != nil {
			return usageErr(err)
		}
		return runRateChecks(ctx, cfg, suffixes, s)
	}
	h := newHeadless("compare", cfg.duration, s.err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.printLogs(ctx)
	store, err := openCassandra(ctx, cfg.cass, h.logf)
	if err != nil {
		return err
	}
	defer store.Close()
	deadline := time.Now().Add(cfg.cmp.timeout)
	runID, err := runToJudge(ctx, store, cfg, deadline)
	if err != nil {
		return err
	}
	if runID == "" {
		h.logf("no run in Cassandra keyspace " + cfg.cass.keyspace + ": judging the original injector's truth in agg_events")
	} else {
		h.logf("judging run " + runID)
	}
	judges, err := newJudges(ctx, cfg, store, runID, h)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stopped := make(chan struct{})
	h.stopOn(ctx, func() { close(stopped) }, cancel, false)
	var g errgroup.Group
	for _, j := range judges {
		role(&g, runCtx, h.bus, &h.failed, "compare", j.Run)
	}
	var rolesErr error
	rolesDone := make(chan struct{})
	go func() { rolesErr = g.Wait(); close(rolesDone) }()
	var timeout <-chan time.Time
	if !cfg.cmp.follow {
		timeout = time.After(time.Until(deadline))
	}
	end := awaitFinal(judges, stopped, timeout, rolesDone, cfg.cmp.follow, s.out)
	if end == rolesEnded && rolesErr != nil {
		return rolesErr
	}
	verdicts := verdictsOf(judges)
	stop()
	<-rolesDone
	return reportVerdicts(cfg, verdicts, end, h.logf, s.out)
}

// runToJudge is --run, the latest run in Cassandra once there is one, or
// none ("") when every downstream is the original's table and no run of
// ours exists: then the original injector's truth in agg_events is judged.
func runToJudge(ctx context.Context, store *cass.Store, cfg *compareConfig, deadline time.Time) (string, error) {
	needRun := false // a topic or table downstream: results carry runs
	for _, d := range cfg.cmp.downstreams {
		k, _, _ := parseDownstream(d)
		needRun = needRun || k != "boontadata"
	}
	return cassandra.ResolveRun(ctx, store, cfg.cmp.runID, needRun, deadline)
}

// newJudges starts a judge per --downstream.
func newJudges(ctx context.Context, cfg *compareConfig, store *cass.Store, runID string, h *headless) ([]*judge.Judge, error) {
	eventParts, err := eventPartitions(ctx, cfg)
	if err != nil {
		return nil, err
	}
	logTo := func(l bus.Level, s string) {
		h.bus.Publish(bus.LogEntry{Time: time.Now(), Level: l, Role: "compare", Text: s})
	}
	var judges []*judge.Judge
	for _, d := range cfg.cmp.downstreams {
		kind, name, _ := parseDownstream(d)
		truth := cassandra.TruthFor(store, runID, logTo)
		var down judge.DownSource
		var label string
		tag := runID
		// Causes: any engine may write a topic or a table (its mode unknown,
		// every mode tried); the original's table has no count. Only a topic's
		// poll loop reads the events topic, the evidence.
		settings := compare.DefaultDownstream()
		switch kind {
		case "topic":
			down, label = judge.NewKafkaDown(judge.KafkaConfig{Events: cfg.topics.names.Events, Results: name, RunKey: cfg.kafka.RunKey,
				ReadEvents: true}, cfg.kafka.Config), "topic "+name
		case "table":
			down, label = &cassandra.TableDown{Store: store, Engine: name, RunID: runID, EventParts: eventParts}, "table "+cfg.cass.keyspace+".aggregates engine "+name
		case "boontadata":
			truth, tag = &cassandra.BoontadataTruth{Store: store, RunID: runID, Log: logTo}, "" // the original's table has no runs
			down, label = &cassandra.BoontadataDown{Store: store, Suffix: name}, "boontadata.agg_events m1_sum_"+name
			settings.Count = false
		}
		j, err := judge.New(judge.Config{Downstream: label, Options: compare.Options{M2Tolerance: cfg.cmp.m2Tol, Window: cfg.clock.window},
			IdleFinal: cfg.cmp.idleFinal, Tag: tag, Settings: &settings}, judge.Deps{Bus: h.bus, Truth: truth, Down: down})
		if err != nil {
			return nil, usageErr(err)
		}
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		err = j.Start(sctx)
		scancel()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		judges = append(judges, j)
	}
	return judges, nil
}

// eventPartitions is the events topic's partition count, which judging a
// topic or table needs (0 when only boontadata is judged).
func eventPartitions(ctx context.Context, cfg *compareConfig) (int32, error) {
	need := false
	for _, d := range cfg.cmp.downstreams {
		k, _, _ := parseDownstream(d)
		need = need || k != "boontadata"
	}
	if !need {
		return 0, nil
	}
	cl, err := cfg.kafka.NewClient()
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
	defer pcancel()
	return kafka.PartitionCount(pctx, cl, cfg.topics.names.Events)
}

// judgingEnd is how judging ended.
type judgingEnd int

const (
	allFinal judgingEnd = iota
	rolesEnded
	interrupted
	timedOut
)

// awaitFinal waits until every judge is final, a signal, the timeout or a
// failure; with follow it prints the live scores meanwhile.
func awaitFinal(judges []*judge.Judge, stopped <-chan struct{}, timeout <-chan time.Time, rolesDone <-chan struct{},
	follow bool, out io.Writer) judgingEnd {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	lastLine := ""
	for {
		final := true
		for _, j := range judges {
			final = final && j.Final() != nil
		}
		if final {
			return allFinal
		}
		select {
		case <-stopped:
			return interrupted
		case <-timeout:
			return timedOut
		case <-rolesDone:
			return rolesEnded
		case <-tick.C:
			if follow {
				lastLine = printFollow(out, judges, lastLine)
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// printFollow prints the judges' live scores when they changed.
func printFollow(out io.Writer, judges []*judge.Judge, last string) string {
	var lines []string
	for _, j := range judges {
		if l := followLine(j.Last()); l != "" {
			lines = append(lines, l)
		}
	}
	if line := strings.Join(lines, "\n"); line != "" && line != last {
		fmt.Fprintln(out, line)
		return line
	}
	return last
}

// verdictsOf are the final verdicts, or the last status of each judge not
// final.
func verdictsOf(judges []*judge.Judge) []*bus.CompareStatus {
	var verdicts []*bus.CompareStatus
	for _, j := range judges {
		if f := j.Final(); f != nil {
			verdicts = append(verdicts, f)
		} else {
			verdicts = append(verdicts, lastStatus(j))
		}
	}
	return verdicts
}

// reportVerdicts prints the report and says how the run ends.
func reportVerdicts(cfg *compareConfig, verdicts []*bus.CompareStatus, end judgingEnd, logf func(string), out io.Writer) error {
	if err := writeReport(out, cfg.report.format, compareReport(cfg, verdicts)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	exc, lost := false, false
	for _, v := range verdicts {
		exc = exc || v.Report.Settled.Exceptions > 0
		lost = lost || v.Err != ""
		if cfg.report.format == "csv" {
			logf(v.Downstream + ": " + v.Report.Settled.String())
		}
	}
	switch {
	case lost: // no verdict: the report says why
		return reported(errors.New("no verdict: a judge's input was lost"))
	case end == timedOut:
		return fmt.Errorf("no final verdict within --timeout %v", cfg.cmp.timeout)
	case end == interrupted && !cfg.cmp.follow:
		return reported(errors.New("interrupted before the final verdict"))
	case cfg.report.failOnExc && exc:
		return errExceptions
	}
	return nil
}

// followLine is the live score line of --follow.
func followLine(st *bus.CompareStatus) string {
	if st == nil {
		return ""
	}
	r := st.Report
	return fmt.Sprintf("%s: settled %s · provisional %d/%d · pending %d",
		compare.Printable(st.Downstream), r.Settled, r.Provisional.Exceptions, r.Provisional.Keys, r.Pending)
}

// lastStatus is the newest verdict of a judge that is not final, or an
// empty one naming the downstream.
func lastStatus(j *judge.Judge) *bus.CompareStatus {
	if st := j.Last(); st != nil {
		return st
	}
	return &bus.CompareStatus{Downstream: j.Label()}
}
