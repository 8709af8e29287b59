package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/streamtop/streamtop/feed/cass"
)

// kafkaFlags is how a role reaches a Kafka cluster. Every flag also reads
// $STREAMTOP_<FLAG>; the SASL password only comes from the environment or
// a file.
type kafkaFlags struct {
	kafka.Config
	password secret
	// runKey authenticates run tags and markers between roles on several
	// hosts (kafka.RunKey); in one process a random one is used when none
	// is given.
	runKey secret
	RunKey kafka.RunKey
}

func defaultKafkaFlags() kafkaFlags {
	return kafkaFlags{password: newSecret("sasl-password"), runKey: newSecret("run-key")}
}

func (k *kafkaFlags) bind(b *binder) {
	b.in(grpKafka)
	b.value(listValue{&k.Brokers}, "brokers", "b", "Kafka bootstrap brokers, comma-separated `host:port` (default: the embedded broker; required by subcommands)").env()
	b.str(&k.TLS.CA, "tls-ca", "", "Kafka TLS: CA certificate (PEM) to verify the brokers").env()
	b.str(&k.TLS.Cert, "tls-cert", "", "Kafka TLS: client certificate (PEM)").env()
	b.str(&k.TLS.Key, "tls-key", "", "Kafka TLS: client key (PEM)").env()
	b.boolean(&k.TLS.SkipVerify, "tls-insecure", "", "Kafka TLS without verifying the brokers (tests only)").env()
	b.str(&k.SASL.Mechanism, "sasl-mechanism", "", "Kafka SASL: plain, scram-sha-256 or scram-sha-512").env()
	b.str(&k.SASL.User, "sasl-user", "", "Kafka SASL user").env()
	k.password.bind(b, "Kafka SASL password")
	k.runKey.bind(b, "run key shared by the roles of a run: authenticates run tags and markers (at least 16 bytes; none: tags are taken at their word)")
}

// complete reads the password.
func (k *kafkaFlags) complete() error {
	if err := k.password.resolve(); err != nil {
		return err
	}
	k.SASL.Password = k.password.value
	if err := k.runKey.resolve(); err != nil {
		return err
	}
	if k.runKey.value != "" {
		key, err := kafka.ParseRunKey(k.runKey.value)
		if err != nil {
			return usageErr(fmt.Errorf("$%s or --run-key-file: %w", envName("run-key"), err))
		}
		k.RunKey = key
	}
	return nil
}

// runKeyOr returns the shared run key, or a random one for roles in one
// process (nobody else needs to know it).
func (k kafkaFlags) runKeyOr() (kafka.RunKey, error) {
	if k.RunKey != nil {
		return k.RunKey, nil
	}
	return kafka.NewRunKey()
}

// Validate checks a cluster's settings (none: the embedded broker).
func (k kafkaFlags) Validate() error {
	if len(k.Brokers) == 0 {
		return nil
	}
	if err := k.Config.Validate(); err != nil {
		return fmt.Errorf("--brokers: %w", err)
	}
	return nil
}

// required is Validate for a role that needs a cluster.
func (k kafkaFlags) required() error {
	if len(k.Brokers) == 0 {
		return fmt.Errorf("needs --brokers (a Kafka cluster; or $%s)", envName("brokers"))
	}
	return k.Validate()
}

// cassFlags is how a role reaches Cassandra and what it creates there.
type cassFlags struct {
	hosts       []string
	keyspace    string
	replication string
	user        string
	password    secret
	tls         kafka.TLSFiles
	consistency string
	boontadata  bool
	suffix      string // boontadata downstream column suffix
	zone        string // boontadata: the zone of window_time ("" UTC)
}

func defaultCassFlags() cassFlags {
	return cassFlags{keyspace: "streamtop", replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
		password: newSecret("cassandra-password"), consistency: "local_quorum", suffix: "downstream"}
}

