package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"

	"github.com/twmb/franz-go/pkg/kadm"
)

// startEmbedded starts the embedded broker as the one-process run would
// with args.
func startEmbedded(t *testing.T, args ...string) (*kafka.Embedded, appConfig) {
	t.Helper()
	cfg := defaultAppConfig()
	if err := parseCommand(args, &cfg); err != nil {
		t.Fatal(err)
	}
	ec, err := embeddedConfig(cfg.local)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kafka.StartEmbeddedWith(ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, cfg
}

// advertisedHost is the broker host the cluster's metadata names, asked
// through bootstrap.
func advertisedHost(t *testing.T, kc kafka.Config) (string, error) {
	t.Helper()
	cl, err := kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	m, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return "", err
	}
	if len(m.Brokers) != 1 {
		t.Fatalf("brokers %v", m.Brokers)
	}
	return m.Brokers[0].Host, nil
}

// The defect: --listen 0.0.0.0:PORT advertised "::", which kcat cannot
// connect to. A wildcard listen now advertises this host's first
// non-loopback address, which answers.
func TestWildcardListenAdvertisesAReachableAddress(t *testing.T) {
	b, _ := startEmbedded(t, "--listen", "0.0.0.0:0")
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() || ip.IsLoopback() || port == "0" {
		t.Fatalf("advertised %s: want a non-loopback address and the port", b.Addr())
	}
	got, err := advertisedHost(t, kafka.Config{Brokers: []string{b.Addr()}})
	if err != nil || got != host {
		t.Fatalf("metadata names host %q (%v), want %s", got, err, host)
	}
}

func TestAdvertiseFlagNamesTheMetadataHost(t *testing.T) {
	b, _ := startEmbedded(t, "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1")
	_, port, _ := net.SplitHostPort(b.Addr())
	if b.Addr() != "127.0.0.1:"+port || port == "0" {
		t.Fatalf("advertised %s", b.Addr())
	}
	// A name: the metadata carries it as given, with the listening port.
	cfg := defaultAppConfig()
	if err := parseCommand([]string{"--listen", "0.0.0.0:0", "--advertise", "kafka.example.org"}, &cfg); err != nil {
		t.Fatal(err)
	}
	if ec, err := embeddedConfig(cfg.local); err != nil || ec.Advertise != "kafka.example.org" {
		t.Fatalf("--advertise: %+v, %v", ec, err)
	}
}

func TestFirstNonLoopbackPrefersIPv4(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	for _, c := range []struct {
		addrs []string
		want  string
	}{
		{[]string{"127.0.0.1/8", "::1/128", "fe80::1/64", "fd00::2/64", "192.0.2.2/24"}, "192.0.2.2"},
		{[]string{"127.0.0.1/8", "fe80::1/64", "fd00::2/64"}, "fd00::2"},
		{[]string{"127.0.0.1/8", "::1/128"}, ""},
	} {
		got, err := firstNonLoopback(func() ([]net.Addr, error) {
			var as []net.Addr
			for _, a := range c.addrs {
				as = append(as, cidr(a))
			}
			return as, nil
		})
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%v: %q, %v; want %q", c.addrs, got, err, c.want)
		}
	}
}

// Beyond loopback without SASL, the run says so on stderr (and in the
// screen's log).
func TestListenBeyondLoopbackWarns(t *testing.T) {
	code, _, errs := runCLI("--headless", "--clock", "virtual", "-e", "20", "--listen", "0.0.0.0:0")
	if code != exitOK || !strings.Contains(errs, "WITHOUT authentication") || !strings.Contains(errs, "--listen-sasl-user") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCLI("--headless", "--clock", "virtual", "-e", "20")
	if code != exitOK || strings.Contains(errs, "authentication") {
		t.Fatalf("on loopback: exit %d, stderr %q", code, errs)
	}
}

// With --listen-sasl-user, a client without the credentials is refused;
// streamtop's own clients have them.
func TestEmbeddedSASLRefusesClientsWithoutCredentials(t *testing.T) {
	t.Setenv("STREAMTOP_LISTEN_SASL_PASSWORD", "open-sesame")
	b, cfg := startEmbedded(t, "--listen-sasl-user", "alice")
	if _, err := advertisedHost(t, kafka.Config{Brokers: []string{b.Addr()}}); err == nil {
		t.Error("a client without credentials was answered")
	}
	wrong := embeddedClient(cfg.local, b.Addr())
	wrong.SASL.Password = "guess"
	if _, err := advertisedHost(t, wrong); err == nil {
		t.Error("a client with a wrong password was answered")
	}
	if _, err := advertisedHost(t, embeddedClient(cfg.local, b.Addr())); err != nil {
		t.Errorf("streamtop's own client was refused: %v", err)
	}
	// Another client with the credentials and another mechanism.
	plain := embeddedClient(cfg.local, b.Addr())
	plain.SASL.Mechanism = "plain"
	if _, err := advertisedHost(t, plain); err != nil {
		t.Errorf("PLAIN: %v", err)
	}
	// The whole one-process run on a SASL broker.
	code, out, errs := runCLI("--headless", "--clock", "virtual", "-e", "50", "--listen-sasl-user", "alice")
	if code != exitOK || !strings.Contains(out, "exceptions out of") {
		t.Fatalf("run with SASL: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI("--headless", "--listen-sasl-user", "bob", "--listen-sasl-password-file", "/does/not/exist"); code != exitUsage {
		t.Errorf("an unreadable password file: exit %d, %q", code, errs)
	}
}
