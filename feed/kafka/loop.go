package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Loop is streamtop's one Kafka poll loop: every role that reads a topic
// reads it through a Loop. It owns the polling goroutine's rules — a fetch is
// handled before the next poll, a group rebalances only between two fetches,
// a topic read partition by partition picks up partitions added to it while
// it runs (SPEC §6) — so each role only says what to do with a fetch.
type Loop struct {
	Client *kgo.Client
	// Group: the client is a consumer-group member created with
	// kgo.BlockRebalanceOnPoll; rebalances are let through between fetches.
	Group bool
	// Assign lists topics read partition by partition (no group). Their
	// partitions are assigned by Run: those present at the start from
	// Start's offset, those added later from their first record.
	Assign []string
	// Start gives where a partition present at the start is read from
	// [its first record].
	Start func(topic string, partition int32) int64
	// Added, if set, is told of partitions found after the start, before
	// any of their records is handed over.
	Added func(topic string, partitions []int32)
	// Discover is how often the partition counts of Assign are read
	// [DiscoverEvery].
	Discover time.Duration
	// Wait bounds one poll: handle then runs with an empty fetch, so a role
	// that publishes statuses from its handler does so at least this often.
	// 0 waits for records.
	Wait time.Duration
}

// DiscoverEvery is how often a Loop looks for partitions added to its topics.
const DiscoverEvery = 2 * time.Second

// Run assigns the partitions of Assign, then polls until ctx ends, handing
// every fetch (records and errors) to handle on Run's goroutine. It returns
// nil when ctx ends, or the error that stopped it.
func (l Loop) Run(ctx context.Context, handle func(kgo.Fetches)) error {
	found := make(chan []assigned, 1)
	if len(l.Assign) > 0 {
		counts, err := l.assign(ctx)
		if err != nil {
			return err
		}
		go l.discover(ctx, counts, found)
	}
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if l.Wait > 0 {
			pctx, cancel = context.WithTimeout(ctx, l.Wait)
		}
		fs := l.Client.PollFetches(pctx)
		cancel()
		l.drain(found)
		if ctx.Err() != nil {
			if l.Group {
				l.Client.AllowRebalance()
			}
			return nil
		}
		if fs.IsClientClosed() {
			return kgo.ErrClientClosed
		}
		handle(dropTimeouts(fs))
		if l.Group {
			l.Client.AllowRebalance()
		}
	}
}

// assigned is a batch of partitions found after the start.
type assigned struct {
	topic string
	from  int32 // partitions from..to-1 are new
	to    int32
}

// assign starts reading every partition of Assign; it returns the counts.
func (l Loop) assign(ctx context.Context) (map[string]int32, error) {
	counts := make(map[string]int32, len(l.Assign))
	offsets := make(map[string]map[int32]kgo.Offset, len(l.Assign))
	for _, t := range l.Assign {
		n, err := PartitionCount(ctx, l.Client, t)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", t, err)
		}
		counts[t] = n
		m := make(map[int32]kgo.Offset, n)
		for p := range n {
			var at int64
			if l.Start != nil {
				at = l.Start(t, p)
			}
			m[p] = kgo.NewOffset().At(at)
		}
		offsets[t] = m
	}
	l.Client.AddConsumePartitions(offsets)
	return counts, nil
}

// discover reads the partition counts every Discover and reports growth.
func (l Loop) discover(ctx context.Context, counts map[string]int32, out chan<- []assigned) {
	every := l.Discover
	if every <= 0 {
		every = DiscoverEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var adds []assigned
		for _, topic := range l.Assign {
			lctx, cancel := context.WithTimeout(ctx, every)
			n, err := PartitionCount(lctx, l.Client, topic)
			cancel()
			if err == nil && n > counts[topic] {
				adds = append(adds, assigned{topic, counts[topic], n})
				counts[topic] = n
			}
		}
		if len(adds) == 0 {
			continue
		}
		// Assign at once (PollFetches may be waiting for records that
		// only the new partitions will bring); tell the role through
		// found, before Run's next poll hands their records over.
		select {
		case out <- adds:
		case <-ctx.Done():
			return
		}
		l.Client.AddConsumePartitions(offsetsAtStart(adds))
	}
}

// drain tells the role of every batch of new partitions found so far. It
// runs after a poll, before the fetch is handled: discover reports a batch
// before it assigns it, so no record of a partition reaches the role before
// the partition does.
func (l Loop) drain(found <-chan []assigned) {
	for {
		select {
		case adds := <-found:
			l.add(adds)
		default:
			return
		}
	}
}

// add tells the role of new partitions.
func (l Loop) add(adds []assigned) {
	if l.Added == nil {
		return
	}
	for _, a := range adds {
		ps := make([]int32, 0, a.to-a.from)
		for p := a.from; p < a.to; p++ {
			ps = append(ps, p)
		}
		l.Added(a.topic, ps)
	}
}

func offsetsAtStart(adds []assigned) map[string]map[int32]kgo.Offset {
	out := map[string]map[int32]kgo.Offset{}
	for _, a := range adds {
		m := out[a.topic]
		if m == nil {
			m = map[int32]kgo.Offset{}
			out[a.topic] = m
		}
		for p := a.from; p < a.to; p++ {
			m[p] = kgo.NewOffset().AtStart()
		}
	}
	return out
}

// dropTimeouts removes the error a poll bounded by Wait ends with.
func dropTimeouts(fs kgo.Fetches) kgo.Fetches {
	if len(fs) == 1 && len(fs[0].Topics) == 0 && errors.Is(fs.Err0(), context.DeadlineExceeded) {
		return nil
	}
	return fs
}
