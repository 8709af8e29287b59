package cass

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Config is how to reach a cluster and where streamtop keeps its tables.
// Zero fields take the defaults of DefaultConfig (except Hosts).
type Config struct {
	Hosts              []string      // host or host:port; default port 9042
	Keyspace           string        // ["streamtop"]
	Replication        string        // CQL replication map for keyspaces we create
	Username, Password string        // PasswordAuthenticator when Username != ""
	TLS                TLS           // zero value: no TLS
	Consistency        string        // one, two, three, quorum, all, local_quorum, each_quorum, local_one ["local_quorum"]
	Timeout            time.Duration // per query [10s]
	Boontadata         bool          // also create/check the original's keyspace (SPEC §6)
	BoontadataKeyspace string        // the original's keyspace ["boontadata"]; tests use their own
	// BoontadataZone is the zone of agg_events' window_time: the original's
	// ingest.py wrote it on the host's local clock, so a non-UTC host needs
	// its zone here ("Local" for this host's, or an IANA name such as
	// "Europe/Paris") for the keys to match. ["" = UTC]
	BoontadataZone string
}

// TLS configures client TLS. It is enabled when any field is set.
type TLS struct {
	CA, Cert, Key string // PEM file paths
	SkipVerify    bool   // do not verify the server's certificate
}

// Enabled reports whether TLS is on.
func (t TLS) Enabled() bool { return t.CA != "" || t.Cert != "" || t.Key != "" || t.SkipVerify }

const (
	defaultKeyspace    = "streamtop"
	defaultReplication = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
	defaultConsistency = "local_quorum"
	defaultTimeout     = 10 * time.Second
	defaultBoontadata  = "boontadata"
	defaultPort        = 9042
)

// DefaultConfig returns the defaults, with no hosts.
func DefaultConfig() Config {
	return Config{
		Keyspace:           defaultKeyspace,
		Replication:        defaultReplication,
		Consistency:        defaultConsistency,
		Timeout:            defaultTimeout,
		BoontadataKeyspace: defaultBoontadata,
	}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Keyspace == "" {
		c.Keyspace = d.Keyspace
	}
	if strings.TrimSpace(c.Replication) == "" {
		c.Replication = d.Replication
	}
	if c.Consistency == "" {
		c.Consistency = d.Consistency
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.BoontadataKeyspace == "" {
		c.BoontadataKeyspace = d.BoontadataKeyspace
	}
	return c
}

var (
	keyspaceRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)
	suffixRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
)

var consistencies = []string{"one", "two", "three", "quorum", "all", "local_quorum", "each_quorum", "local_one"}

// Validate reports the first problem with the configuration (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if len(c.Hosts) == 0 {
		return errors.New("cassandra: no hosts")
	}
	for _, h := range c.Hosts {
		if err := checkHost(h); err != nil {
			return fmt.Errorf("cassandra: host %q: %v", h, err)
		}
	}
	if !keyspaceRE.MatchString(c.Keyspace) {
		return fmt.Errorf("cassandra: keyspace %q: want a letter then up to 47 letters, digits or _", c.Keyspace)
	}
	if c.Boontadata && !keyspaceRE.MatchString(c.BoontadataKeyspace) {
		return fmt.Errorf("cassandra: boontadata keyspace %q: want a letter then up to 47 letters, digits or _", c.BoontadataKeyspace)
	}
	if c.Boontadata && strings.EqualFold(c.BoontadataKeyspace, c.Keyspace) {
		return fmt.Errorf("cassandra: boontadata keyspace %q must differ from keyspace %q", c.BoontadataKeyspace, c.Keyspace)
	}
	if _, err := zoneOf(c.BoontadataZone); err != nil {
		return err
	}
	if err := checkReplication(c.Replication); err != nil {
		return fmt.Errorf("cassandra: replication %q: %v", c.Replication, err)
	}
	if _, err := parseConsistency(c.Consistency); err != nil {
		return err
	}
	if c.Timeout < 0 {
		return fmt.Errorf("cassandra: timeout %v is negative", c.Timeout)
	}
	if c.Username == "" && c.Password != "" {
		return errors.New("cassandra: password without username")
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("cassandra: TLS needs both a certificate and a key file, or neither")
	}
	return nil
}

// checkHost accepts host, host:port, [v6]:port and bare IPv6 addresses.
func checkHost(h string) error {
	if strings.TrimSpace(h) != h || h == "" || strings.ContainsAny(h, " \t,/") {
		return errors.New("want host or host:port")
	}
	if net.ParseIP(h) != nil { // bare IPv4 or IPv6
		return nil
	}
	if !strings.Contains(h, ":") {
		return nil
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		return errors.New("want host or host:port")
	}
	if host == "" {
		return errors.New("empty host name")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", port)
	}
	return nil
}

