package kafka

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is streamtop's own Kafka-protocol broker (franz-go's kfake), in
// process and in memory, for the no-flags demo.
type Embedded struct {
	cluster *kfake.Cluster
	addr    string
}

// StartEmbedded starts a one-node broker listening on listen ("" or
// "127.0.0.1:0" for an ephemeral loopback port; any host:port otherwise).
func StartEmbedded(listen string) (*Embedded, error) {
	return StartEmbeddedWith(EmbeddedConfig{Listen: listen})
}

// EmbeddedConfig is where the embedded broker listens, what it tells
// clients to connect to, and whether they must authenticate.
type EmbeddedConfig struct {
	Listen string // host:port ("": 127.0.0.1 on an ephemeral port)
	// Advertise is the host[:port] in the broker's metadata ("": the
	// listener's address; no port or port 0: the listening port).
	Advertise string
	// SASLUser and SASLPassword, when set, make every client authenticate
	// (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) as this user.
	SASLUser, SASLPassword string
}

// StartEmbeddedWith starts a one-node broker as cfg says.
func StartEmbeddedWith(cfg EmbeddedConfig) (*Embedded, error) {
	host, port := "127.0.0.1", 0
	if cfg.Listen != "" {
		h, p, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("embedded broker: listen %q: %w", cfg.Listen, err)
		}
		if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("embedded broker: listen %q: bad port", cfg.Listen)
		}
		if h != "" {
			host = h
		}
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ClusterID("streamtop-embedded"),
		// Data lives in memory: let retention (set per topic) run often.
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "1000"}),
		kfake.MaxVersions(javaCompatibleVersions()),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil || cfg.Advertise == "" {
				return ln, err
			}
			return advertise(ln, cfg.Advertise), nil
		}),
	}
	if cfg.SASLUser != "" {
		opts = append(opts, kfake.EnableSASL())
		for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
			opts = append(opts, kfake.Superuser(m, cfg.SASLUser, cfg.SASLPassword))
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker on %s: %w", net.JoinHostPort(host, strconv.Itoa(port)), err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		c.Close()
		return nil, fmt.Errorf("embedded broker: no listener")
	}
	return &Embedded{cluster: c, addr: addrs[0]}, nil
}

// advertise wraps ln so that its address, which kfake puts in its
// metadata, is host[:port] (the listening port when there is none or 0).
func advertise(ln net.Listener, hostport string) net.Listener {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	if port == "" || port == "0" {
		_, port, _ = net.SplitHostPort(ln.Addr().String())
	}
	return advertisedListener{ln, advertisedAddr(net.JoinHostPort(host, port))}
}

type advertisedListener struct {
	net.Listener
	addr advertisedAddr
}

func (l advertisedListener) Addr() net.Addr { return l.addr }

type advertisedAddr string

func (advertisedAddr) Network() string  { return "tcp" }
func (a advertisedAddr) String() string { return string(a) }

// TopicConfigs are the settings streamtop gives the topics it creates on
// the embedded broker: size-bounded, so a long demo does not eat the
// machine's memory.
func (e *Embedded) TopicConfigs() map[string]*string {
	// No time-based retention: virtual-clock records carry past send times.
	// Memory is freed a segment at a time: segments are small.
	v, seg, never := strconv.Itoa(EmbeddedRetentionBytes), strconv.Itoa(EmbeddedRetentionBytes/16), "-1"
	return map[string]*string{"retention.bytes": &v, "segment.bytes": &seg, "retention.ms": &never}
}

// EmbeddedRetentionBytes bounds each partition of an embedded topic
// (checked every second).
const EmbeddedRetentionBytes = 16 << 20

// EmbeddedMaxBacklog is how many records a producer may be ahead of the
// reader of a topic of the embedded broker with this many partitions, so
// that retention never drops an unread one: a partition holds at least
// EmbeddedRetentionBytes / 384 records (a generated event takes ~200
// bytes uncompressed, with its batch's overhead).
func EmbeddedMaxBacklog(partitions int) int64 {
	return int64(max(partitions, 1)) * EmbeddedRetentionBytes / 384
}

// Addr is the bootstrap address clients use (kcat -b Addr).
func (e *Embedded) Addr() string { return e.addr }

// Close stops the broker; its data is gone.
func (e *Embedded) Close() { e.cluster.Close() }

// javaCompatibleVersions are the request versions the embedded broker
// offers: kfake's own, less two whose responses carry null arrays the Java
// clients (the peers: Kafka Streams, Flink) do not accept. Without
// DescribeTopicPartitions the Java Admin client falls back to Metadata;
// CreateTopics v4 answers without the per-topic configs v5 added.
func javaCompatibleVersions() *kversion.Versions {
	v := kversion.Stable()
	v.SetMaxKeyVersion(int16(kmsg.DescribeTopicPartitions), -1)
	v.SetMaxKeyVersion(int16(kmsg.CreateTopics), 4)
	return v
}
