package kafka

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// RunKey authenticates run tags and markers (SPEC §6): the roles of one run
// share it, so a record written by anyone else cannot move an engine or a
// comparator to a run its injector did not start, nor end or stall a run.
// A nil key authenticates nothing: every well-formed tag is taken at its
// word (a cluster without a shared key; README says what that exposes).
//
// The run header's value is the tag, then, with a key, "#" and a MAC:
// over the tag alone on an event (cheap, and an event only ever adds data to
// the run it names), over the tag, the marker's kind, value and partition on
// a marker (so a copied header cannot turn into an end or clock marker).
type RunKey []byte

// NewRunKey returns a random key, for roles in one process: 256 random
// bits in base64, so that written to a file it reads back the same through
// ParseRunKey (a watcher's --run-key-file).
func NewRunKey() (RunKey, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("run key: %w", err)
	}
	return RunKey(base64.RawURLEncoding.EncodeToString(b)), nil
}

// macLen is how many bytes of the HMAC-SHA256 a header carries: 96 bits,
// far beyond what a forger can guess by writing records.
const macLen = 12

// mac authenticates the parts, each preceded by its length: no two lists
// of parts are fed to the HMAC as the same bytes (with a separator, a kind
// "k\x00v" with value "w" was the kind "k" with value "v\x00w").
func (k RunKey) mac(parts ...string) string {
	h := hmac.New(sha256.New, k)
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:macLen])
}

// EventHeader is the run header's value on an event of tag.
func (k RunKey) EventHeader(tag string) string {
	if k == nil {
		return tag
	}
	return tag + "#" + k.mac("event", tag)
}

// MarkerHeader is the run header's value on a marker of tag: a header
// kind=value written to partition p.
func (k RunKey) MarkerHeader(tag, kind, value string, p int32) string {
	if k == nil {
		return tag
	}
	return tag + "#" + k.mac("marker", tag, kind, value, strconv.Itoa(int(p)))
}

// VerifyEvent returns the tag of an event's run header value, and whether it
// is authentic (with no key: whether it is a plain tag).
func (k RunKey) VerifyEvent(v string) (tag string, ok bool) {
	tag, sum, signed := strings.Cut(v, "#")
	if k == nil {
		return tag, !signed && tag != ""
	}
	return tag, signed && hmac.Equal([]byte(sum), []byte(k.mac("event", tag)))
}

// VerifyMarker is VerifyEvent for a marker kind=value read from partition p.
func (k RunKey) VerifyMarker(v, kind, value string, p int32) (tag string, ok bool) {
	tag, sum, signed := strings.Cut(v, "#")
	if k == nil {
		return tag, !signed && tag != ""
	}
	return tag, signed && hmac.Equal([]byte(sum), []byte(k.mac("marker", tag, kind, value, strconv.Itoa(int(p)))))
}

// ParseRunKey reads a shared key as given by a person (a file's content or
// an environment variable): at least 16 bytes once spaces are trimmed.
func ParseRunKey(s string) (RunKey, error) {
	s = strings.TrimSpace(s)
	if len(s) < 16 {
		return nil, fmt.Errorf("run key: %d bytes, want at least 16", len(s))
	}
	return RunKey(s), nil
}
