package engine

// Keys: the state held per (window, device, category), its cap and its
// release when windows close (SPEC §3: state is bounded by open windows ×
// keys).

// shed drops ev, whose key is new to its window (end; w is nil when that
// window does not exist yet) while the key cap is reached. The window is
// marked so that all its results are emitted incomplete, and the shed key
// is emitted at once, empty and incomplete: a comparator keeps both
// pending instead of judging a sum that misses events.
func (e *Engine) shed(w *window, end int64, ev *Event) Outcome {
	if w != nil {
		w.shed = true
	} else {
		e.shedLo, e.shedHi = min(e.shedLo, end), max(e.shedHi, end)
	}
	e.out = append(e.out, Result{
		Key:        Key{Device: ev.Device, Category: ev.Category, WindowEnd: end},
		Engine:     e.cfg.Name,
		Incomplete: true,
	})
	e.stats.Emitted++
	return Shed
}

// minReleased is the size below which the cell table is never replaced.
const minReleased = 4096

// releaseCells replaces the cell table by one holding only the pairs of
// the open windows, renumbering their cells, once those are under a quarter
// of it: after a burst of new devices closed, their strings and slots are
// freed. A table only replaced when it has grown by three times what
// it keeps costs O(1) per pair numbered. The recycled windows go too (their
// indexes and slices are as large as the burst's windows).
func (e *Engine) releaseCells() {
	if n := e.cellT.Len(); n < minReleased || n < 4*e.openCells {
		return
	}
	t := newCellTable(e.cellT.seed)
	for _, end := range e.ends {
		w := e.windows[end]
		index := make(map[int32]int32, len(w.cells))
		for i, c := range w.cells {
			old := e.cellT.Cell(c)
			id := t.ID(old.device, old.category)
			w.cells[i], index[id] = id, int32(i)
		}
		w.index = index
	}
	e.cellT, e.free = t, nil
}
