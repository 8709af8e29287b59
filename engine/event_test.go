package engine_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/streamtop/streamtop/engine"
)

func TestDecodeEventAcceptedForms(t *testing.T) {
	want := engine.Event{ID: "dev1-7", Device: "dev1", Time: 1767225601234, Category: "cat-3", M1: 42, M2: 123.5}
	tests := []struct {
		name string
		in   string
		want engine.Event
	}{
		{"json dt number", `{"id":"dev1-7","di":"dev1","dt":1767225601234,"c":"cat-3","m1":42,"m2":123.5}`, want},
		{"json dt numeric string", `{"id":"dev1-7","di":"dev1","dt":"1767225601234","c":"cat-3","m1":42,"m2":123.5}`, want},
		{"json fields reordered, whitespace", "  {\"m2\": 123.5, \"m1\": 42, \"c\": \"cat-3\", \"dt\": 1767225601234, \"di\": \"dev1\", \"id\": \"dev1-7\"}\n", want},
		{"json unknown field send ignored", `{"id":"dev1-7","di":"dev1","dt":1767225601234,"c":"cat-3","m1":42,"m2":123.5,"send":1767225609999}`, want},
		{"json unknown nested field ignored", `{"extra":{"a":[1,2,"x"]},"id":"dev1-7","di":"dev1","dt":1767225601234,"c":"cat-3","m1":42,"m2":123.5}`, want},
		{"json m2 integer literal", `{"id":"dev1-7","di":"dev1","dt":1767225601234,"c":"cat-3","m1":42,"m2":123}`,
			engine.Event{ID: "dev1-7", Device: "dev1", Time: 1767225601234, Category: "cat-3", M1: 42, M2: 123}},
		{"json m2 exponent", `{"id":"dev1-7","di":"dev1","dt":1767225601234,"c":"cat-3","m1":42,"m2":1.235e2}`, want},
		{"json negative dt (before 1970)", `{"id":"dev1-7","di":"dev1","dt":-5001,"c":"cat-3","m1":42,"m2":123.5}`,
			engine.Event{ID: "dev1-7", Device: "dev1", Time: -5001, Category: "cat-3", M1: 42, M2: 123.5}},
		{"pipe form", `dev1-7|dev1|1767225601234|cat-3|42|123.5`, want},
		{"pipe form trailing newline", "dev1-7|dev1|1767225601234|cat-3|42|123.5\r\n", want},
		{"pipe form integer m2", `dev1-7|dev1|1767225601234|cat-3|42|0`,
			engine.Event{ID: "dev1-7", Device: "dev1", Time: 1767225601234, Category: "cat-3", M1: 42, M2: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := engine.DecodeEvent([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeEvent(%q) error: %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("DecodeEvent(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeEventMalformed(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ``},
		{"blank", "  \n\t"},
		{"not json, no pipes", `hello world`},
		{"broken json", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":1`},
		{"json array", `[1,2,3]`},
		{"json null literal", `null`},
		{"json empty object", `{}`},
		{"missing id", `{"di":"d","dt":1,"c":"cat-1","m1":1,"m2":1.5}`},
		{"missing di", `{"id":"a","dt":1,"c":"cat-1","m1":1,"m2":1.5}`},
		{"missing dt", `{"id":"a","di":"d","c":"cat-1","m1":1,"m2":1.5}`},
		{"missing c", `{"id":"a","di":"d","dt":1,"m1":1,"m2":1.5}`},
		{"missing m1", `{"id":"a","di":"d","dt":1,"c":"cat-1","m2":1.5}`},
		{"missing m2", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1}`},
		{"null id", `{"id":null,"di":"d","dt":1,"c":"cat-1","m1":1,"m2":1.5}`},
		{"null di", `{"id":"a","di":null,"dt":1,"c":"cat-1","m1":1,"m2":1.5}`},
		{"null dt", `{"id":"a","di":"d","dt":null,"c":"cat-1","m1":1,"m2":1.5}`},
		{"null c", `{"id":"a","di":"d","dt":1,"c":null,"m1":1,"m2":1.5}`},
		{"null m1", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":null,"m2":1.5}`},
		{"null m2", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":null}`},
		{"id is a number", `{"id":7,"di":"d","dt":1,"c":"cat-1","m1":1,"m2":1.5}`},
		{"empty id", `{"id":"","di":"d","dt":1,"c":"cat-1","m1":1,"m2":1.5}`},
		{"m1 fractional", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1.5,"m2":1.5}`},
		{"m1 exponent", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1e1,"m2":1.5}`},
		{"m1 quoted string", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":"1","m2":1.5}`},
		{"m1 bool", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":true,"m2":1.5}`},
		{"m1 overflows int64", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":99999999999999999999,"m2":1.5}`},
		{"m2 string", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":"1.5"}`},
		{"m2 object", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":{}}`},
		{"m2 overflows float64", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":1e400}`},
		{"m2 NaN bare", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":NaN}`},
		{"m2 NaN quoted", `{"id":"a","di":"d","dt":1,"c":"cat-1","m1":1,"m2":"NaN"}`},
		{"dt non-numeric string", `{"id":"a","di":"d","dt":"yesterday","c":"cat-1","m1":1,"m2":1.5}`},
		{"dt empty string", `{"id":"a","di":"d","dt":"","c":"cat-1","m1":1,"m2":1.5}`},
		{"dt fractional", `{"id":"a","di":"d","dt":1.5,"c":"cat-1","m1":1,"m2":1.5}`},
		{"dt fractional string", `{"id":"a","di":"d","dt":"1.5","c":"cat-1","m1":1,"m2":1.5}`},
		{"dt bool", `{"id":"a","di":"d","dt":false,"c":"cat-1","m1":1,"m2":1.5}`},
		{"pipe 5 fields", `a|d|1|cat-1|1`},
		{"pipe 7 fields", `a|d|1|cat-1|1|1.5|x`},
		{"pipe 1 field", `a`},
		{"pipe only separators", `|||||`},
		{"pipe empty id", `|d|1|cat-1|1|1.5`},
		{"pipe dt non-numeric", `a|d|noon|cat-1|1|1.5`},
		{"pipe m1 fractional", `a|d|1|cat-1|1.5|1.5`},
		{"pipe m2 text", `a|d|1|cat-1|1|abc`},
		{"pipe m2 empty", `a|d|1|cat-1|1|`},
		{"pipe m2 NaN", `a|d|1|cat-1|1|NaN`},
		{"pipe m2 nan lower", `a|d|1|cat-1|1|nan`},
		{"pipe m2 Inf", `a|d|1|cat-1|1|Inf`},
		{"pipe m2 -Infinity", `a|d|1|cat-1|1|-Infinity`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := engine.DecodeEvent([]byte(tc.in))
			if err == nil {
				t.Fatalf("DecodeEvent(%q) = %+v, want an error", tc.in, got)
			}
			if !errors.Is(err, engine.ErrMalformed) {
				t.Fatalf("DecodeEvent(%q) error %v does not wrap ErrMalformed", tc.in, err)
			}
			if got != (engine.Event{}) {
				t.Fatalf("DecodeEvent(%q) returned a non-zero event %+v with its error", tc.in, got)
			}
		})
	}
}

func TestEventAppendJSONRoundTrip(t *testing.T) {
	ids := []string{
		"dev1-1",
		`quote"inside`,
		`back\slash`,
		`both\"mixed"\`,
		"newline\nand\rcr\ttab",
		"nul\x00bell\x07esc\x1bunit\x1f",
		"del\x7f",
		"unicode-é-→-😀",
		"line sep \u2028 para sep \u2029",
		"</script><b>&amp;",
		"{\"id\":\"fake\"}",
		"pipe|inside",
	}
	for _, id := range ids {
		ev := engine.Event{ID: id, Device: id + "-dev", Time: 1767225601234, Category: "cat-2", M1: 99, M2: 499.875}
		b := ev.AppendJSON(nil)
		if !json.Valid(b) {
			t.Errorf("AppendJSON(%q) produced invalid JSON: %s", id, b)
			continue
		}
		var generic map[string]any
		if err := json.Unmarshal(b, &generic); err != nil {
			t.Errorf("encoding/json cannot read %s: %v", b, err)
			continue
		}
		if generic["id"] != id || generic["di"] != id+"-dev" {
			t.Errorf("encoding/json reads id %q di %q, want %q", generic["id"], generic["di"], id)
		}
		got, err := engine.DecodeEvent(b)
		if err != nil {
			t.Errorf("DecodeEvent(AppendJSON(%q)) error: %v", id, err)
			continue
		}
		if got != ev {
			t.Errorf("round trip of %q: got %+v, want %+v", id, got, ev)
		}
	}
}

func TestEventAppendJSONAppendsAndNumbers(t *testing.T) {
	prefix := []byte("prefix:")
	ev := engine.Event{ID: "d-1", Device: "d", Time: -1, Category: "cat-4", M1: 0, M2: 0.1}
	b := ev.AppendJSON(prefix)
	const want = `prefix:{"id":"d-1","di":"d","dt":-1,"c":"cat-4","m1":0,"m2":0.1}`
	if string(b) != want {
		t.Fatalf("AppendJSON = %s, want %s", b, want)
	}
	// Extreme values within the bounds survive exactly.
	for _, ev := range []engine.Event{
		{ID: "x", Device: "y", Time: engine.MaxTime, Category: "c", M1: -engine.MaxMeasure, M2: engine.MaxMeasure},
		{ID: "x", Device: "y", Time: -engine.MaxTime, Category: "c", M1: engine.MaxMeasure, M2: math.SmallestNonzeroFloat64},
		{ID: "x", Device: "y", Time: 0, Category: "c", M1: -5, M2: -0.000001},
	} {
		b := ev.AppendJSON(nil)
		if !json.Valid(b) {
			t.Errorf("invalid JSON %s", b)
		}
		got, err := engine.DecodeEvent(b)
		if err != nil || got != ev {
			t.Errorf("round trip %s: got %+v, %v; want %+v", b, got, err, ev)
		}
	}
	// Beyond them an event is malformed: window arithmetic and sums must not overflow.
	for _, ev := range []engine.Event{
		{ID: "x", Device: "y", Time: math.MaxInt64, Category: "c", M1: 1, M2: 1},
		{ID: "x", Device: "y", Time: math.MinInt64, Category: "c", M1: 1, M2: 1},
		{ID: "x", Device: "y", Time: 1, Category: "c", M1: math.MaxInt64, M2: 1},
		{ID: "x", Device: "y", Time: 1, Category: "c", M1: 1, M2: 1e21},
	} {
		if _, err := engine.DecodeEvent(ev.AppendJSON(nil)); !errors.Is(err, engine.ErrMalformed) {
			t.Errorf("%+v: err %v, want ErrMalformed", ev, err)
		}
	}
}

func TestEventAppendPipeRoundTrip(t *testing.T) {
	events := []engine.Event{
		{ID: "dev1-1", Device: "dev1", Time: 1767225601234, Category: "cat-1", M1: 0, M2: 0},
		{ID: "a b", Device: "d e", Time: -5001, Category: "cat-4", M1: 99, M2: 499.999},
		{ID: "é", Device: "→", Time: 0, Category: "cat-2", M1: 50, M2: 0.1},
		{ID: "x", Device: "y", Time: 1, Category: "cat-3", M1: 7, M2: 1e-7},
	}
	for _, ev := range events {
		b := ev.AppendPipe(nil)
		got, err := engine.DecodeEvent(b)
		if err != nil {
			t.Errorf("DecodeEvent(%q) error: %v", b, err)
			continue
		}
		if got != ev {
			t.Errorf("pipe round trip %q: got %+v, want %+v", b, got, ev)
		}
	}
	got := string(engine.Event{ID: "d-9", Device: "d", Time: 1000, Category: "cat-1", M1: 3, M2: 2.5}.AppendPipe([]byte(">")))
	if got != ">d-9|d|1000|cat-1|3|2.5" {
		t.Fatalf("AppendPipe = %q", got)
	}
}

func TestAppendJSONStringEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"é", `"é"`},
	}
	for _, tc := range tests {
		got := string(engine.AppendJSONString(nil, tc.in))
		if got != tc.want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != tc.in {
			t.Errorf("encoding/json reads %s as %q (%v), want %q", got, back, err, tc.in)
		}
	}
	// Every byte below 0x20 is escaped.
	for c := 0; c < 0x20; c++ {
		s := "x" + string(rune(c)) + "y"
		b := engine.AppendJSONString(nil, s)
		if !json.Valid(b) {
			t.Errorf("control byte %#x: invalid JSON %q", c, b)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("control byte %#x: read back %q (%v)", c, back, err)
		}
	}
}
