package compare

// rowTree keeps entries in key order (window end, device, category) so a
// report lists the latest rows without copying or sorting the others. It is a
// treap whose links live in the entries: a row is in at most one tree (an
// exception is never incomplete), so the exception list and the pending list
// share the links and cost no allocation of their own.
type rowTree struct {
	root *entry
	n    int
	seq  uint64 // drives the deterministic priorities
}

// insert adds e, which must be in no tree.
func (t *rowTree) insert(e *entry) {
	t.seq++
	e.prio = mix(t.seq)
	t.root = insertAt(t.root, e)
	t.n++
}

// remove takes e, which must be in t, out of it.
func (t *rowTree) remove(e *entry) {
	t.root = removeAt(t.root, e)
	e.left, e.right = nil, nil
	t.n--
}

// mix is splitmix64's finaliser: well spread priorities with no random source,
// so the package stays pure and runs repeat.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func insertAt(root, e *entry) *entry {
	if root == nil {
		return e
	}
	if e.Key.Compare(root.Key) < 0 {
		root.left = insertAt(root.left, e)
		if root.left.prio > root.prio { // rotate right
			l := root.left
			root.left, l.right = l.right, root
			return l
		}
		return root
	}
	root.right = insertAt(root.right, e)
	if root.right.prio > root.prio { // rotate left
		r := root.right
		root.right, r.left = r.left, root
		return r
	}
	return root
}

func removeAt(root, e *entry) *entry {
	if root == nil {
		panic("compare: removing a row that is not listed")
	}
	if root == e {
		return join(e.left, e.right)
	}
	if e.Key.Compare(root.Key) < 0 {
		root.left = removeAt(root.left, e)
	} else {
		root.right = removeAt(root.right, e)
	}
	return root
}

// join merges two treaps, every key of a before every key of b.
func join(a, b *entry) *entry {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		a.right = join(a.right, b)
		return a
	default:
		b.left = join(a, b.left)
		return b
	}
}

// ascend calls fn on the entries in key order until fn returns false.
func (t *rowTree) ascend(fn func(*entry) bool) {
	var buf [64]*entry
	stack := buf[:0]
	for n := t.root; n != nil || len(stack) > 0; n = n.right {
		for ; n != nil; n = n.left {
			stack = append(stack, n)
		}
		n, stack = stack[len(stack)-1], stack[:len(stack)-1]
		if !fn(n) {
			return
		}
	}
}

// descend calls fn on the entries in reverse key order until fn returns false.
func (t *rowTree) descend(fn func(*entry) bool) {
	var buf [64]*entry
	stack := buf[:0]
	for n := t.root; n != nil || len(stack) > 0; n = n.left {
		for ; n != nil; n = n.right {
			stack = append(stack, n)
		}
		n, stack = stack[len(stack)-1], stack[:len(stack)-1]
		if !fn(n) {
			return
		}
	}
}
