package cass

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := func(mod func(*Config)) Config {
		c := DefaultConfig()
		c.Hosts = []string{"127.0.0.1:9042"}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // "" = valid; else a substring of the error
	}{
		{"defaults", ok(nil), ""},
		{"zero fields take defaults", Config{Hosts: []string{"db1"}}, ""},
		{"several hosts", ok(func(c *Config) { c.Hosts = []string{"db1", "db2:19042", "[::1]:9042", "::1", "10.0.0.7"} }), ""},
		{"no hosts", ok(func(c *Config) { c.Hosts = nil }), "no hosts"},
		{"empty host", ok(func(c *Config) { c.Hosts = []string{""} }), `host ""`},
		{"bad port", ok(func(c *Config) { c.Hosts = []string{"db1:http"} }), `port "http"`},
		{"port out of range", ok(func(c *Config) { c.Hosts = []string{"db1:70000"} }), "1..65535"},
		{"empty port", ok(func(c *Config) { c.Hosts = []string{"db1:"} }), `port ""`},
		{"no host name", ok(func(c *Config) { c.Hosts = []string{":9042"} }), "empty host name"},
		{"comma list in one host", ok(func(c *Config) { c.Hosts = []string{"db1,db2"} }), "want host or host:port"},
		{"keyspace with dash", ok(func(c *Config) { c.Keyspace = "stream-top" }), `keyspace "stream-top"`},
		{"keyspace starting with digit", ok(func(c *Config) { c.Keyspace = "1st" }), `keyspace "1st"`},
		{"keyspace too long", ok(func(c *Config) { c.Keyspace = "k" + strings.Repeat("x", 48) }), "keyspace"},
		{"keyspace 48 chars", ok(func(c *Config) { c.Keyspace = "k" + strings.Repeat("x", 47) }), ""},
		{"boontadata keyspace bad", ok(func(c *Config) { c.Boontadata = true; c.BoontadataKeyspace = "boon data" }), "boontadata keyspace"},
		{"boontadata keyspace same as ours", ok(func(c *Config) { c.Boontadata = true; c.BoontadataKeyspace = "StreamTop" }), "must differ"},
		{"unknown consistency", ok(func(c *Config) { c.Consistency = "most" }), `unknown consistency "most"`},
		{"consistency any case", ok(func(c *Config) { c.Consistency = "LOCAL_ONE" }), ""},
		{"replication not a map", ok(func(c *Config) { c.Replication = "SimpleStrategy" }), "want a CQL map"},
		{"replication without class", ok(func(c *Config) { c.Replication = "{'replication_factor': 1}" }), "no 'class'"},
		{"replication injection", ok(func(c *Config) { c.Replication = "{'class': 'SimpleStrategy'}; DROP KEYSPACE x" }), "replication"},
		{"replication nts", ok(func(c *Config) { c.Replication = "{'class': 'NetworkTopologyStrategy', 'dc1': 3}" }), ""},
		{"negative timeout", ok(func(c *Config) { c.Timeout = -time.Second }), "negative"},
		{"password without user", ok(func(c *Config) { c.Password = "x" }), "password without username"},
		{"cert without key", ok(func(c *Config) { c.TLS.Cert = "c.pem" }), "both a certificate and a key"},
		{"key without cert", ok(func(c *Config) { c.TLS.Key = "k.pem" }), "both a certificate and a key"},
		{"tls skip verify", ok(func(c *Config) { c.TLS.SkipVerify = true }), ""},
		{"boontadata zone local", ok(func(c *Config) { c.BoontadataZone = "Local" }), ""},
		{"boontadata zone unknown", ok(func(c *Config) { c.BoontadataZone = "Mars/Olympus" }), `boontadata zone "Mars/Olympus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTLSEnabled(t *testing.T) {
	if (TLS{}).Enabled() {
		t.Fatal("zero TLS is enabled")
	}
	if !(TLS{CA: "ca.pem"}).Enabled() || !(TLS{SkipVerify: true}).Enabled() {
		t.Fatal("TLS with a field set is not enabled")
	}
}

func TestOpenMissingTLSFileFailsAtOnce(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hosts = []string{"127.0.0.1:1"}
	cfg.TLS.CA = "/nonexistent/ca.pem"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Open(ctx, cfg, func(error, time.Duration) { t.Error("retried a configuration error") })
	if err == nil || !strings.Contains(err.Error(), "TLS CA") {
		t.Fatalf("Open = %v, want a TLS CA error", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("Open took %v for a configuration error", time.Since(start))
	}
}

// TestOpenUnavailable needs no server: nothing listens on port 1.
func TestOpenUnavailable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hosts = []string{"127.0.0.1:1"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var retries []time.Duration
	start := time.Now()
	s, err := Open(ctx, cfg, func(err error, wait time.Duration) {
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("onRetry error %q does not name the host", err)
		}
		retries = append(retries, wait)
	})
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded against a closed port")
	}
	t.Logf("Open: %v after %v, waits %v", err, elapsed.Round(time.Millisecond), retries)
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q does not name the host", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q does not wrap the context's error", err)
	}
	if len(retries) == 0 {
		t.Fatal("onRetry was never called")
	}
	if retries[0] != 500*time.Millisecond || (len(retries) > 1 && retries[1] != time.Second) {
		t.Errorf("waits %v, want 500ms, 1s, …", retries)
	}
	if elapsed > 3*time.Second {
		t.Errorf("Open took %v with a 2s context", elapsed)
	}
}

// TestOpenSilentHost: a host that accepts connections and never answers
// must not hold Open past its context (the connect timeout is longer).
func TestOpenSilentHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	cfg := DefaultConfig()
	cfg.Hosts = []string{ln.Addr().String()}
	cfg.Timeout = 30 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = Open(ctx, cfg, nil)
	if err == nil {
		t.Fatal("Open succeeded against a silent host")
	}
	t.Logf("Open: %v after %v", err, time.Since(start).Round(time.Millisecond))
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Open took %v with a 1s context", d)
	}
	if !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("error %q does not name the host", err)
	}
}