func (c *cassFlags) bind(b *binder) {
	b.in(grpCassandra)
	b.value(listValue{&c.hosts}, "cassandra", "c", "Cassandra contact points, comma-separated `host[:port]` (default: no Cassandra)").env()
	b.str(&c.keyspace, "keyspace", "k", "Cassandra keyspace of the truths and results").env()
	b.str(&c.user, "cassandra-user", "", "Cassandra user (PasswordAuthenticator)").env()
	c.password.bind(b, "Cassandra password")
	b.str(&c.tls.CA, "cassandra-tls-ca", "", "Cassandra TLS: CA certificate (PEM)").env()
	b.str(&c.tls.Cert, "cassandra-tls-cert", "", "Cassandra TLS: client certificate (PEM)").env()
	b.str(&c.tls.Key, "cassandra-tls-key", "", "Cassandra TLS: client key (PEM)").env()
	b.boolean(&c.tls.SkipVerify, "cassandra-tls-insecure", "", "Cassandra TLS without verifying the nodes (tests only)").env()
	b.str(&c.consistency, "consistency", "", "Cassandra consistency: one, quorum, local_quorum, all, …").env()
	b.in(grpSchema)
	b.str(&c.replication, "cassandra-replication", "", "replication map of a keyspace streamtop creates")
	b.boolean(&c.boontadata, "boontadata", "", "also use the original boontadata keyspace (agg_events): the injector writes its truth there too")
	b.str(&c.suffix, "boontadata-column", "", "boontadata: the downstream column pair m1_sum_<X>/m2_sum_<X> (the original's engines used e.g. flink_eventtime)")
	b.str(&c.zone, "boontadata-zone", "", "boontadata: the zone of window_time, which the original wrote on its host's local clock: Local, or an IANA name (default UTC)")
}

// complete reads the password.
func (c *cassFlags) complete() error { return c.password.resolve() }

// enabled reports whether a Cassandra cluster was named.
func (c cassFlags) enabled() bool { return len(c.hosts) > 0 }

func (c cassFlags) config() cass.Config {
	cc := cass.DefaultConfig()
	cc.Hosts, cc.Keyspace, cc.Replication = c.hosts, c.keyspace, c.replication
	cc.Username, cc.Password, cc.Consistency, cc.Boontadata = c.user, c.password.value, c.consistency, c.boontadata
	cc.BoontadataZone = c.zone
	cc.TLS = cass.TLS{CA: c.tls.CA, Cert: c.tls.Cert, Key: c.tls.Key, SkipVerify: c.tls.SkipVerify}
	return cc
}

// topicFlags names the topics and how streamtop creates them.
type topicFlags struct {
	names       kafka.Topics
	partitions  int
	replication int
}

func defaultTopicFlags() topicFlags {
	return topicFlags{names: kafka.DefaultTopics(), partitions: 4, replication: 1}
}

func (t *topicFlags) bind(b *binder) {
	b.in(grpTopics)
	b.integer(&t.partitions, "partitions", "p", "partitions of the topics streamtop creates")
	b.integer(&t.replication, "replication", "", "replication factor of the topics streamtop creates")
	b.str(&t.names.Events, "topic-events", "", "topic of device events")
	b.str(&t.names.Results, "topic-results", "", "topic of engine results")
	b.str(&t.names.RateInput, "topic-rate-input", "", "topic of exchange-rate ticks")
	b.str(&t.names.RateOutput, "topic-rate", "", "topic of rates")
	b.str(&t.names.RateGap, "topic-gap", "", "topic of rate variations")
	b.str(&t.names.RateAlert, "topic-alert", "", "topic of rate alerts")
}

func (t topicFlags) Validate() error {
	switch {
	case t.partitions < 1 || t.partitions > 10000:
		return fmt.Errorf("--partitions %d: want 1 to 10000", t.partitions)
	case t.replication < 1 || t.replication > 32767:
		return fmt.Errorf("--replication %d: want 1 or more", t.replication)
	}
	names := map[string]bool{}
	for _, n := range t.names.All() {
		if err := validTopic(n); err != nil {
			return err
		}
		if names[n] {
			return fmt.Errorf("topic %q named twice: every topic flag needs its own topic", n)
		}
		names[n] = true
	}
	return nil
}

func validTopic(t string) error {
	bad := strings.ContainsFunc(t, func(r rune) bool {
		return !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if t == "" || len(t) > 249 || bad {
		return fmt.Errorf("topic name %q: want 1–249 of [a-zA-Z0-9._-]", t)
	}
	return nil
}

// errNoCassandra is a role that needs Cassandra started without it.
var errNoCassandra = errors.New("needs --cassandra (where the truth is)")
