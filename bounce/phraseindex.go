package bounce

import "strings"

// phraseIndex finds every phrase of every reason in a text in one pass
// (an Aho-Corasick automaton over the phrase pieces), so deciding a reason
// costs one scan of the text instead of one search per phrase. It is built
// once, at package initialisation, and never written afterwards, so it is
// safe for concurrent use.
type phraseIndex struct {
	class  [256]uint8 // byte → alphabet class; 0 is "no phrase uses this byte"
	nclass int
	next   []uint16  // state*nclass + class → next state
	out    [][]int32 // state → pieces that end here (including by suffix)
	pieces []string

	// Per rule (a reason or another phrase list): the single-piece phrases
	// as a bit set over pieces, and the ordered multi-piece phrases.
	single  map[string][]uint64
	ordered map[string][]orderedPhrase
}

type orderedPhrase struct {
	phrase string
	pieces []int32
}

// maxPieces bounds the distinct phrase pieces of one index, so the set of
// pieces found in a text fits a fixed array and costs no allocation.
const maxPieces = 1024

// matches is the set of pieces found in one text.
type matches struct {
	text string
	bits [maxPieces / 64]uint64
}

func newPhraseIndex(rules map[string][]string) *phraseIndex {
	ix := &phraseIndex{single: map[string][]uint64{}, ordered: map[string][]orderedPhrase{}}
	ids := map[string]int32{}
	pieceID := func(p string) int32 {
		if id, ok := ids[p]; ok {
			return id
		}
		id := int32(len(ix.pieces))
		ids[p] = id
		ix.pieces = append(ix.pieces, p)
		return id
	}
	type pending struct {
		rule   string
		single int32
		op     orderedPhrase
	}
	var all []pending
	for rule, ps := range rules {
		for _, p := range ps {
			if !strings.Contains(p, "*") {
				all = append(all, pending{rule: rule, single: pieceID(p)})
				continue
			}
			op := orderedPhrase{phrase: p}
			for _, piece := range strings.Split(p, "*") {
				if piece != "" {
					op.pieces = append(op.pieces, pieceID(piece))
				}
			}
			all = append(all, pending{rule: rule, single: -1, op: op})
		}
	}
	if len(ix.pieces) > maxPieces {
		panic("bounce: phrase index exceeds maxPieces")
	}
	words := (len(ix.pieces) + 63) / 64
	for _, p := range all {
		if p.single >= 0 {
			bits := ix.single[p.rule]
			if bits == nil {
				bits = make([]uint64, words)
				ix.single[p.rule] = bits
			}
			bits[p.single/64] |= 1 << (p.single % 64)
			continue
		}
		ix.ordered[p.rule] = append(ix.ordered[p.rule], p.op)
	}
	ix.build()
	return ix
}

// build constructs the automaton: a trie of the pieces, then failure links
// folded into a complete transition table.
func (ix *phraseIndex) build() {
	for _, p := range ix.pieces {
		for i := 0; i < len(p); i++ {
			if ix.class[p[i]] == 0 {
				ix.nclass++
				ix.class[p[i]] = uint8(ix.nclass)
			}
		}
	}
	ix.nclass++ // class 0
	n := ix.nclass
	ix.next = make([]uint16, n) // state 0: the root
	ix.out = [][]int32{nil}
	for id, p := range ix.pieces {
		s := 0
		for i := 0; i < len(p); i++ {
			c := int(ix.class[p[i]])
			t := ix.next[s*n+c]
			if t == 0 {
				if len(ix.out) > 0xffff {
					panic("bounce: phrase index exceeds 65535 states")
				}
				t = uint16(len(ix.out))
				ix.out = append(ix.out, nil)
				ix.next = append(ix.next, make([]uint16, n)...)
				ix.next[s*n+c] = t
			}
			s = int(t)
		}
		ix.out[s] = append(ix.out[s], int32(id))
	}
	// Breadth-first: a missing edge goes where the failure state's edge goes.
	fail := make([]uint16, len(ix.out))
	queue := make([]uint16, 0, len(ix.out))
	for c := 1; c < n; c++ {
		if t := ix.next[c]; t != 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := int(queue[0])
		queue = queue[1:]
		ix.out[s] = append(ix.out[s], ix.out[fail[s]]...)
		for c := 1; c < n; c++ {
			t := ix.next[s*n+c]
			f := ix.next[int(fail[s])*n+c]
			if t != 0 {
				fail[t] = f
				queue = append(queue, t)
				continue
			}
			ix.next[s*n+c] = f
		}
	}
}

// scan finds the pieces in lower (already lowercase).
func (ix *phraseIndex) scan(lower string) matches {
	m := matches{text: lower}
	n := ix.nclass
	s := 0
	for i := 0; i < len(lower); i++ {
		s = int(ix.next[s*n+int(ix.class[lower[i]])])
		for _, id := range ix.out[s] {
			m.bits[id/64] |= 1 << (id % 64)
		}
	}
	return m
}

func (m matches) has(id int32) bool { return m.bits[id/64]&(1<<(id%64)) != 0 }

// includes reports whether the text has one of the rule's phrases.
func (ix *phraseIndex) includes(rule string, m matches) bool {
	if m.text == "" {
		return false
	}
	for i, b := range ix.single[rule] {
		if b&m.bits[i] != 0 {
			return true
		}
	}
	for _, op := range ix.ordered[rule] {
		all := true
		for _, id := range op.pieces {
			if !m.has(id) {
				all = false
				break
			}
		}
		if all && matchPhrase(m.text, op.phrase) {
			return true
		}
	}
	return false
}

// each calls fn with the end offset of every piece occurrence in lower, in
// text order, until fn returns false.
func (ix *phraseIndex) each(lower string, fn func(id int32, end int) bool) {
	n := ix.nclass
	s := 0
	for i := 0; i < len(lower); i++ {
		s = int(ix.next[s*n+int(ix.class[lower[i]])])
		for _, id := range ix.out[s] {
			if !fn(id, i+1) {
				return
			}
		}
	}
}
