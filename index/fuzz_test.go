package index

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/db/dbtest"
)

// Whatever is typed in the search box, search answers without an error:
// quotes, FTS5 operators, LIKE wildcards and stray bytes are text to look
// for, never syntax. And every result holds what was asked for.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{"ada@example.com", "0177", "zoe akes", `"`, `a" OR "b`, "NEAR(ab cd)", "ab*", "%_%", `\`,
		"^ab", "ab:cd", "(217) 555-0177", "1001", "@", "-", "é", "\x00ab", "a AND b", "ab NOT cd", "{ab}",
		"a_b_c_d@e", "_@x_y", `pc%t\back@`, "a%@", `""@`, "ada@example.com\""} {
		f.Add(seed)
	}
	s, err := Open(context.Background(), dbtest.SQLite(f))
	if err != nil {
		f.Fatal(err)
	}
	customers, contacts := tenant()
	ctx := context.Background()
	if err := s.Apply(ctx, Page{Feed: FeedCustomers, Customers: customers, Next: "c1"}); err != nil {
		f.Fatal(err)
	}
	if err := s.Apply(ctx, Page{Feed: FeedContacts, Contacts: contacts, Next: "k1"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !utf8.ValidString(raw) || len(raw) > 200 {
			t.Skip()
		}
		q := ParseQuery(raw)
		// A query that runs for seconds over five customers would be a
		// finding too: the deadline turns a hang into an error.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		res, err := s.Search(ctx, q, 1, 20)
		if err != nil {
			t.Fatalf("Search(%q): %v", raw, err)
		}
		if len(res.Results) > 20 || len(res.Results) > res.Total {
			t.Errorf("Search(%q): %d results of %d", raw, len(res.Results), res.Total)
		}
		if q.Empty() && len(res.Results) != 0 {
			t.Errorf("Search(%q) found %d customers from an empty query", raw, len(res.Results))
		}
		for _, r := range res.Results {
			// An email, whole or part, is found as typed: `_` and `%` match
			// themselves only.
			if q.Email != "" && (r.Contact == nil || !strings.Contains(valueKey(r.Contact.Type, r.Contact.Value), q.Email)) {
				t.Errorf("Search(%q) found %+v", raw, r)
			}
		}
	})
}
