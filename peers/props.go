package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamtop/streamtop/feed/kafka"
)

// ClientProperties are the Java Kafka client's settings for c's TLS and
// SASL (bootstrap servers excepted: the job takes --brokers), in Java
// properties form. PEM files are read by the client itself (type PEM).
func ClientProperties(c kafka.Config) (string, error) {
	var b strings.Builder
	prop := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, escapeProp(v)) }
	tls, sasl := c.TLS.Enabled(), c.SASL.Mechanism != ""
	switch {
	case tls && sasl:
		prop("security.protocol", "SASL_SSL")
	case tls:
		prop("security.protocol", "SSL")
	case sasl:
		prop("security.protocol", "SASL_PLAINTEXT")
	default:
		return "", nil
	}
	if c.TLS.CA != "" {
		prop("ssl.truststore.type", "PEM")
		prop("ssl.truststore.location", c.TLS.CA)
	}
	if c.TLS.Cert != "" || c.TLS.Key != "" {
		if c.TLS.Cert == "" || c.TLS.Key == "" {
			return "", fmt.Errorf("peers: TLS needs both a client certificate and its key")
		}
		cert, err := os.ReadFile(c.TLS.Cert)
		if err != nil {
			return "", fmt.Errorf("peers: tls cert: %w", err)
		}
		key, err := os.ReadFile(c.TLS.Key)
		if err != nil {
			return "", fmt.Errorf("peers: tls key: %w", err)
		}
		prop("ssl.keystore.type", "PEM")
		prop("ssl.keystore.certificate.chain", string(cert))
		prop("ssl.keystore.key", string(key))
	}
	if c.TLS.SkipVerify {
		prop("ssl.endpoint.identification.algorithm", "")
	}
	if sasl {
		mech, module := "", ""
		switch strings.ToLower(c.SASL.Mechanism) {
		case "plain":
			mech, module = "PLAIN", "org.apache.kafka.common.security.plain.PlainLoginModule"
		case "scram-sha-256", "scram-sha-512":
			mech, module = strings.ToUpper(c.SASL.Mechanism), "org.apache.kafka.common.security.scram.ScramLoginModule"
		default:
			return "", fmt.Errorf("peers: SASL mechanism %q", c.SASL.Mechanism)
		}
		prop("sasl.mechanism", mech)
		prop("sasl.jaas.config", fmt.Sprintf(`%s required username="%s" password="%s";`, module, jaasEscape(c.SASL.User), jaasEscape(c.SASL.Password)))
	}
	return b.String(), nil
}

// WriteClientProperties writes ClientProperties to a private file in dir
// (it may hold a password), or returns "" when there is nothing to write.
func WriteClientProperties(c kafka.Config, dir string) (string, error) {
	props, err := ClientProperties(c)
	if err != nil || props == "" {
		return "", err
	}
	f := filepath.Join(dir, "kafka.properties")
	if err := os.WriteFile(f, []byte(props), 0o600); err != nil {
		return "", fmt.Errorf("peers: %w", err)
	}
	return f, nil
}

// escapeProp escapes a value for a Java properties file.
func escapeProp(v string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "=", `\=`, ":", `\:`, "#", `\#`, "!", `\!`)
	return r.Replace(v)
}

// jaasEscape escapes a quoted JAAS option value.
func jaasEscape(v string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) }
