package engine

import (
	"cmp"
	"math"
	"slices"
)

// window is one open tumbling window: its cells and their sums.
type window struct {
	end   int64
	fired bool
	index map[int32]int32 // cell number → position in cells/aggs
	cells []int32
	aggs  []Agg
	batch map[string]struct{} // micro-batch: ids seen in this batch
	shed  bool                // a key was shed (MaxKeys): its results are incomplete
}

// window returns the open window ending at end, creating it in order; nil
// when it would be new and the key cap is reached (its first key would be
// shed anyway).
func (e *Engine) window(end int64) *window {
	if end == e.lastEnd && e.lastWin != nil {
		return e.lastWin
	}
	if w, ok := e.windows[end]; ok {
		e.lastEnd, e.lastWin = end, w
		return w
	}
	if e.openCells >= e.keyCap {
		return nil
	}
	var w *window
	if n := len(e.free); n > 0 {
		w, e.free = e.free[n-1], e.free[:n-1]
		w.end = end
	} else {
		w = &window{end: end, index: make(map[int32]int32)}
	}
	e.windows[end] = w
	i, _ := slices.BinarySearch(e.ends, end)
	e.ends = slices.Insert(e.ends, i, end)
	if e.cfg.Mode == EventTime && e.wm != None && end <= e.wm {
		// A window first seen after the watermark passed its end (but
		// before it closed) is born fired.
		w.fired = true
		e.nFired++
	}
	w.shed = e.shedLo <= end && end <= e.shedHi
	e.lastEnd, e.lastWin = end, w
	return w
}

// add folds ev into its cell of w and returns the cell's position in w, or
// -1 when the key is new to w (or w is nil) and the key cap is reached:
// the event is then to be shed.
func (e *Engine) add(w *window, ev *Event) int {
	full := e.openCells >= e.keyCap
	var c int32
	switch {
	case w == nil:
		return -1
	case !full:
		c = e.cellT.ID(ev.Device, ev.Category)
	default: // number no new pair: the table must not grow with shed keys
		var ok bool
		if c, ok = e.cellT.Lookup(ev.Device, ev.Category); !ok {
			return -1
		}
	}
	cl := &e.cellT.cells[c]
	i := cl.lastPos
	if cl.lastEnd != w.end || int(i) >= len(w.cells) || w.cells[i] != c {
		var ok bool
		if i, ok = w.index[c]; !ok {
			if full {
				return -1
			}
			i = int32(len(w.cells))
			w.index[c] = i
			w.cells = append(w.cells, c)
			w.aggs = append(w.aggs, Agg{})
			e.openCells++
		}
		cl.lastEnd, cl.lastPos = w.end, i
	}
	w.aggs[i].Add(ev.M1, ev.M2)
	return int(i)
}

func (e *Engine) emit(w *window, i int) {
	c := e.cellT.Cell(w.cells[i])
	e.out = append(e.out, Result{
		Key:        Key{Device: c.device, Category: c.category, WindowEnd: w.end},
		Agg:        w.aggs[i],
		Engine:     e.cfg.Name,
		Incomplete: e.incomplete || w.shed,
	})
	e.stats.Emitted++
}

// fire emits every cell of w, ordered by device then category.
func (e *Engine) fire(w *window) {
	order := make([]int, len(w.cells))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ca, cb := e.cellT.Cell(w.cells[a]), e.cellT.Cell(w.cells[b])
		if c := cmp.Compare(ca.device, cb.device); c != 0 {
			return c
		}
		return cmp.Compare(ca.category, cb.category)
	})
	for _, i := range order {
		e.emit(w, i)
	}
	w.fired = true
	e.emitted = max(e.emitted, w.end)
}

// close drops a window from the index (and the one-window cache), once
// it has fired or can no longer take events.
func (e *Engine) close(w *window) {
	delete(e.windows, w.end)
	e.openCells -= len(w.cells)
	if e.lastWin == w {
		e.lastWin, e.lastEnd = nil, None
	}
	// Recycled: a steady stream then allocates nothing per window.
	if len(e.free) < maxFree {
		clear(w.index)
		w.cells, w.aggs, w.batch, w.fired, w.shed = w.cells[:0], w.aggs[:0], nil, false, false
		e.free = append(e.free, w)
	}
}

// maxFree bounds the windows kept for reuse.
const maxFree = 16

// Flush fires and closes every open window: the end of a bounded input.
// Anything ingested afterwards is late.
func (e *Engine) Flush() {
	e.flushAll()
	e.seen.Clear() // every window is closed: no id needs remembering
	if e.cfg.Mode == EventTime {
		e.wm = math.MaxInt64
	}
	e.flushed = true
}

func (e *Engine) flushAll() {
	for _, end := range e.ends {
		w := e.windows[end]
		if !w.fired {
			e.fire(w)
		}
		if e.cfg.Mode == EventTime {
			e.close(w)
		}
	}
	clear(e.windows)
	e.lastWin, e.lastEnd = nil, None
	e.ends = e.ends[:0]
	e.nFired = 0
	e.openCells = 0
	e.shedLo, e.shedHi = math.MaxInt64, None // every window they covered is closed
	e.releaseCells()
}

// FlushIncomplete is Flush for an input that did not end (the engine is
// stopped early): open windows are emitted marked Incomplete, so a
// comparator keeps them pending rather than judging partial sums.
func (e *Engine) FlushIncomplete() {
	e.incomplete = true
	e.Flush()
	e.incomplete = false
}

// Flushed reports whether Flush has ended the input.
func (e *Engine) Flushed() bool { return e.flushed }
