package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Record headers streamtop writes next to its data. Other Kafka clients can
// ignore them; streamtop's own readers use them to tell runs apart and to
// know when a bounded input has ended.
const (
	// HeaderRun tags a record with the run that produced it, so a reset
	// never judges the old run's records against the new truth.
	HeaderRun = "streamtop-run"
	// HeaderEnd marks the end of a bounded input on one partition (a
	// keyless record with an empty value, one per partition).
	HeaderEnd = "streamtop-end"
	// HeaderClock marks a lower bound on one partition: every later record
	// there has a timestamp at or after the header's value (ms). It lets a
	// reader merge partitions in timestamp order without buffering them all.
	HeaderClock = "streamtop-clock"
	// HeaderProgress marks a progress record on the aggregates topic: the
	// engine has closed every window ending at or before closed_before.
	HeaderProgress = "streamtop-progress"
)

// Default topic names (SPEC §6).
const (
	TopicEvents    = "sampletopic"
	TopicResults   = "aggregates"
	TopicRateInput = "BitCoinExchangeTopic"
	TopicRate      = "BitCoinRateTopic"
	TopicGap       = "BitCoinGapTopic"
	TopicAlert     = "BitCoinAlertTopic"
)

// Topics names every topic a run uses.
type Topics struct {
	Events, Results                           string
	RateInput, RateOutput, RateGap, RateAlert string
}

// DefaultTopics returns SPEC §6's names.
func DefaultTopics() Topics {
	return Topics{TopicEvents, TopicResults, TopicRateInput, TopicRate, TopicGap, TopicAlert}
}

// All lists the topic names, events first.
func (t Topics) All() []string {
	return []string{t.Events, t.Results, t.RateInput, t.RateOutput, t.RateGap, t.RateAlert}
}

// Config is how to reach a cluster.
type Config struct {
	Brokers  []string
	ClientID string // ["streamtop"]
	TLS      TLSFiles
	SASL     SASL
}

// TLSFiles turns TLS on when any field is set: a CA to verify the brokers
// (else the system pool), and a client certificate and key.
type TLSFiles struct {
	CA, Cert, Key string
	SkipVerify    bool // do not verify the brokers' certificates (tests only)
}

// Enabled reports whether TLS is asked for.
func (t TLSFiles) Enabled() bool { return t.CA != "" || t.Cert != "" || t.Key != "" || t.SkipVerify }

// Config loads the files into a tls.Config.
func (t TLSFiles) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.SkipVerify} //nolint:gosec // an explicit test-only option
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("tls ca: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca %s: no PEM certificate in it", t.CA)
		}
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, errors.New("tls: a client certificate needs its key, and a key its certificate")
	}
	if t.Cert != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// SASL authenticates to the brokers; Mechanism "" means none.
type SASL struct {
	Mechanism      string // plain, scram-sha-256 or scram-sha-512
	User, Password string
}

func (s SASL) mechanism() (sasl.Mechanism, error) {
	switch strings.ToLower(s.Mechanism) {
	case "":
		return nil, nil
	case "plain":
		return plain.Auth{User: s.User, Pass: s.Password}.AsMechanism(), nil
	case "scram-sha-256":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism(), nil
	case "scram-sha-512":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("sasl mechanism %q: want plain, scram-sha-256 or scram-sha-512", s.Mechanism)
}

// Validate reports a configuration that cannot work, before any connection.
func (k Config) Validate() error {
	if len(k.Brokers) == 0 {
		return errors.New("kafka: no broker address")
	}
	for _, b := range k.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return fmt.Errorf("kafka: broker %q: want host:port", b)
		}
	}
	if _, err := k.SASL.mechanism(); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	if k.SASL.Mechanism != "" && k.SASL.User == "" {
		return errors.New("kafka: sasl needs a user")
	}
	if k.TLS.Enabled() {
		if _, err := k.TLS.Config(); err != nil {
			return fmt.Errorf("kafka: %w", err)
		}
	}
	return nil
}

// Opts returns the client options every role starts from.
func (k Config) Opts() ([]kgo.Opt, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	id := k.ClientID
	if id == "" {
		id = "streamtop"
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(k.Brokers...),
		kgo.ClientID(id),
		// Ours: keyed records hash like Kafka's default partitioner (so a
		// device's events stay in order in one partition, and Java or kcat
		// producers agree); keyless markers go to the partition they name.
		kgo.RecordPartitioner(markerPartitioner{}),
		// Partitions added to a topic are seen within seconds, not the
		// default five minutes: producers spread keys over them and group
		// members get them assigned (SPEC §6).
		kgo.MetadataMaxAge(MetadataMaxAge),
	}
	if k.TLS.Enabled() {
		c, err := k.TLS.Config()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(c))
	}
	if m, _ := k.SASL.mechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// MetadataMaxAge is how old a client's view of the topics may get.
