package inject

import (
	"context"
	"fmt"
	"time"

	"github.com/streamtop/streamtop/feed/bus"
	"github.com/streamtop/streamtop/feed/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
)

// publishStart publishes where run r begins: every record produced before
// is flushed first, so the end offsets read after it are past all of them
// and before the run's first record (only this injector writes the run).
func (r *injRun) publishStart(ctx context.Context) error {
	in := r.in
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := in.deps.Client.Flush(fctx); err != nil {
		return fmt.Errorf("injector: flush before run %d: %w", r.run, err)
	}
	ends, err := kafka.EndOffsets(fctx, kadm.NewClient(in.deps.Client), in.cfg.Topic)
	if err != nil {
		return fmt.Errorf("injector: where run %d starts: %w", r.run, err)
	}
	in.deps.Bus.Publish(&bus.RunStart{Run: r.run, Tag: r.tag, Topic: in.cfg.Topic, Offsets: ends})
	return nil
}
