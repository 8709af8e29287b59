package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/judge"
	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/compare"
	"golang.org/x/sync/errgroup"
)

// runCompare is `streamtop compare`: every --downstream judged against the
// truth in Cassandra, each with its own score.
func runCompare(cfg config, stdout, stderr io.Writer) int {
	h := newHeadless(cfg, stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.printLogs(ctx)
	store, err := openCassandra(ctx, cfg, h.logf)
	if err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	defer store.Close()

	deadline := time.Now().Add(cfg.timeout)
	needParts := false // a topic or table downstream: results carry runs
	for _, d := range cfg.downstreams {
		k, _, _ := parseDownstream(d)
		needParts = needParts || k != "boontadata"
	}
	runID, err := cassandra.ResolveRun(ctx, store, cfg.runID, needParts, deadline)
	if err != nil {
		h.logf(err.Error())
		return exitFailure
	}
	if runID == "" {
		h.logf("no run in Cassandra keyspace " + cfg.keyspace + ": judging the original injector's truth in agg_events")
	} else {
		h.logf("judging run " + runID)
	}

	var eventParts int32
	if needParts {
		cl, err := cfg.kafka.NewClient()
		if err != nil {
			h.logf(err.Error())
			return exitFailure
		}
		pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
		eventParts, err = kafka.PartitionCount(pctx, cl, cfg.topics.Events)
		pcancel()
		cl.Close()
		if err != nil {
			h.logf(err.Error())
			return exitFailure
		}
	}
	logTo := func(l bus.Level, s string) {
		h.bus.Publish(bus.LogEntry{Time: time.Now(), Level: l, Role: "compare", Text: s})
	}
	var judges []*judge.Judge
	for _, d := range cfg.downstreams {
		kind, name, _ := parseDownstream(d)
		truth := cassandra.TruthFor(store, runID, logTo)
		var down judge.DownSource
		var label string
		tag := runID
		switch kind {
		case "topic":
			down, label = judge.NewKafkaDown(cfg.kafka, cfg.topics.Events, name, false), "topic "+name
		case "table":
			down, label = &cassandra.TableDown{Store: store, Engine: name, RunID: runID, EventParts: eventParts}, "table "+cfg.keyspace+".aggregates engine "+name
		case "boontadata":
			truth, tag = &cassandra.BoontadataTruth{Store: store, RunID: runID, Log: logTo}, "" // the original's table has no runs
			down, label = &cassandra.BoontadataDown{Store: store, Suffix: name}, "boontadata.agg_events m1_sum_"+name
		}
		j, err := judge.New(judge.Config{Downstream: label, Options: compare.Options{M2Tolerance: cfg.m2Tol},
			IdleFinal: cfg.idleFinal, Tag: tag}, h.bus, nil, truth, down)
		if err != nil {
			h.logf(err.Error())
			return exitUsage
		}
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		err = j.Start(sctx)
		scancel()
		if err != nil {
			h.logf(fmt.Sprintf("%s: %v", label, err))
			return exitFailure
		}
		judges = append(judges, j)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stopped := make(chan struct{})
	h.stopOn(ctx, func() { close(stopped) }, cancel)
	var g errgroup.Group
	for _, j := range judges {
		role(&g, runCtx, h.bus, &h.failed, "compare", j.Run)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- g.Wait() }()

	timeout := time.After(time.Until(deadline))
	if cfg.follow {
		timeout = nil
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	lastLine := ""
	interrupted, timedOut := false, false
wait:
	for {
		allFinal := true
		for _, j := range judges {
			allFinal = allFinal && j.Final() != nil
		}
		if allFinal {
			break
		}
		select {
		case <-stopped:
			interrupted = true
			break wait
		case <-timeout:
			timedOut = true
			break wait
		case err := <-waitErr:
			if err != nil {
				h.logf(err.Error())
				return exitFailure
			}
			break wait
		case <-tick.C:
			if cfg.follow {
				var lines []string
				for _, j := range judges {
					if l := followLine(j.Last()); l != "" {
						lines = append(lines, l)
					}
				}
				if line := strings.Join(lines, "\n"); line != "" && line != lastLine {
					fmt.Fprintln(stdout, line)
					lastLine = line
				}
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The verdicts: final ones, or the last status of each (not final).
	var verdicts []*bus.CompareStatus
	for _, j := range judges {
		if f := j.Final(); f != nil {
			verdicts = append(verdicts, f)
		} else {
			verdicts = append(verdicts, lastStatus(j))
		}
	}
	stop()
	<-waitErr
	if err := writeReport(stdout, cfg.report, report{cfg: cfg, verdicts: verdicts}); err != nil {
		h.logf("report: " + err.Error())
		return exitFailure
	}
	if cfg.report == "csv" {
		for _, v := range verdicts {
			h.logf(v.Downstream + ": " + v.Report.Settled.String())
		}
	}
	exc := false
	for _, v := range verdicts {
		exc = exc || v.Report.Settled.Exceptions > 0
	}
	switch {
	case timedOut:
		h.logf(fmt.Sprintf("no final verdict within --timeout %v", cfg.timeout))
		return exitFailure
	case interrupted && !cfg.follow:
		return exitFailure
	case cfg.failOnExc && exc:
		return exitExceptions
	}
	return exitOK
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
