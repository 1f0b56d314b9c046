package review

import (
	"cmp"
	"slices"
	"sync"
)

// Hashed is one stored photo's perceptual hash and what it belongs to.
type Hashed struct {
	PhotoID    int64
	VisitID    int64
	BusinessID int64
	Hash       uint64
}

// Index finds the stored photos whose hash is within a Hamming distance of
// a new one. It splits the 64 bits into distance+1 bands and keeps a table
// per band: two hashes at most `distance` bits apart agree exactly on at
// least one band (pigeonhole), so looking up each band of the new hash
// finds every candidate, and checking the full distance keeps only the
// true ones. docs/BENCHMARKS.md compares it with a BK-tree at a million
// hashes; the bands win by two orders of magnitude at distances up to 10.
type Index struct {
	distance int
	shifts   []uint // each band's offset and width
	widths   []uint

	mu      sync.RWMutex
	entries []Hashed
	tables  []map[uint64][]int32
}

// NewIndex returns an empty index for lookups within distance bits
// (0–16; more would make every photo a candidate).
func NewIndex(distance int) *Index {
	distance = min(max(distance, 0), 16)
	n := distance + 1
	ix := &Index{distance: distance, tables: make([]map[uint64][]int32, n)}
	var off uint
	for i := range n {
		w := uint(64 / n)
		if i < 64%n {
			w++
		}
		ix.shifts, ix.widths = append(ix.shifts, off), append(ix.widths, w)
		off += w
		ix.tables[i] = map[uint64][]int32{}
	}
	return ix
}

func (ix *Index) band(h uint64, i int) uint64 {
	return (h >> ix.shifts[i]) & (1<<ix.widths[i] - 1)
}

// Add stores a photo's hash.
func (ix *Index) Add(e Hashed) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	pos := int32(len(ix.entries))
	ix.entries = append(ix.entries, e)
	for i := range ix.tables {
		b := ix.band(e.Hash, i)
		ix.tables[i][b] = append(ix.tables[i][b], pos)
	}
}

// Len is the number of hashes stored.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries)
}

// Near returns the stored photos within the index's distance of h, each
// once, by photo id.
func (ix *Index) Near(h uint64) []Hashed {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Hashed
	var seen map[int32]bool
	for i := range ix.tables {
		for _, pos := range ix.tables[i][ix.band(h, i)] {
			if Distance(ix.entries[pos].Hash, h) > ix.distance {
				continue
			}
			// A close pair usually agrees on several bands: report it once.
			if seen == nil {
				seen = map[int32]bool{}
			}
			if !seen[pos] {
				seen[pos] = true
				out = append(out, ix.entries[pos])
			}
		}
	}
	// Found band by band: order by photo so the answer does not depend on
	// which band found a photo first.
	slices.SortFunc(out, func(a, b Hashed) int { return cmp.Compare(a.PhotoID, b.PhotoID) })
	return out
}
