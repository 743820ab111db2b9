package index

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// idsOf runs a query of row ids.
func idsOf(t *testing.T, s *Store, q string, args []any) []int64 {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), s.rebind(q), args...)
	if err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// The words tables find exactly the rows the trigram tables find whose
// words begin with the terms (what search keeps of them): every table,
// for words, their beginnings, their middles (none), several at once,
// and letters outside a to z, some newer than SQLite's Unicode tables.
func TestWordsFindWhatTrigramsFindAtTheStartOfWords(t *testing.T) {
	h := newSyncHarness(t, 150)
	s := h.store
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	// Rows with what the generated tenant lacks.
	odd := []string{"Zoë Åkesson-Nuñez", "Straße 12", "Иван Петров", "Ωμέγα Δέλτα", "𞤀𞤣𞤤𞤢𞤥 Adlam", "ab𞤀cd abcd", "4112-B Meadow",
		"o'brien.smith@example.com", "ǅemal Ǆukić", "ｆｕｌｌ ｗｉｄｔｈ", "ⅷ roman", "x²y z₃"}
	for i, text := range odd {
		mustWrite(t, s, client.CustomerOwner(sandbox.SeedCustomerID), client.Contact{ID: 990001 + int64(i), Type: client.ContactEmail,
			Value: "odd" + string(rune('a'+i)) + "@example.com", Memo: text, ModifiedOn: time.Now()})
	}

	r := rand.New(rand.NewPCG(28, 28))
	for _, table := range []string{"index_customers", "index_contacts", "index_locations"} {
		texts := map[int64]string{}
		rows, err := s.db.QueryContext(ctx, `SELECT id, search FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var text string
			if err := rows.Scan(&id, &text); err != nil {
				t.Fatal(err)
			}
			texts[id] = text
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		// Query words: each word of some rows, its beginnings and its
		// middle; two of them together.
		var terms [][]string
		for _, text := range odd {
			for _, w := range words(fold(text)) {
				terms = append(terms, []string{w})
			}
		}
		for _, id := range slices.Sorted(maps.Keys(texts)) {
			text := texts[id]
			if r.IntN(10) > 0 && !strings.Contains(text, "odd") {
				continue
			}
			ws := words(text)
			for _, w := range ws {
				runes := []rune(w)
				for n := 3; n <= len(runes); n++ {
					terms = append(terms, []string{string(runes[:n])})
				}
				if len(runes) >= 5 {
					terms = append(terms, []string{string(runes[1:4])})
				}
			}
			if len(ws) >= 2 {
				terms = append(terms, []string{ws[0], ws[len(ws)-1]})
			}
		}
		checked, byWords := 0, 0
		for _, q := range terms {
			q = substrings(q)
			if len(q) == 0 {
				continue
			}
			var want []int64
			tri, args := s.matching(table, q, nil)
			for _, id := range idsOf(t, s, tri, args) {
				if hasWordsStarting(texts[id], q) {
					want = append(want, id)
				}
			}
			wq, args := s.wordsMatching(table, q, nil)
			if strings.Contains(wq, "_words") {
				byWords++
			}
			var got []int64
			for _, id := range idsOf(t, s, wq, args) {
				if hasWordsStarting(texts[id], q) {
					got = append(got, id)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, %q: the words find %v; the trigrams, checked, %v", table, q, got, want)
			}
			checked++
		}
		if checked < 100 || byWords < checked/2 {
			t.Errorf("%s: %d queries checked, %d of them asked of the words table; the test wants more", table, checked, byWords)
		}
	}
}
