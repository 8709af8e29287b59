package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestKafkaConfigValidate(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no broker"},
		{Config{Brokers: []string{"localhost"}}, "want host:port"},
		{Config{Brokers: []string{"h:9092"}, SASL: SASL{Mechanism: "gssapi", User: "u"}}, "sasl mechanism"},
		{Config{Brokers: []string{"h:9092"}, SASL: SASL{Mechanism: "plain"}}, "needs a user"},
		{Config{Brokers: []string{"h:9092"}, TLS: TLSFiles{CA: filepath.Join(dir, "missing.pem")}}, "tls ca"},
		{Config{Brokers: []string{"h:9092"}, TLS: TLSFiles{CA: notPEM}}, "no PEM"},
		{Config{Brokers: []string{"h:9092"}, TLS: TLSFiles{Cert: notPEM}}, "needs its key"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
	if err := (Config{Brokers: []string{"h:9092"}, SASL: SASL{Mechanism: "SCRAM-SHA-512", User: "u"}}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// selfSigned writes a CA-less self-signed certificate for 127.0.0.1 and
// returns the server's tls.Config and the certificate's PEM path.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "streamtop-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, path
}

// TLS and SASL against a real Kafka-protocol broker (kfake) that requires
// both: the right credentials and CA get through, the wrong ones do not.
func TestTLSAndSASLAgainstABroker(t *testing.T) {
	srvTLS, caPath := selfSigned(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(srvTLS), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plainuser", "plainpass"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "pass256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pass512"),
		kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	try := func(kc Config) error {
		cl, err := kc.NewClient(kgo.RequestRetries(0), kgo.RetryTimeout(2*time.Second))
		if err != nil {
			return err
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Key: []byte("k"), Value: []byte("v")}).FirstErr()
	}
	for _, s := range []SASL{{"plain", "plainuser", "plainpass"}, {"scram-sha-256", "scram256", "pass256"}, {"scram-sha-512", "scram512", "pass512"}} {
		if err := try(Config{Brokers: []string{addr}, TLS: TLSFiles{CA: caPath}, SASL: s}); err != nil {
			t.Errorf("%s with the CA: %v", s.Mechanism, err)
		}
	}
	if err := try(Config{Brokers: []string{addr}, TLS: TLSFiles{CA: caPath}, SASL: SASL{"plain", "plainuser", "wrong"}}); err == nil {
		t.Error("a wrong password got through")
	}
	if err := try(Config{Brokers: []string{addr}, SASL: SASL{"plain", "plainuser", "plainpass"}}); err == nil {
		t.Error("a client without TLS got through a TLS listener")
	}
}
