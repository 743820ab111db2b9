package index

import (
	"slices"
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"lovlace", "lovelace", 2, 1},
		{"grcae", "grace", 2, 1}, // two letters swapped: one edit
		{"hoper", "hopper", 2, 1},
		{"smith", "smyth", 2, 1},
		{"lvlace", "lovelace", 2, 2},
		{"lvlace", "lovelace", 1, 2}, // beyond the limit: limit+1
		{"ada", "ada", 0, 0},
		{"", "abc", 5, 3},
		{"zoë", "zoe", 1, 1},
		{"kitten", "sitting", 3, 3},
		{"abcdefgh", "a", 2, 3}, // lengths alone say it is too far
	} {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

// A word within its allowed edits of a name's keeps one of its pieces as
// typed, each long enough for the trigram index.
func TestNearPieces(t *testing.T) {
	for _, tt := range []struct {
		word  string
		edits int
		want  []string
	}{
		{"lovlace", 1, []string{"lov", "lace"}},
		{"hoper", 1, []string{"hop", "per"}},
		{"christophe", 2, []string{"chr", "ist", "ophe"}},
		{"ab", 1, nil},
	} {
		if got := nearPieces(tt.word, tt.edits); !slices.Equal(got, tt.want) {
			t.Errorf("nearPieces(%q, %d) = %q, want %q", tt.word, tt.edits, got, tt.want)
		}
	}
	for _, name := range []string{"lovelace", "lovlace", "lovelacf", "ovelace", "lovelacee"} {
		pieces := nearPieces("lovelace", 1)
		if editDistance("lovelace", name, 1) <= 1 && !slices.ContainsFunc(pieces, func(p string) bool { return strings.Contains(name, p) }) {
			t.Errorf("%q is one edit from lovelace but holds none of %q", name, pieces)
		}
	}
}