const MetadataMaxAge = 5 * time.Second

// NewClient returns a client for the cluster with extra options.
func (k Config) NewClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := k.Opts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

type markerPartitioner struct{}

func (markerPartitioner) ForTopic(t string) kgo.TopicPartitioner {
	return markerTopicPartitioner{kgo.StickyKeyPartitioner(nil).ForTopic(t)}
}

type markerTopicPartitioner struct{ keyed kgo.TopicPartitioner }

func (markerTopicPartitioner) RequiresConsistency(*kgo.Record) bool { return true }
func (p markerTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Key == nil {
		return int(r.Partition)
	}
	return p.keyed.Partition(r, n)
}

// header returns the value of header k, and whether it is present.
func Header(r *kgo.Record, k string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value), true
		}
	}
	return "", false
}

// EnsureTopics creates the topics that do not exist with the given
// partitions, replication and configs, and checks that those that do exist
// are usable. It returns the names it created.
//
// A topic it creates keeps its records whatever their timestamps
// (retention.ms=-1 unless configs set it): a virtual clock stamps records in
// the past (2026-01-01 by default), and a broker's time-based retention
// [7 days] would delete them within minutes (SPEC §6). Bound the size with
// retention.bytes instead.
func EnsureTopics(ctx context.Context, adm *kadm.Client, partitions int32, replication int16, configs map[string]*string, topics ...string) ([]string, error) {
	if partitions < 1 {
		return nil, fmt.Errorf("partitions %d must be at least 1", partitions)
	}
	if replication < 1 {
		return nil, fmt.Errorf("replication %d must be at least 1", replication)
	}
	topics = slices.Compact(slices.Sorted(slices.Values(topics)))
	existing, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var missing []string
	for _, t := range topics {
		d, ok := existing[t]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			missing = append(missing, t)
			continue
		}
		if d.Err != nil {
			return nil, fmt.Errorf("topic %s: %w", t, d.Err)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	resp, err := adm.CreateTopics(ctx, partitions, replication, keepByTime(configs), missing...)
	if err != nil {
		return nil, fmt.Errorf("create topics %v: %w", missing, err)
	}
	var created []string
	for _, t := range missing {
		r, ok := resp[t]
		switch {
		case !ok:
			return created, fmt.Errorf("create topic %s: no answer", t)
		case r.Err == nil:
			created = append(created, t)
		case errors.Is(r.Err, kerr.TopicAlreadyExists): // another process won the race
		default:
			return created, fmt.Errorf("create topic %s: %w", t, r.Err)
		}
	}
	return created, nil
}

// keepByTime returns configs with retention.ms=-1 unless they set it.
func keepByTime(configs map[string]*string) map[string]*string {
	if _, ok := configs[RetentionMs]; ok {
		return configs
	}
	out := make(map[string]*string, len(configs)+1)
	maps.Copy(out, configs)
	never := "-1"
	out[RetentionMs] = &never
	return out
}

// RetentionMs is the topic setting of time-based retention.
const RetentionMs = "retention.ms"

// PartitionCount returns how many partitions topic has, waiting up to the
// context for metadata to show it (a topic just created may lag). It asks
// the cluster directly: a client's cached metadata may predate the topic.
func PartitionCount(ctx context.Context, cl *kgo.Client, topic string) (int32, error) {
	var last error
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		switch {
		case err != nil:
			last = err
		case len(resp.Topics) != 1:
			last = fmt.Errorf("topic %s: no metadata", topic)
		default:
			t := resp.Topics[0]
			err := kerr.ErrorForCode(t.ErrorCode)
			switch {
			case err == nil && len(t.Partitions) > 0:
				return int32(len(t.Partitions)), nil
			case err == nil:
				last = fmt.Errorf("topic %s has no partitions yet", topic)
			case errors.Is(err, kerr.UnknownTopicOrPartition):
				last = fmt.Errorf("topic %s does not exist", topic)
			case errors.Is(err, kerr.LeaderNotAvailable):
				last = err
			default:
				return 0, fmt.Errorf("topic %s: %w", topic, err)
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("partitions of %s: %w (%v)", topic, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// EndOffsets returns the end offset of each partition of topic.
func EndOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	lo, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(map[int32]int64)
	var firstErr error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("end offset of %s/%d: %w", o.Topic, o.Partition, o.Err)
			}
			return
		}
		out[o.Partition] = o.Offset
	})
	return out, firstErr
}
