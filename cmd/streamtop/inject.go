package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/cassandra"
	"github.com/streamtop/streamtop/feed/inject"

	"github.com/twmb/franz-go/pkg/kgo"
)

// runInject is `streamtop inject`.
func runInject(ctx context.Context, cfg *injectConfig, s streams) (err error) {
	rec, err := openRecord(cfg.inj)
	if err != nil {
		return err
	}
	defer func() { err = closeRecord(rec, err) }()
	h := newHeadless("inject", cfg.duration, s.err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.printLogs(ctx)
	topic := cfg.topics.names.Events
	if err := ensureTopics(ctx, cfg.kafka.Config, cfg.topics, nil, topic); err != nil {
		return err
	}
	controls, err := bus.NewControls(settingsOf(cfg.inj, defaultEngineFlags()))
	if err != nil {
		return usageErr(err)
	}
	session, err := newSession()
	if err != nil {
		return err
	}
	var truthW *cassandra.TruthWriter
	if cfg.cass.enabled() {
		store, err := openCassandra(ctx, cfg.cass, h.logf)
		if err != nil {
			return err
		}
		defer store.Close()
		truthW = cassandra.NewTruthWriter(store, h.bus, runInfoOf(cfg.inj, cfg.clock.window, cfg.cass.boontadata))
	} else {
		h.logf("no --cassandra: the truth is not stored, so no comparator can judge this run")
	}
	cl, err := cfg.kafka.NewClient(kgo.ProducerLinger(cfg.inj.linger))
	if err != nil {
		return err
	}
	defer cl.Close()
	// Clock markers under the virtual clock: engines can then read their
	// partitions merged in timestamp order, as the one-process run does.
	virtual := cfg.clock.virtual(cfg.inj.replay)
	ic := injectorConfigOf(cfg.inj, cfg.clock, cfg.duration, topic, session, virtual)
	ic.RunKey, ic.Record = cfg.kafka.RunKey, rec
	ic.PublishSent = cfg.cass.boontadata && cfg.cass.enabled() // the original's raw_events
	inj, err := inject.New(ic, inject.Deps{Client: cl, Bus: h.bus, Controls: controls})
	if err != nil {
		return usageErr(err)
	}
	latest := h.bus.Watch()
	tag := bus.RunTag(session, 0)
	h.logf("run " + tag + ": producing to " + topic + " on " + strings.Join(cfg.kafka.Brokers, ","))
	// Under the virtual clock the injector ends at --duration of its own time.
	h.stopOn(ctx, func() { inj.Stop(0) }, cancel, virtual)
	if err := injectUntilDone(ctx, cancel, inj, truthW); err != nil {
		return err
	}
	st := latest.Peek().Injector
	if st == nil {
		return errors.New("no injector status")
	}
	fmt.Fprintf(s.out, "run %s: %d events sent to %s (%d originals, %d duplicates, %d late, %d out of order); truth: %d keys by device time, %d by send time\n",
		tag, st.Sent, topic, st.Originals, st.Duplicates, st.Late, st.OutOfOrder, st.TruthKeys, st.SendTruthKeys)
	if st.Failed > 0 {
		return fmt.Errorf("%d records were not taken by the broker", st.Failed)
	}
	return nil
}

// injectUntilDone runs the injector (and the truth writer) until the end
// of its input, then writes the truth's last rows.
func injectUntilDone(ctx context.Context, cancel context.CancelFunc, inj *inject.Injector, truthW *cassandra.TruthWriter) error {
	runErr := make(chan error, 1)
	go func() { runErr <- inj.Run(ctx) }()
	var truthErr chan error
	tctx, tcancel := context.WithCancel(context.Background())
	defer tcancel()
	if truthW != nil {
		truthErr = make(chan error, 1)
		go func() { truthErr <- truthW.Run(tctx) }()
	}
	select {
	case <-inj.Finished():
	case err := <-runErr:
		if err == nil || errors.Is(err, context.Canceled) {
			err = errors.New("aborted before the end of the input")
		}
		return err
	}
	cancel() // the injector waits for a reset otherwise
	<-runErr
	if truthW != nil {
		tcancel() // its last flush writes what is pending, the run row last
		if err := <-truthErr; err != nil {
			return fmt.Errorf("truth: %w", err)
		}
	}
	return nil
}
