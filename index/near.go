package index

import (
	"context"
	"unicode/utf8"
)

// Names typed with a slip ("lovlace" for Lovelace) are found by edit
// distance, when the words as typed find nobody. The candidates come from
// the trigram index like any search: a word one edit away from a name's
// keeps at least one of two pieces of it intact (two edits, one of
// three), so the names holding a piece are the only ones to measure.
// Each piece is one query of at most maxCandidates rows; a piece common
// to more names than that may miss the one meant (see nearPieces).

// allowedEdits is how far a typed word may be from a name's word: none
// for short words (too many names are one letter from "ann"), one from
// five letters, two from nine.
func allowedEdits(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// nearPieces splits word into edits+1 pieces of at least three letters
// (the trigram index finds nothing shorter): a name word within edits of
// it holds at least one of them as typed. A piece shorter than three
// letters takes the letters beside it, which a slip there may break.
func nearPieces(word string, edits int) []string {
	r := []rune(word)
	parts := edits + 1
	var out []string
	for i := range parts {
		from, to := i*len(r)/parts, (i+1)*len(r)/parts
		for to-from < 3 {
			if to < len(r) {
				to++
			} else if from > 0 {
				from--
			} else {
				break
			}
		}
		if to-from >= 3 {
			out = append(out, string(r[from:to]))
		}
	}
	return out
}

// editDistance is the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and swaps of two letters side by
// side), counted up to limit+1: beyond the limit the exact figure does
// not matter.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], limit+1)
}

// nearName reports whether every query word begins a word of the folded
// name, or is within its allowed edits of one.
func nearName(name string, query []string) bool {
	have := words(name)
	for _, q := range query {
		found := false
		edits := allowedEdits(q)
		for _, w := range have {
			if len(w) >= len(q) && w[:len(q)] == q || edits > 0 && editDistance(q, w, edits) <= edits {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// customersNear reads the customers whose name is close to the query
// words: candidates by the pieces of the longest word that allows an
// edit, kept when every word begins or is near a word of the name.
func (s *Store) customersNear(ctx context.Context, query []string) ([]Customer, error) {
	longest := ""
	for _, w := range query {
		if allowedEdits(w) > 0 && utf8.RuneCountInString(w) > utf8.RuneCountInString(longest) {
			longest = w
		}
	}
	if longest == "" {
		return nil, nil
	}
	seen := map[int64]bool{}
	var out []Customer
	for _, piece := range nearPieces(longest, allowedEdits(longest)) {
		found, err := s.customersLike(ctx, []string{piece})
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			if !seen[c.ID] && nearName(fold(c.Name), query) {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}
