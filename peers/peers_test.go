package peers

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamtop/streamtop/feed/kafka"
)

func TestParseLock(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	good := "# c\norg/x/a/1/a-1.jar " + sum + " 10\n\n  org/x/b/2/b-2.jar " + sum + " 5\n"
	jars, err := ParseLock([]byte(good))
	if err != nil || len(jars) != 2 || jars[1].Name() != "b-2.jar" || Size(jars) != 15 {
		t.Fatalf("ParseLock = %+v, %v", jars, err)
	}
	for name, bad := range map[string]string{
		"fields":     "org/x/a/1/a-1.jar " + sum,
		"escape":     "../../etc/a.jar " + sum + " 1",
		"absolute":   "/etc/a.jar " + sum + " 1",
		"not a jar":  "org/x/a/1/a-1.pom " + sum + " 1",
		"short sum":  "org/x/a/1/a-1.jar abcd 1",
		"size":       "org/x/a/1/a-1.jar " + sum + " -3",
		"twice":      "org/x/a/1/a-1.jar " + sum + " 1\norg/y/a/1/a-1.jar " + sum + " 1",
		"not normal": "org/x/./a-1.jar " + sum + " 1",
	} {
		if _, err := ParseLock([]byte(bad)); err == nil {
			t.Errorf("%s: %q accepted", name, bad)
		}
	}
}

// A repository served over real HTTP: a good jar is cached, one whose
// bytes differ from the lock is refused and never takes its place.
func TestFetchJarsChecksEveryJar(t *testing.T) {
	content := map[string][]byte{"g/a/1/a-1.jar": []byte("jar a"), "g/b/1/b-1.jar": []byte("jar b, tampered")}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := content[strings.TrimPrefix(r.URL.Path, "/repo/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	lock := func(path, body string) Jar {
		j := Jar{Path: path, Size: int64(len(body))}
		j.SHA256 = sha256.Sum256([]byte(body))
		return j
	}
	c := Cache{Root: t.TempDir(), Repo: srv.URL + "/repo/"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	good := lock("g/a/1/a-1.jar", "jar a")
	var last Progress
	if err := c.FetchJars(ctx, []Jar{good}, func(p Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(c.JarFile(good)); err != nil || string(b) != "jar a" {
		t.Fatalf("cached jar: %q, %v", b, err)
	}
	if last.Done != 5 || last.Total != 5 {
		t.Errorf("last progress %+v", last)
	}

	tampered := lock("g/b/1/b-1.jar", "jar b, original")
	err := c.FetchJars(ctx, []Jar{tampered}, nil)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("tampered jar: %v", err)
	}
	if _, err := os.Stat(c.JarFile(tampered)); !os.IsNotExist(err) {
		t.Fatalf("tampered jar was kept: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(c.JarFile(tampered)), "*"))
	if len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	missing := lock("g/c/1/c-1.jar", "x")
	if err := c.FetchJars(ctx, []Jar{missing}, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing jar: %v", err)
	}
}

func TestJobArgsFollowTheContract(t *testing.T) {
	p := Peer{Name: "flink"}
	s := Settings{Brokers: "h:1", Events: "ev", Output: "aggregates.flink", Window: 5 * time.Second,
		Watermark: time.Second, Idle: 6 * time.Second, Lateness: 10 * time.Minute, Dedup: true,
		Start: map[int32]int64{2: 30, 0: 10}, Group: "g"}
	got := strings.Join(p.jobArgs(s), " ")
	want := "--brokers h:1 --start 0:10,2:30 --bounded false --events ev --output aggregates.flink --engine flink --group g " +
		"--window 5000 --watermark 1000 --idle 6000 --lateness 600000 --dedup true"
	if got != want {
		t.Fatalf("args\n got %s\nwant %s", got, want)
	}
	r := Peer{Name: "storm", Rates: true}
	got = strings.Join(r.jobArgs(Settings{Brokers: "h:1", Events: "in", RateOut: "r", GapOut: "g", AlertOut: "a", Threshold: 50}), " ")
	if want := "--brokers h:1 --bounded false --input in --rate-out r --gap-out g --alert-out a --threshold 50 --strict false"; got != want {
		t.Fatalf("rate args\n got %s\nwant %s", got, want)
	}
}

func TestCatalogNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range catalog {
		if seen[p.Name] {
			t.Errorf("%s twice", p.Name)
		}
		seen[p.Name] = true
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("an unknown peer was found")
	}
}

func ExampleOffsets() {
	fmt.Println(Offsets(map[int32]int64{3: 7, 1: 0}))
	fmt.Printf("%q\n", Offsets(nil))
	// Output:
	// 1:0,3:7
	// ""
}

func TestClientProperties(t *testing.T) {
	if p, err := ClientProperties(kafka.Config{}); err != nil || p != "" {
		t.Fatalf("plaintext: %q %v", p, err)
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)
	p, err := ClientProperties(kafka.Config{TLS: kafka.TLSFiles{CA: ca}, SASL: kafka.SASL{Mechanism: "scram-sha-512", User: "u", Password: `p"w=1`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"security.protocol=SASL_SSL", "ssl.truststore.type=PEM", "sasl.mechanism=SCRAM-SHA-512",
		`ScramLoginModule required username\="u" password\="p\\"w\=1";`} {
		if !strings.Contains(p, want) {
			t.Errorf("missing %s in\n%s", want, p)
		}
	}
	if _, err := ClientProperties(kafka.Config{SASL: kafka.SASL{Mechanism: "gssapi"}}); err == nil {
		t.Error("an unknown mechanism was accepted")
	}
	f, err := WriteClientProperties(kafka.Config{SASL: kafka.SASL{Mechanism: "plain", User: "u", Password: "secret"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("properties file %v %v", st.Mode(), err)
	}
}
