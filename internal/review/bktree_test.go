package review

// bkTree is the alternative docs/BENCHMARKS.md measures Index against: a
// Burkhard–Keller tree over Hamming distance. Kept in the tests only.
type bkTree struct {
	root *bkNode
}

type bkNode struct {
	hash     uint64
	children map[int]*bkNode
}

func (t *bkTree) add(h uint64) {
	if t.root == nil {
		t.root = &bkNode{hash: h}
		return
	}
	n := t.root
	for {
		d := Distance(n.hash, h)
		if d == 0 {
			return
		}
		c, ok := n.children[d]
		if !ok {
			if n.children == nil {
				n.children = map[int]*bkNode{}
			}
			n.children[d] = &bkNode{hash: h}
			return
		}
		n = c
	}
}

func (t *bkTree) near(h uint64, k int) int {
	if t.root == nil {
		return 0
	}
	found := 0
	stack := []*bkNode{t.root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d := Distance(n.hash, h)
		if d <= k {
			found++
		}
		for cd, c := range n.children {
			if cd >= d-k && cd <= d+k {
				stack = append(stack, c)
			}
		}
	}
	return found
}
