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

// The words tables (or, for a term they cannot hold, the trigram tables)
// find exactly the rows whose words begin with the terms, as search
// checks them (a customer's or a location's search text, a contact's
// memo), every row read one by one: every table, for words, their
// beginnings, their middles (none), several at once, and letters outside
// a to z, some newer than SQLite's Unicode tables.
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
		// What search checks a row's words against: a customer's or a
		// location's search text, a contact's memo (judgeContact).
		texts := map[int64]string{}
		column := "search"
		if table == "index_contacts" {
			column = "CASE WHEN removed THEN '' ELSE memo END"
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, `+column+` FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var text string
			if err := rows.Scan(&id, &text); err != nil {
				t.Fatal(err)
			}
			texts[id] = fold(text)
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
			for _, id := range slices.Sorted(maps.Keys(texts)) {
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
				t.Errorf("%s, %q: the words find %v; the rows, read one by one, %v", table, q, got, want)
			}
			checked++
		}
		if checked < 100 || byWords < checked/2 {
			t.Errorf("%s: %d queries checked, %d of them asked of the words table; the test wants more", table, checked, byWords)
		}
	}
}

// A contact's full-text tables hold what search finds it by
// (0008_contact_search_tables.sql): a query of words finds a contact by
// its memo whatever its value is (digits, an address, a value that folds
// to nothing), and never by its value; a query of digits or an address
// finds it by its value, and a word only trigrams find by its memo. Both
// tables stay true to their views through edits, a changed value and a
// removal (FTS5's integrity check compares them).
func TestContactSearchTablesHoldWhatSearchFinds(t *testing.T) {
	h := newSyncHarness(t, 20)
	s := h.store
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	owner := client.CustomerOwner(sandbox.SeedCustomerID)
	contacts := []client.Contact{
		{ID: 980001, Type: client.ContactPhone, Value: "(217) 555-0177", Memo: "Gate code 4321 at the back"},
		{ID: 980002, Type: client.ContactEmail, Value: "Zoe.Quill@example.com", Memo: "Site manager"},
		{ID: 980003, Type: client.ContactPhone, Value: "n/a", Memo: "Night line"},                 // no digits: its key is empty
		{ID: 980004, Type: client.ContactEmail, Value: "ÅÅ", Memo: "Back office"},                 // a key with no a to z
		{ID: 980005, Type: client.ContactMobilePhone, Value: "217 555 0199", Memo: ""},            // no memo
		{ID: 980006, Type: client.ContactPhone, Value: "217 555 0142", Memo: "Zoë Åkesson-Nuñez"}, // a word only trigrams find
	}
	for _, c := range contacts {
		c.ModifiedOn = time.Now()
		mustWrite(t, s, owner, c)
	}
	found := func(match matcher, terms ...string) []int64 {
		t.Helper()
		got, err := s.contactsMatching(ctx, match, terms, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range got {
			if c.id >= 980001 && c.id <= 980006 {
				ids = append(ids, c.id)
			}
		}
		return ids
	}
	check := func(when string, byWords, byTrigrams map[string][]int64) {
		t.Helper()
		for term, want := range byWords {
			if got := found(s.wordsMatching, term); !slices.Equal(got, want) {
				t.Errorf("%s: a query of words finds %v for %q, want %v", when, got, term, want)
			}
		}
		for term, want := range byTrigrams {
			if got := found(s.matching, term); !slices.Equal(got, want) {
				t.Errorf("%s: the trigrams find %v for %q, want %v", when, got, term, want)
			}
		}
		for _, table := range []string{"index_contacts_fts", "index_contacts_words"} {
			if _, err := s.db.ExecContext(ctx, `INSERT INTO `+table+` (`+table+`, rank) VALUES ('integrity-check', 1)`); err != nil {
				t.Fatalf("%s: %s is not its view's: %v", when, table, err)
			}
		}
	}
	check("written", map[string][]int64{
		"gate": {980001}, "back": {980001, 980004}, "site": {980002}, "manager": {980002}, "night": {980003}, "office": {980004},
		"akesson-nunez": {980006}, // asked of the trigrams
		// Values are found by their digits or address, never as words.
		"2175": nil, "217": nil, "zoe": {980006}, "quill": nil, "example": nil,
	}, map[string][]int64{
		"0177": {980001}, "5550": {980001, 980005, 980006}, "zoe.quill@": {980002}, "akesson-nunez": {980006},
		// A memo's words only the words table finds (a key with no a to
		// z keeps its whole text in both).
		"4321": nil, "gate": nil, "manager": nil, "office": {980004},
	})
	edited := contacts[0]
	edited.Value, edited.Memo, edited.ModifiedOn = "217-555-0100", "Gate code changed", time.Now()
	mustWrite(t, s, owner, edited)
	retyped := contacts[2]
	retyped.Value, retyped.ModifiedOn = "217 555 0143", time.Now() // its key no longer empty
	mustWrite(t, s, owner, retyped)
	mustRemove(t, s, owner, contacts[1].ID)
	check("edited and removed", map[string][]int64{"changed": {980001}, "night": {980003}, "site": nil},
		map[string][]int64{"0177": nil, "0100": {980001}, "0143": {980003}, "night": nil, "zoe.quill@": nil})
}
