package rates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/streamtop/streamtop/feed/bus"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TickSource returns the next raw tick (SPEC §5's forms); io.EOF ends it.
type TickSource func(ctx context.Context) ([]byte, error)

// SimTicks draws ticks from a simulator, as {"rate":x,"ts":ms}.
func SimTicks(sim *RateSim) TickSource {
	return func(context.Context) ([]byte, error) {
		v := []byte(`{"rate":`)
		v = strconv.AppendFloat(v, sim.Next(), 'f', -1, 64)
		v = append(v, `,"ts":`...)
		v = strconv.AppendInt(v, time.Now().UnixMilli(), 10)
		return append(v, '}'), nil
	}
}

// FileTicks replays a file of ticks, one per line (blank lines and lines
// starting with # skipped). Lines are sent as they are: a malformed one is
// counted downstream, as any other input.
func FileTicks(path string) (TickSource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tick file: %w", err)
	}
	return fileTicks(b, path)
}

// MaxTickLine bounds a tick file's line: a tick is a number or a small JSON
// object, and a record over the broker's limit would be refused.
const MaxTickLine = 64 << 10

// fileTicks is FileTicks on the file's content. Blank lines and # comments
// are skipped; a line over MaxTickLine is an error for that tick only (the
// tick is skipped and logged), never for the whole file.
func fileTicks(b []byte, path string) (TickSource, error) {
	var lines [][]byte
	for l := range bytes.SplitSeq(b, []byte{'\n'}) {
		if l = bytes.TrimSpace(l); len(l) > 0 && l[0] != '#' {
			lines = append(lines, l)
		}
	}
	i := 0
	return func(context.Context) ([]byte, error) {
		if i >= len(lines) {
			return nil, io.EOF
		}
		i++
		if l := lines[i-1]; len(l) > MaxTickLine {
			return nil, fmt.Errorf("tick file %s: tick %d is %d bytes, over %d: skipped", path, i, len(l), MaxTickLine)
		}
		return lines[i-1], nil
	}, nil
}

// HTTPTicks polls url: each response body is one tick (the Alpha Vantage
// form, for example). A failed poll is an error for that tick only.
func HTTPTicks(url string, client *http.Client) TickSource {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return bytes.TrimSpace(body), nil
	}
}

// RunTicks produces one tick per interval from src to topic until src ends
// (io.EOF: it returns nil) or ctx ends. A source error is logged and the
// tick skipped.
func RunTicks(ctx context.Context, cl *kgo.Client, topic string, interval time.Duration, src TickSource, eventBus *bus.Bus) error {
	if interval <= 0 {
		return fmt.Errorf("ticks: %w: interval %v must be positive", bus.ErrConfig, interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	promise := func(_ *kgo.Record, err error) {
		if err != nil && !errors.Is(err, context.Canceled) {
			eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Error, Role: "rates", Text: "produce tick: " + err.Error()})
		}
	}
	for {
		v, err := src(ctx)
		switch {
		case errors.Is(err, io.EOF):
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return cl.Flush(fctx)
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			if err.Error() != lastErr {
				lastErr = err.Error()
				eventBus.Publish(bus.LogEntry{Time: time.Now(), Level: bus.Warn, Role: "rates", Text: "tick source: " + lastErr})
			}
		default:
			lastErr = ""
			cl.Produce(ctx, &kgo.Record{Topic: topic, Value: v, Timestamp: time.Now()}, promise)
		}
		select {
		case <-ctx.Done():
			// The last tick is delivered: a pipeline stopped after this
			// source still finds it.
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return cl.Flush(fctx)
		case <-t.C:
		}
	}
}
