package cassandra

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/streamtop/streamtop/feed/cass"
)

// server returns the address of the real Cassandra the tests use, or skips
// (fails under STREAMTOP_REQUIRE_SERVICES) when there is none.
func server(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("STREAMTOP_TESTENV_CASSANDRA")
	if addr == "" {
		if os.Getenv("STREAMTOP_REQUIRE_SERVICES") != "" {
			t.Fatal("STREAMTOP_TESTENV_CASSANDRA is required")
		}
		t.Skip("STREAMTOP_TESTENV_CASSANDRA is not set; CI runs these against a real Cassandra (eval \"$(testenv/up.sh)\")")
	}
	return addr
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testStore opens a store on keyspaces of the test's own (ours and the
// original's, both with their tables), dropped at the end, and a plain CQL
// session to look at the tables directly.
func testStore(t *testing.T) (*cass.Store, *gocql.Session, cass.Config) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	cfg := cass.DefaultConfig()
	cfg.Hosts = []string{server(t)}
	cfg.Keyspace, cfg.BoontadataKeyspace, cfg.Boontadata = "st_test_"+id, "st_boon_"+id, true
	cfg.Timeout = 20 * time.Second // a busy test node can be slow with DDL
	ctx := ctxT(t)
	store, err := cass.Open(ctx, cfg, func(err error, wait time.Duration) { t.Logf("%v, retrying in %v", err, wait) })
	if err != nil {
		t.Fatal(err)
	}
	cl := gocql.NewCluster(cfg.Hosts...)
	cl.Timeout = cfg.Timeout
	sess, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, ks := range []string{cfg.Keyspace, cfg.BoontadataKeyspace} {
			if err := sess.Query("DROP KEYSPACE IF EXISTS " + ks).Exec(); err != nil {
				t.Errorf("drop keyspace %s: %v", ks, err)
			}
		}
		sess.Close()
		store.Close()
	})
	if err := store.EnsureSchema(ctx); err != nil {
		t.Fatal(err)
	}
	return store, sess, cfg
}