// checkReplication requires something shaped like a CQL map with a class.
func checkReplication(r string) error {
	r = strings.TrimSpace(r)
	if len(r) < 2 || r[0] != '{' || r[len(r)-1] != '}' {
		return errors.New("want a CQL map such as " + defaultReplication)
	}
	if strings.ContainsAny(r, ";\n") || strings.Count(r, "'")%2 != 0 || strings.Count(r, "{") != 1 || strings.Count(r, "}") != 1 {
		return errors.New("not a single CQL map")
	}
	if !strings.Contains(strings.ToLower(r), "'class'") {
		return errors.New("the map has no 'class'")
	}
	return nil
}

func parseConsistency(s string) (gocql.Consistency, error) {
	for _, c := range consistencies {
		if strings.EqualFold(s, c) {
			return gocql.ParseConsistencyWrapper(c)
		}
	}
	return 0, fmt.Errorf("cassandra: unknown consistency %q (want one of %s)", s, strings.Join(consistencies, ", "))
}

// hostList renders the hosts with their ports, for messages.
func (c Config) hostList() string {
	out := make([]string, len(c.Hosts))
	for i, h := range c.Hosts {
		out[i] = h
		if _, _, err := net.SplitHostPort(h); err != nil {
			out[i] = net.JoinHostPort(h, strconv.Itoa(defaultPort))
		}
	}
	return strings.Join(out, ",")
}

// tlsConfig loads the TLS files, or returns nil when TLS is off.
func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS.Enabled() {
		return nil, nil
	}
	tc := &tls.Config{InsecureSkipVerify: c.TLS.SkipVerify, MinVersion: tls.VersionTLS12}
	if c.TLS.CA != "" {
		pem, err := os.ReadFile(c.TLS.CA)
		if err != nil {
			return nil, fmt.Errorf("cassandra: TLS CA: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cassandra: TLS CA %s: no PEM certificate found", c.TLS.CA)
		}
	}
	if c.TLS.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLS.Cert, c.TLS.Key)
		if err != nil {
			return nil, fmt.Errorf("cassandra: TLS key pair: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// cluster builds a fresh driver configuration (a host selection policy
// cannot be shared between sessions, so each connection attempt needs one).
func (c Config) cluster(tc *tls.Config, d *dialer) *gocql.ClusterConfig {
	cl := gocql.NewCluster(c.Hosts...)
	cl.Port = defaultPort
	cl.Consistency, _ = parseConsistency(c.Consistency)
	cl.Timeout = c.Timeout
	cl.ConnectTimeout = c.Timeout
	cl.RetryPolicy = retryPolicy{retries: 3}
	cl.DefaultIdempotence = true
	cl.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	cl.Dialer = d
	if c.Username != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: c.Username, Password: c.Password}
	}
	if tc != nil {
		cl.SslOpts = &gocql.SslOptions{Config: tc, EnableHostVerification: !c.TLS.SkipVerify}
	}
	return cl
}

// dialer is a net.Dialer tied to the context given to Open while Open
// runs: when that context ends, dials in progress stop and connections made
// during Open are closed, so Open returns at once instead of waiting out a
// connect timeout (a host that drops packets, or accepts and stays silent).
type dialer struct {
	net   net.Dialer
	mu    sync.Mutex
	open  context.Context // nil once Open is done with this dialer
	stops []func() bool
}

func newDialer(open context.Context, timeout time.Duration) *dialer {
	return &dialer{net: net.Dialer{Timeout: timeout}, open: open}
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	open := d.open
	d.mu.Unlock()
	if open == nil {
		return d.net.DialContext(ctx, network, addr)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(open, cancel)
	conn, err := d.net.DialContext(ctx, network, addr)
	stop()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open != nil {
		d.stops = append(d.stops, context.AfterFunc(d.open, func() { conn.Close() }))
	}
	return conn, nil
}

// done releases the connections made during Open from its context. It
// reports whether any was closed because that context ended.
func (d *dialer) done() (closed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.open = nil
	for _, stop := range d.stops {
		if !stop() {
			closed = true
		}
	}
	d.stops = nil
	return closed
}

// retryPolicy retries idempotent statements on the errors a retry can cure
// (timeouts, unavailable or overloaded replicas, dropped connections), on
// the same host (a one-node cluster has no next host).
type retryPolicy struct{ retries int }

func (p retryPolicy) Attempt(q gocql.RetryableQuery) bool {
	if ctx := q.Context(); ctx != nil && ctx.Err() != nil {
		return false
	}
	return q.Attempts() <= p.retries
}

func (p retryPolicy) GetRetryType(err error) gocql.RetryType {
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeUnavailable, gocql.ErrCodeOverloaded, gocql.ErrCodeBootstrapping,
			gocql.ErrCodeWriteTimeout, gocql.ErrCodeReadTimeout, gocql.ErrCodeTruncate:
			return gocql.Retry
		}
		return gocql.Rethrow
	}
	var ne net.Error
	switch {
	case errors.Is(err, gocql.ErrTimeoutNoResponse), errors.Is(err, gocql.ErrConnectionClosed),
		errors.Is(err, gocql.ErrNoStreams), errors.Is(err, gocql.ErrTooManyTimeouts),
		errors.As(err, &ne):
		return gocql.Retry
	}
	return gocql.Rethrow
}
