package enginerun

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchPools lends the Kafka client the slices a fetched batch's records
// are decoded into and the buffers batches are decompressed into, so that
// a fetch allocates (and the collector frees) neither: they were two thirds
// of the bytes the engine role allocated. A batch's slices come back once
// each of its records is recycled (record.recycle), which the runner does
// as soon as it has copied what it keeps out of one. A record never
// recycled (its partition was revoked) only keeps its slices from coming
// back: the collector frees them.
type fetchPools struct {
	recs classPool[kgo.Record]
	bufs classPool[byte]
}

// newClientPools returns the pools the runner's client uses.
func newClientPools() kgo.Opt { return kgo.WithPools(&fetchPools{}) }

// GetRecords implements kgo.PoolRecords.
func (p *fetchPools) GetRecords(n int) []kgo.Record { return p.recs.get(n) }

// PutRecords implements kgo.PoolRecords.
func (p *fetchPools) PutRecords(s []kgo.Record) { p.recs.put(s) }

// GetDecompressBytes implements kgo.PoolDecompressBytes with a buffer the
// batch fits in: a snappy block starts with its decoded length; otherwise
// a guess (a buffer too small makes the codec allocate one of the right
// size, which then comes back here).
func (p *fetchPools) GetDecompressBytes(src []byte, codec kgo.CompressionCodecType) []byte {
	n := 4 * len(src)
	if codec == kgo.CodecSnappy && !bytes.HasPrefix(src, xerialPrefix) {
		if l, k := binary.Uvarint(src); k > 0 && l <= maxPooled {
			n = int(l)
		}
	}
	return p.bufs.get(n)
}

// xerialPrefix starts a snappy batch in the framed (xerial) form.
var xerialPrefix = []byte{130, 83, 78, 65, 80, 80, 89, 0}

// PutDecompressBytes implements kgo.PoolDecompressBytes.
func (p *fetchPools) PutDecompressBytes(b []byte) { p.bufs.put(b) }

// classPool pools slices by capacity, in powers of two.
type classPool[T any] struct {
	byClass [classes]sync.Pool
}

// classes bounds the capacities pooled: up to maxPooled elements.
const (
	classes   = 28
	maxPooled = 1<<(classes-1) - 1
)

// get returns an empty slice with room for n.
func (p *classPool[T]) get(n int) []T {
	if n > maxPooled {
		return make([]T, 0, n)
	}
	c := bits.Len(uint(max(n, 1) - 1)) // the smallest class with 1<<c ≥ n
	if s, ok := p.byClass[c].Get().(*[]T); ok {
		return (*s)[:0]
	}
	return make([]T, 0, 1<<c)
}

// put keeps s for a later get.
func (p *classPool[T]) put(s []T) {
	c := bits.Len(uint(cap(s))) - 1 // the largest class with 1<<c ≤ cap
	if c < 0 || c >= classes {
		return
	}
	s = s[:0]
	p.byClass[c].Put(&s)
}
