package kafka

import (
	"strings"
	"testing"
)

func TestRunKeyAuthenticatesTagsAndMarkers(t *testing.T) {
	k, err := NewRunKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewRunKey()
	ev := k.EventHeader("s/3")
	if tag, ok := k.VerifyEvent(ev); !ok || tag != "s/3" {
		t.Fatalf("own event header %q: tag %q ok %v", ev, tag, ok)
	}
	for name, v := range map[string]string{
		"no mac":        "s/3",
		"forged run":    "s/99#" + strings.SplitN(ev, "#", 2)[1],
		"other key":     other.EventHeader("s/3"),
		"marker as evt": k.MarkerHeader("s/3", HeaderEnd, "3", 0),
		"empty":         "",
	} {
		if _, ok := k.VerifyEvent(v); ok {
			t.Errorf("%s: %q verified as an event", name, v)
		}
	}
	m := k.MarkerHeader("s/3", HeaderEnd, "3", 2)
	if tag, ok := k.VerifyMarker(m, HeaderEnd, "3", 2); !ok || tag != "s/3" {
		t.Fatalf("own marker: %q %v", tag, ok)
	}
	// A marker's header copied to another partition, kind or value, or an
	// event's header on a marker, does not verify.
	for name, c := range map[string]struct {
		v, kind, value string
		p              int32
	}{
		"other partition": {m, HeaderEnd, "3", 1},
		"other kind":      {m, HeaderClock, "3", 2},
		"other value":     {m, HeaderEnd, "4", 2},
		"event header":    {ev, HeaderEnd, "3", 2},
	} {
		if _, ok := k.VerifyMarker(c.v, c.kind, c.value, c.p); ok {
			t.Errorf("%s verified as a marker", name)
		}
	}
}

func TestNoRunKeyTakesPlainTagsOnly(t *testing.T) {
	var k RunKey
	if v := k.EventHeader("s/1"); v != "s/1" {
		t.Fatalf("unkeyed header %q", v)
	}
	if _, ok := k.VerifyEvent("s/1"); !ok {
		t.Fatal("a plain tag must be taken without a key")
	}
	if _, ok := k.VerifyEvent("s/1#abc"); ok {
		t.Fatal("a signed tag cannot be checked without a key: not taken")
	}
	if _, err := ParseRunKey("short"); err == nil {
		t.Fatal("a 5-byte key must be refused")
	}
}
