package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/streamtop/streamtop/feed/kafka"
)

// embeddedConfig is how the embedded broker listens, what it advertises
// and whether clients authenticate. A wildcard listen (0.0.0.0, ::) is
// advertised as this host's first non-loopback address, which clients
// such as kcat can connect to (a wildcard address they cannot).
func embeddedConfig(l localFlags) (kafka.EmbeddedConfig, error) {
	ec := kafka.EmbeddedConfig{Listen: l.listen, Advertise: l.advertise, SASLUser: l.saslUser, SASLPassword: l.saslPass.value}
	if ec.Advertise != "" || l.listen == "" {
		return ec, nil
	}
	host, _, err := net.SplitHostPort(l.listen)
	if err != nil {
		return ec, fmt.Errorf("--listen %q: %w", l.listen, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		addr, err := firstNonLoopback(net.InterfaceAddrs)
		if err != nil {
			return ec, fmt.Errorf("--listen %s: %w (name one with --advertise)", l.listen, err)
		}
		ec.Advertise = addr
	}
	return ec, nil
}

// firstNonLoopback is the first IPv4 address of this host that is not
// loopback, else the first such IPv6 one that is not link-local.
func firstNonLoopback(addrs func() ([]net.Addr, error)) (string, error) {
	as, err := addrs()
	if err != nil {
		return "", fmt.Errorf("this host's addresses: %w", err)
	}
	var v6 string
	for _, a := range as {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || n.IP.IsUnspecified() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP.String(), nil
		}
		if v6 == "" {
			v6 = n.IP.String()
		}
	}
	if v6 == "" {
		return "", errors.New("this host has no address but loopback")
	}
	return v6, nil
}

// beyondLoopback reports whether a listen address is reachable from other
// hosts: anything but a loopback address or localhost.
func beyondLoopback(listen string) bool {
	if listen == "" {
		return false
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// embeddedWarning is what to say about the embedded broker's exposure, or "".
func embeddedWarning(l localFlags, addr string) string {
	if !beyondLoopback(l.listen) {
		return ""
	}
	if l.saslUser == "" {
		return fmt.Sprintf("the embedded broker listens on %s beyond loopback (advertised as %s) WITHOUT authentication: "+
			"anyone who can reach this host can read and write its topics; set --listen-sasl-user and $%s to require SASL",
			l.listen, addr, envName("listen-sasl-password"))
	}
	return fmt.Sprintf("the embedded broker listens on %s beyond loopback (advertised as %s): SASL required (user %s), no TLS",
		l.listen, addr, l.saslUser)
}

// embeddedClient is the Kafka configuration streamtop's own clients use
// on the embedded broker: its address, and its SASL user when it has one.
func embeddedClient(l localFlags, addr string) kafka.Config {
	kc := kafka.Config{Brokers: []string{addr}}
	if l.saslUser != "" {
		kc.SASL = kafka.SASL{Mechanism: "scram-sha-256", User: l.saslUser, Password: l.saslPass.value}
	}
	return kc
}
