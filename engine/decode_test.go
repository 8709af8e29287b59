package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// sameDecode checks the scanner against encoding/json on one input: both
// reject it, or both accept it with the same event. (encoding/json also
// matches keys case-insensitively; inputs with such keys are not given.)
func sameDecode(t testing.TB, in []byte) {
	t.Helper()
	fast, ferr := NewDecoder().Decode(in)
	std, serr := decodeJSONEventStd(bytes.TrimSpace(in))
	if (ferr == nil) != (serr == nil) {
		t.Fatalf("%q: scanner err %v, encoding/json err %v", in, ferr, serr)
	}
	if ferr == nil && fast != std {
		t.Fatalf("%q: scanner %+v, encoding/json %+v", in, fast, std)
	}
}

var decodeSeeds = []string{
	`{"id":"d-1","di":"d","dt":1767225601234,"c":"cat-3","m1":42,"m2":381.230831563}`,
	` { "id" : "d-1" , "di" : "d" , "dt" : "1767225601234" , "c" : "cat-3" , "m1" : 0 , "m2" : 0 } `,
	`{"id":"d\"1","di":"d\\x","dt":-5,"c":"c\u00e9","m1":-1,"m2":-1.5e3}`,
	`{"m2":1E-2,"m1":7,"c":"c","dt":"12","di":"x","id":"y","send":1767225601300}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":1,"extra":{"k":[1,2,{"z":"}"}]},"more":[true,false,null]}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":1,"id":"second"}`,
	`{"id":null,"di":"b","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":null,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":1.5,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":"1.5","c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":"1","m2":1}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":"1"}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1.0,"m2":1}`,
	`{"id":"a","di":"b","dt":012,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":1} x`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":1,}`,
	`{"id":"a" "di":"b"}`,
	`{"id":"","di":"b","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":1,"di":"b","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":99999999999999999999,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":1e400}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":-}`,
	`{"id":"a\tb","di":"b","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"a","di":"b","dt":1,"c":"c","m1":1,"m2":1,"x":{"unclosed":[}`,
	`{}`, `{"`, `{"id"`, `{"id":`, `[1]`,
	// Invalid UTF-8 in id, device and category: U+FFFD for each bad byte.
	"{\"id\":\"a\xffb\",\"di\":\"d\xc3\",\"dt\":1,\"c\":\"c\xed\xa0\x80\",\"m1\":1,\"m2\":1}",
	"{\"id\":\"\xf0\x9f\x98\",\"di\":\"\xc0\xaf\",\"dt\":1,\"c\":\"\xe2\x82\xac\xfe\",\"m1\":1,\"m2\":1}",
	"{\"id\":\"x\",\"di\":\"d\xff\\u00e9\",\"dt\":1,\"c\":\"c\",\"m1\":1,\"m2\":1}", // with an escape: the slow path
	// Lengths: 256 bytes are accepted, 257 are not (counted after U+FFFD).
	`{"id":"` + strings.Repeat("i", 256) + `","di":"` + strings.Repeat("d", 256) + `","dt":1,"c":"` + strings.Repeat("c", 256) + `","m1":1,"m2":1}`,
	`{"id":"` + strings.Repeat("i", 257) + `","di":"d","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"` + strings.Repeat("d", 257) + `","dt":1,"c":"c","m1":1,"m2":1}`,
	`{"id":"i","di":"d","dt":1,"c":"` + strings.Repeat("c", 257) + `","m1":1,"m2":1}`,
	"{\"id\":\"i\",\"di\":\"" + strings.Repeat("\xff", 86) + "\",\"dt\":1,\"c\":\"c\",\"m1\":1,\"m2\":1}",
}

func TestDecoderMatchesEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		sameDecode(t, []byte(s))
		// Every truncation too: malformed either way, never a panic.
		for i := range len(s) {
			sameDecode(t, []byte(s[:i]))
		}
	}
}

func TestDecoderInternsDevicesAndCategories(t *testing.T) {
	d := NewDecoder()
	a, err1 := d.Decode([]byte(`{"id":"x-1","di":"x","dt":1,"c":"cat-1","m1":1,"m2":1}`))
	b, err2 := d.Decode([]byte(`{"id":"x-2","di":"x","dt":2,"c":"cat-1","m1":1,"m2":1}`))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if a.Device != b.Device || a.Category != b.Category {
		t.Fatal("devices or categories differ")
	}
	if unsafeData(a.Device) != unsafeData(b.Device) || unsafeData(a.Category) != unsafeData(b.Category) {
		t.Error("the same device and category were not interned")
	}
	if unsafeData(a.ID) == unsafeData(b.ID) {
		t.Error("ids must not be shared")
	}
}

func FuzzDecoderMatchesEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// encoding/json matches keys case-insensitively (with Unicode
		// folding); the scanner does not. Inputs that could exercise that
		// difference are not compared.
		if bytes.IndexFunc(in, func(r rune) bool { return r >= 'A' && r <= 'Z' || r > 0x7f }) >= 0 {
			return
		}
		sameDecode(t, in)
	})
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

// rawJSONString quotes b for JSON escaping only what must be (quote,
// backslash, control characters): any other byte, valid UTF-8 or not,
// stays as it is, for the decoders to deal with.
func rawJSONString(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&sb, `\u%04x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// sameFields checks one rule for id, device and category across every
// decoder: the scanner, encoding/json and the pipe form read the same
// bytes as the same strings (each invalid UTF-8 byte as U+FFFD), and
// accept or reject them alike.
func sameFields(t *testing.T, id, dev, cat []byte) {
	t.Helper()
	line := []byte(`{"id":` + rawJSONString(id) + `,"di":` + rawJSONString(dev) + `,"dt":1,"c":` + rawJSONString(cat) + `,"m1":2,"m2":3}`)
	sameDecode(t, line)
	std, serr := decodeJSONEventStd(line)
	if serr == nil && (!utf8.ValidString(std.ID) || !utf8.ValidString(std.Device) || !utf8.ValidString(std.Category)) {
		t.Fatalf("%q: invalid UTF-8 decoded", line)
	}
	pipeable := true
	for _, f := range [][]byte{id, dev, cat} {
		pipeable = pipeable && !bytes.ContainsAny(f, "|") && len(bytes.TrimSpace(f)) == len(f)
	}
	if !pipeable || bytes.HasPrefix(id, []byte("{")) { // a line starting with '{' is read as JSON
		return
	}
	pipe := []byte(string(id) + "|" + string(dev) + "|1|" + string(cat) + "|2|3")
	pev, perr := DecodeEvent(pipe)
	if (perr == nil) != (serr == nil) {
		t.Fatalf("%q: pipe err %v, encoding/json err %v", pipe, perr, serr)
	}
	if perr == nil && pev != std {
		t.Fatalf("%q: pipe %+v, encoding/json %+v", pipe, pev, std)
	}
}

func TestDecodersReadInvalidUTF8Alike(t *testing.T) {
	for _, f := range [][3]string{
		{"a\xffb", "d\xc3", "c\xed\xa0\x80"},             // a stray byte, a cut sequence, a surrogate
		{"\xf0\x9f\x98", "\xc0\xaf", "\xe2\x82\xac\xfe"}, // a cut emoji, an overlong '/', € then 0xfe
		{"ok-1", "\x80\x80\x80", "cat-1"},
		{"é-1", "ü", "cat-\u2028"},
		{"i", strings.Repeat("\xff", 85), "c"}, // 255 bytes once replaced: accepted
		{"i", strings.Repeat("\xff", 86), "c"}, // 258: too long
	} {
		sameFields(t, []byte(f[0]), []byte(f[1]), []byte(f[2]))
	}
}

func FuzzDecodersReadFieldsAlike(f *testing.F) {
	f.Add([]byte("a\xffb"), []byte("d\xc3"), []byte("c\xed\xa0\x80"))
	f.Add([]byte("x"), []byte("\\\"\n"), []byte(strings.Repeat("c", 257)))
	f.Fuzz(func(t *testing.T, id, dev, cat []byte) { sameFields(t, id, dev, cat) })
}

// An over-long field is malformed, with a message naming it and its length.
func TestDecodeRejectsLongFields(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, c := range []struct{ field, line string }{
		{"id", `{"id":"` + long + `","di":"d","dt":1,"c":"c","m1":1,"m2":1}`},
		{"device (di)", `{"id":"i","di":"` + long + `","dt":1,"c":"c","m1":1,"m2":1}`},
		{"category (c)", `{"id":"i","di":"d","dt":1,"c":"` + long + `","m1":1,"m2":1}`},
		{"device (di)", "i|" + long + "|1|c|1|1"},
		{"device (di)", `{"id":"i","di":"` + long[:300] + `\u00e9","dt":1,"c":"c","m1":1,"m2":1}`},
	} {
		for name, decode := range map[string]func([]byte) (Event, error){"scanner": NewDecoder().Decode, "DecodeEvent": DecodeEvent, "encoding/json": DecodeEventStd} {
			if name == "encoding/json" && c.line[0] != '{' {
				continue
			}
			_, err := decode([]byte(c.line))
			want := fmt.Sprintf("%s is %d bytes, longer than the 256 allowed", c.field, len(c.line)-len(strings.ReplaceAll(c.line, "x", ""))+strings.Count(c.line, `\u00e9`)*2)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, %s of %d bytes: error %v, want ErrMalformed saying %q", name, c.field, len(c.line), err, want)
			}
		}
	}
	for _, c := range []struct{ field, line string }{
		{"device", `{"window_end":5000,"device":"` + long + `","category":"c","m1_sum":1}`},
		{"category", `{"window_end":5000,"device":"d","category":"` + long + `","m1_sum":1}`},
		{"engine", `{"window_end":5000,"device":"d","category":"c","m1_sum":1,"engine":"` + long + `"}`},
	} {
		_, err := DecodeResult([]byte(c.line))
		want := fmt.Sprintf("result: %s is %d bytes, longer than the 256 allowed", c.field, len(long))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
			t.Errorf("result %s of 1 MB: error %v, want ErrMalformed saying %q", c.field, err, want)
		}
	}
	ok := `{"window_end":5000,"device":"` + strings.Repeat("d", 256) + `","category":"c","m1_sum":1}`
	if _, err := DecodeResult([]byte(ok)); err != nil {
		t.Errorf("a 256-byte device rejected in a result: %v", err)
	}
}

// AppendJSONString writes valid UTF-8, each invalid byte as \ufffd: read
// back (by encoding/json or our decoders) it is the string as they read it.
func TestAppendJSONStringWritesValidUTF8(t *testing.T) {
	for _, s := range []string{"a\xffb", "\xc3", "\xed\xa0\x80", "\xf0\x9f\x98\x80 ok", "é\x80\"\\\n", ""} {
		out := AppendJSONString(nil, s)
		if !utf8.Valid(out) {
			t.Errorf("%q written as invalid UTF-8 %q", s, out)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != validUTF8String(s) {
			t.Errorf("%q written %q, read back %q (%v), want %q", s, out, back, err, validUTF8String(s))
		}
		if std, _ := json.Marshal(s); !bytes.Equal(out, std) && !strings.ContainsAny(s, "\"\\\n") {
			t.Errorf("%q written %q, encoding/json writes %q", s, out, std)
		}
	}
}

// With PackIDs the ids share blocks: every id decoded stays what it was
// while later events are decoded, long ids included, and decoding
// allocates far less than once per event.
func TestPackedIDsStayIntactAndAllocateLess(t *testing.T) {
	d := NewDecoder()
	d.PackIDs()
	var ids, want []string
	for i := range 5000 {
		id := fmt.Sprintf("dev-%d-%s", i, strings.Repeat("x", i%50))
		if i%1000 == 7 {
			id = strings.Repeat("L", 256) // the longest allowed
		}
		ev, err := d.Decode(Event{ID: id, Device: "d", Category: "c", Time: 1, M1: 1}.AppendJSON(nil))
		if err != nil {
			t.Fatal(err)
		}
		ids, want = append(ids, ev.ID), append(want, id)
	}
	if !slices.Equal(ids, want) {
		t.Fatal("a packed id changed after later events were decoded")
	}
	line := Event{ID: "0c0f403a-beca-77db1decc360-17", Device: "d", Category: "c", Time: 1, M1: 1}.AppendJSON(nil)
	if a := testing.AllocsPerRun(1000, func() { _, _ = d.Decode(line) }); a > 0.1 {
		t.Fatalf("%.2f allocations per decode with packed ids", a)
	}
}

// parseFloat is strconv.ParseFloat, bit for bit, on its fast path and off it.
func TestParseFloatMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	ins := []string{"0", "-0", "-0.0", "0.5", "5.", ".5", "1e3", "+5", "123456789012345", "1234567890123456",
		"0.0000000000000000000001", "0.00000000000000000000001", "20.172056831", "-469.363914301", "1.7976931348623157", "x", "1.2.3"}
	for range 200_000 {
		ins = append(ins, strconv.FormatFloat((r.Float64()-0.5)*math.Pow(10, float64(r.IntN(30)-12)), 'f', r.IntN(16), 64))
	}
	for _, in := range ins {
		want, werr := strconv.ParseFloat(in, 64)
		got, gerr := parseFloat([]byte(in))
		if (werr == nil) != (gerr == nil) || math.Float64bits(want) != math.Float64bits(got) {
			t.Fatalf("%q: got %v (%v), strconv %v (%v)", in, got, gerr, want, werr)
		}
	}
}
