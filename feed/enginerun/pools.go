package enginerun

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"sync"
	"unsafe"

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

// classPool pools slices by capacity, in powers of two, keeping at most
// maxKeptBytes of them. Not a sync.Pool: that one is emptied by every
// collection, and while the role reads a backlog the collector runs
// several times a second (GOGC 25), so a third of the fetches allocated
// their slices anew. Gets come from the client's fetch goroutines, puts
// from the runner's loop: a mutex, taken once per batch, not per record.
type classPool[T any] struct {
	mu      sync.Mutex
	byClass [classes][][]T
	kept    int // bytes of the slices kept
}

// classes bounds the capacities pooled: up to maxPooled elements.
const (
	classes   = 28
	maxPooled = 1<<(classes-1) - 1
)

// maxKeptBytes bounds what a pool keeps: a few fetches' worth (a fetch
// brings at most fetchPartitionBytes of each partition), so a burst's
// slices are not kept for good.
const maxKeptBytes = 16 << 20

// get returns an empty slice with room for n.
func (p *classPool[T]) get(n int) []T {
	if n > maxPooled {
		return make([]T, 0, n)
	}
	c := bits.Len(uint(max(n, 1) - 1)) // the smallest class with 1<<c ≥ n
	p.mu.Lock()
	if k := len(p.byClass[c]); k > 0 {
		s := p.byClass[c][k-1]
		p.byClass[c][k-1] = nil
		p.byClass[c] = p.byClass[c][:k-1]
		p.kept -= sizeOf(s)
		p.mu.Unlock()
		return s
	}
	p.mu.Unlock()
	return make([]T, 0, 1<<c)
}

// put keeps s for a later get, unless the pool keeps enough already.
func (p *classPool[T]) put(s []T) {
	c := bits.Len(uint(cap(s))) - 1 // the largest class with 1<<c ≤ cap
	if c < 0 || c >= classes {
		return
	}
	size := sizeOf(s)
	p.mu.Lock()
	if p.kept+size <= maxKeptBytes {
		p.byClass[c] = append(p.byClass[c], s[:0])
		p.kept += size
	}
	p.mu.Unlock()
}

// sizeOf is the bytes of s's capacity.
func sizeOf[T any](s []T) int {
	var zero T
	return cap(s) * int(unsafe.Sizeof(zero))
}
