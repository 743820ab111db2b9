package index

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
)

// Query is what was typed in the search box, read as a clue.
type Query struct {
	// Raw is the text as typed.
	Raw string
	// IDs are a customer or contact id the text may be (digits only,
	// short).
	IDs []int64
	// Digits are the digits of a phone number or part of one (4 or more).
	Digits string
	// Email is an email address or part of one (the text holds an @).
	Email string
	// Words are name, street, city, zip or memo words, folded.
	Words []string
}

// ParseQuery reads the search box: an id, a phone number in any format
// or any 4+ of its digits, an email (whole or part), or words.
func ParseQuery(raw string) Query {
	q := Query{Raw: strings.TrimSpace(raw)}
	switch {
	case strings.Contains(q.Raw, "@"):
		q.Email = strings.ToLower(strings.Join(strings.Fields(q.Raw), ""))
	case isNumeric(q.Raw):
		digits := client.Digits(q.Raw)
		if digits == q.Raw && len(digits) <= 12 {
			if id, err := strconv.ParseInt(digits, 10, 64); err == nil && id > 0 {
				q.IDs = []int64{id}
			}
		}
		if len(digits) == 11 && digits[0] == '1' {
			digits = digits[1:] // +1 (217) 555-0177
		}
		if len(digits) >= 4 {
			q.Digits = digits
		}
	default:
		q.Words = words(fold(q.Raw))
	}
	return q
}

// isNumeric reports whether s is a number as people write one: digits and
// the punctuation of phone numbers.
func isNumeric(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsDigit(r) && !strings.ContainsRune(" ()-.+", r)
	}) < 0 && client.Digits(s) != ""
}

// Empty reports whether the query gives nothing to look for.
func (q Query) Empty() bool {
	return len(q.IDs) == 0 && q.Digits == "" && q.Email == "" && len(q.Words) == 0
}

// Rank orders results: exact matches first.
type Rank int

// The ranks, best first.
const (
	// RankExact: the customer's or a contact's id, a whole phone number, a
	// whole email address.
	RankExact Rank = iota
	// RankName: every word is in the customer's name.
	RankName
	// RankOther: a street, city, zip or memo word, part of a number or of
	// an email.
	RankOther
)

// Result is a customer the query found.
type Result struct {
	Customer Customer
	// Contact is the contact that matched, if one did.
	Contact *Contact
	// Location is the customer's service location that matched (its
	// name, address or id), or whose contact matched; nil when the
	// customer or its own contact did.
	Location *Location
	Rank     Rank
	// Field says what matched: "id", "name", "address", "value", "memo"
	// (of the location when Location is set), or "near" (a name close to
	// the words typed).
	Field string
}

// Results is a page of results.
type Results struct {
	Results []Result
	// Total counts the customers found (at most maxCandidates).
	Total int
	// More reports whether a later page has results.
	More bool
	// Near: nobody's name or address holds the words as typed; these
	// customers' names are close to them ("lovlace": Lovelace).
	Near bool
}

// maxCandidates bounds the rows a query considers: more than anyone pages
// through, few enough to rank in a moment.
const maxCandidates = 1000

// candidate is a customer a query found, with what ranks it: its name
// and whether it is active, and what matched (a contact, a location, the
// customer). Search ranks candidates and reads only its page's whole.
type candidate struct {
	customerID int64
	name       string
	active     bool
	rank       Rank
	field      string
	// contactID is the contact that matched, or 0; locationID its
	// location, or the location that matched, or 0.
	contactID, locationID int64
}

// Search finds customers matching q; page counts from 1, size results each.
//
// It works in two steps, so that a query finding a thousand customers
// reads no more of each than ranking needs. First the candidates: the
// contacts, customers and locations holding the words (up to
// maxCandidates of each, from the full-text tables: words where a word
// must begin one, trigrams where any part of a number or an email
// counts), each read with its customer's name and active flag in one
// query. They are judged, ranked
// and paged; then only the page's customers, contacts and locations are
// read whole.
func (s *Store) Search(ctx context.Context, q Query, page, size int) (Results, error) {
	found := map[int64]*candidate{}
	add := func(c candidate) {
		if have, ok := found[c.customerID]; !ok || c.rank < have.rank {
			found[c.customerID] = &c
		}
	}
	for _, id := range q.IDs {
		if c, err := s.customer(ctx, id); err == nil {
			add(candidate{customerID: c.ID, name: c.Name, active: c.Active, rank: RankExact, field: "id"})
		}
		if ct, err := s.contact(ctx, id); err == nil {
			if c, err := s.customer(ctx, ct.CustomerID); err == nil {
				add(candidate{customerID: c.ID, name: c.Name, active: c.Active, rank: RankExact, field: "id",
					contactID: ct.ID, locationID: ct.LocationID})
			}
		}
		if l, err := s.Location(ctx, id); err == nil {
			if c, err := s.customer(ctx, l.CustomerID); err == nil {
				add(candidate{customerID: c.ID, name: c.Name, active: c.Active, rank: RankExact, field: "id", locationID: l.ID})
			}
		}
	}
	var contacts []matchedContact
	var err error
	switch {
	case q.Digits != "":
		contacts, err = s.contactsMatching(ctx, s.matching, substrings([]string{q.Digits}), nil)
	case q.Email != "":
		contacts, err = s.contactsWithEmail(ctx, fold(q.Email))
	case len(q.Words) > 0:
		contacts, err = s.contactsMatching(ctx, s.wordsMatching, substrings(q.Words), nil)
	}
	if err != nil {
		return Results{}, err
	}
	for _, ct := range contacts {
		if rank, field, ok := q.judgeContact(ct.kind, ct.key, ct.memo); ok {
			add(candidate{customerID: ct.customerID, name: ct.customerName, active: ct.customerActive, rank: rank, field: field,
				contactID: ct.id, locationID: ct.locationID})
		}
	}
	if len(q.Words) > 0 || q.Digits != "" {
		// A zip or a house number is digits too.
		terms := q.Words
		if q.Digits != "" {
			terms = []string{client.Digits(q.Raw)}
		}
		byName, err := s.customersStarting(ctx, terms)
		if err != nil {
			return Results{}, err
		}
		for _, c := range byName {
			if hasWordsStarting(fold(c.Name), terms) {
				add(candidate{customerID: c.ID, name: c.Name, active: c.Active, rank: RankName, field: "name"})
			} else if hasWordsStarting(customerSearch(c), terms) {
				add(candidate{customerID: c.ID, name: c.Name, active: c.Active, rank: RankOther, field: "address"})
			}
		}
		// A location by its name or address (a house number is digits),
		// a customer's active location before one it sold or merged away.
		places, err := s.locationsMatching(ctx, substrings(terms))
		if err != nil {
			return Results{}, err
		}
		for _, l := range places {
			c := candidate{customerID: l.customerID, name: l.customerName, active: l.customerActive, rank: RankOther, locationID: l.id}
			if hasWordsStarting(fold(l.name), terms) {
				c.field = "name"
				add(c)
			} else if hasWordsStarting(l.search, terms) {
				c.field = "address"
				add(c)
			}
		}
	}

	near := false
	if len(found) == 0 && len(q.Words) > 0 {
		similar, err := s.customersNear(ctx, q.Words)
		if err != nil {
			return Results{}, err
		}
		for _, c := range similar {
			add(candidate{customerID: c.ID, name: c.Name, active: c.Active, rank: RankName, field: "near"})
			near = true
		}
	}

	// Names are folded once each, not at every comparison: a query may
	// find a thousand customers.
	type sortable struct {
		*candidate
		folded string
	}
	all := make([]sortable, 0, len(found))
	for _, c := range found {
		all = append(all, sortable{c, fold(c.name)})
	}
	slices.SortFunc(all, func(a, b sortable) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), boolOrder(b.active, a.active),
			strings.Compare(a.folded, b.folded), cmp.Compare(a.customerID, b.customerID))
	})
	res := Results{Total: len(all), Near: near}
	// A page far past the end is empty: its offset is not computed, so no
	// page number can overflow it.
	start := len(all)
	if size > 0 && max(page, 1)-1 < len(all)/size+1 {
		start = min((max(page, 1)-1)*size, len(all))
	}
	end := min(start+size, len(all))
	res.More = end < len(all)
	shown := make([]*candidate, 0, end-start)
	for _, c := range all[start:end] {
		shown = append(shown, c.candidate)
	}
	if res.Results, err = s.readResults(ctx, shown); err != nil {
		return Results{}, err
	}
	return res, nil
}

// readResults reads a page's candidates whole: their customers, and the
// contacts and locations that matched. One changed since it was found (a
// customer or location gone, a contact removed) is left out.
func (s *Store) readResults(ctx context.Context, page []*candidate) ([]Result, error) {
	var customerIDs, contactIDs, locationIDs []int64
	for _, c := range page {
		customerIDs = append(customerIDs, c.customerID)
		if c.contactID != 0 {
			contactIDs = append(contactIDs, c.contactID)
		}
		if c.locationID != 0 {
			locationIDs = append(locationIDs, c.locationID)
		}
	}
	customers, err := s.customersByID(ctx, customerIDs)
	if err != nil {
		return nil, err
	}
	contacts, err := s.ContactsByID(ctx, contactIDs)
	if err != nil {
		return nil, err
	}
	locations, err := s.locationsByID(ctx, locationIDs)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, c := range page {
		cu, ok := customers[c.customerID]
		if !ok {
			continue
		}
		r := Result{Customer: cu, Rank: c.rank, Field: c.field}
		if c.contactID != 0 {
			ct, ok := contacts[c.contactID]
			if !ok {
				continue
			}
			r.Contact = &ct
		}
		if c.locationID != 0 {
			l, ok := locations[c.locationID]
			if !ok && r.Contact == nil {
				continue
			}
			if ok {
				r.Location = &l
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// judgeContact says whether a candidate contact really matches (the SQL
// found substrings; words must begin words), and how well: kind is its
// type, key its value as compared (valueKey), memo its memo.
func (q Query) judgeContact(kind client.ContactType, key, memo string) (Rank, string, bool) {
	switch {
	case q.Digits != "":
		if !kind.IsPhoneNumber() || !strings.Contains(key, q.Digits) {
			return 0, "", false
		}
		if key == q.Digits {
			return RankExact, "value", true
		}
		return RankOther, "value", true
	case q.Email != "":
		if kind != client.ContactEmail || !strings.Contains(key, q.Email) {
			return 0, "", false
		}
		if key == q.Email {
			return RankExact, "value", true
		}
		return RankOther, "value", true
	case len(q.Words) > 0:
		if hasWordsStarting(fold(memo), q.Words) {
			return RankOther, "memo", true
		}
	}
	return 0, "", false
}

// substrings are the terms long enough for the trigram index (three
// characters or more); shorter ones are left to the check after the query
// (judgeContact, hasWordsStarting).
func substrings(terms []string) []string {
	var out []string
	for _, t := range terms {
		if utf8.RuneCountInString(t) >= 3 {
			out = append(out, t)
		}
	}
	return out
}

// phrase is an FTS5 phrase matching s as it is: in a trigram table, the
// rows holding s.
func phrase(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// matcher makes the query of the ids of the rows of a table that hold
// terms (and confirm), at most maxCandidates of them: matching or
// wordsMatching. Its placeholders are `?` (the caller rebinds the query
// it is part of).
type matcher func(table string, terms, confirm []string) (string, []any)

// matching is the query of the ids of the rows of table whose search
// text holds every one of terms and of confirm, each as typed (`_`, `%`
// and `\` are characters, never wildcards), at most maxCandidates of them.
// Its placeholders are `?` (the caller rebinds the query it is part of).
//
// PostgreSQL's pg_trgm index serves escaped LIKE patterns. SQLite's FTS5
// trigram table does not (LIKE with ESCAPE, or with `_` taken as a
// wildcard, scans every row: `a_b_c_d@e` took 1.27 s over 890,000
// contacts), so it is asked for each term as a quoted phrase with MATCH,
// and the rows found are checked for each of confirm with instr (a whole
// email, whose domain many addresses share, is looked for this way).
func (s *Store) matching(table string, terms, confirm []string) (string, []any) {
	limit := " LIMIT " + strconv.Itoa(maxCandidates)
	var args []any
	if s.dialect == db.SQLite {
		phrases := make([]string, len(terms))
		for i, t := range terms {
			phrases[i] = phrase(t)
		}
		args = append(args, strings.Join(phrases, " "))
		checks := ""
		for _, c := range confirm {
			checks += " AND instr(search, ?) > 0"
			args = append(args, c)
		}
		return `SELECT rowid FROM ` + table + `_fts WHERE ` + table + `_fts MATCH ?` + checks + limit, args
	}
	likes := make([]string, 0, len(terms)+len(confirm))
	for _, t := range append(slices.Clip(terms), confirm...) {
		likes = append(likes, "search LIKE ?")
		args = append(args, db.ContainsPattern(t))
	}
	return `SELECT id FROM ` + table + ` WHERE ` + strings.Join(likes, " AND ") + limit, args
}

// wordsMatching is the query of the ids of the rows of table whose search
// text holds every one of terms, at most maxCandidates of them, where
// the caller checks that each term begins a word (hasWordsStarting): on
// SQLite, the rows with a word beginning with each term, from the
// table's words (table_words, one prefix query a term), which are the
// rows that check keeps; elsewhere, or for a term of other characters
// than a to z and digits, matching's. confirm must be empty.
//
// Only such terms are asked of the words table: its tokenizer (SQLite's
// unicode61) cuts text into words by Unicode tables of its own version,
// which may take a letter newer than they are for a space. Either way a
// word beginning with such a term begins one of its words too, so it
// finds every row the check keeps; a term holding another letter is
// looked for by its trigrams instead.
func (s *Store) wordsMatching(table string, terms, confirm []string) (string, []any) {
	if s.dialect != db.SQLite || len(confirm) > 0 || slices.ContainsFunc(terms, notPlainWord) {
		return s.matching(table, terms, confirm)
	}
	prefixes := make([]string, len(terms))
	for i, t := range terms {
		prefixes[i] = `"` + t[:min(len(t), longestPrefix)] + `"*`
	}
	return `SELECT rowid FROM ` + table + `_words WHERE ` + table + `_words MATCH ? LIMIT ` + strconv.Itoa(maxCandidates),
		[]any{strings.Join(prefixes, " ")}
}

// longestPrefix is the longest beginning of a word the words tables keep
// the rows of (their prefix indexes, 3 to 8 letters: a prefix query of
// a length they keep reads one list, where one of another length merges
// the lists of every word it begins, ten times slower for a common name).
// A longer term is asked for by its first 8 letters: the rows found hold
// its beginning, and search keeps those that hold all of it.
const longestPrefix = 8

// notPlainWord reports whether a folded word holds anything but a to z
// and digits.
func notPlainWord(w string) bool {
	return w == "" || strings.IndexFunc(w, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) >= 0
}

// matchedContact is a contact a query found, with what judging and
// ranking it need: its type, value key and memo, and its customer's name
// and active flag.
type matchedContact struct {
	id, customerID, locationID int64
	kind                       client.ContactType
	key, memo                  string
	customerName               string
	customerActive             bool
}

// contactsMatching reads the contacts (not removed) whose search text
// holds every one of terms and of confirm (as match finds them), each
// with its customer, in id order. Customers the index does not hold are
// left out.
func (s *Store) contactsMatching(ctx context.Context, match matcher, terms, confirm []string) ([]matchedContact, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	ids, args := match("index_contacts", terms, confirm)
	rows, err := s.searchQuery(ctx, s.rebind(`SELECT c.id, c.customer_id, c.location_id, c.kind, c.value_key, c.memo, cu.name, cu.active
		FROM index_contacts c JOIN index_customers cu ON cu.id = c.customer_id
		WHERE c.removed = `+s.boolean(false)+` AND c.id IN (`+ids+`) ORDER BY c.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("index: search contacts: %w", err)
	}
	defer rows.Close()
	var out []matchedContact
	for rows.Next() {
		var m matchedContact
		var kind string
		if err := rows.Scan(&m.id, &m.customerID, &m.locationID, &kind, &m.key, &m.memo, &m.customerName, &m.customerActive); err != nil {
			return nil, fmt.Errorf("index: search contacts: %w", err)
		}
		m.kind, _ = client.ParseContactType(kind)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: search contacts: %w", err)
	}
	return out, nil
}

// searchQuery runs q, one of search's candidate queries, on the readers.
// On SQLite it runs through a statement prepared once and kept: parsing
// them took some 5% of the CPU of a search for four digits (three
// queries a search). Their texts are a few (a table, a matcher, an email
// to confirm or not; the terms are arguments). PostgreSQL's driver keeps
// its own.
func (s *Store) searchQuery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s.dialect != db.SQLite {
		return s.reads.Handle().QueryContext(ctx, q, args...)
	}
	return s.reads.Query(ctx, q, args...)
}

// contactsWithEmail reads the contacts whose search text holds email
// (folded), whole or part of an address. On SQLite the trigram index is
// asked for the part before the @ (with it), and the rows it finds are
// checked for the whole: the domain is common to many addresses, and
// walking its trigrams' long lists took most of such a search's time
// (some 30 ms of 36 over a million contacts).
func (s *Store) contactsWithEmail(ctx context.Context, email string) ([]matchedContact, error) {
	local, _, _ := strings.Cut(email, "@")
	if s.dialect != db.SQLite || utf8.RuneCountInString(local) < 2 {
		return s.contactsMatching(ctx, s.matching, substrings([]string{email}), nil)
	}
	return s.contactsMatching(ctx, s.matching, []string{local + "@"}, []string{email})
}

// customersLike reads the customers whose name or address holds every term.
func (s *Store) customersLike(ctx context.Context, terms []string) ([]Customer, error) {
	return s.customersMatching(ctx, s.matching, terms)
}

// customersStarting reads the customers whose name or address holds
// every term, where the caller checks that each begins a word of it (see
// wordsMatching).
func (s *Store) customersStarting(ctx context.Context, terms []string) ([]Customer, error) {
	return s.customersMatching(ctx, s.wordsMatching, terms)
}

// customersMatching reads the customers whose name or address holds
// every term (as match finds them).
func (s *Store) customersMatching(ctx context.Context, match matcher, terms []string) ([]Customer, error) {
	terms = substrings(terms)
	if len(terms) == 0 {
		return nil, nil
	}
	ids, args := match("index_customers", terms, nil)
	rows, err := s.searchQuery(ctx, s.rebind(`SELECT `+customerColumns+` FROM index_customers WHERE id IN (`+ids+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("index: search customers: %w", err)
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("index: search customers: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const customerColumns = `id, name, kind, street, unit, city, state, zip, active, modified_us`

const contactColumns = `id, customer_id, location_id, kind, value, memo, do_not_text, preferences, created_us, modified_us, removed, problem`

type scanner interface{ Scan(dest ...any) error }

func scanCustomer(r scanner) (Customer, error) {
	var c Customer
	var modified int64
	err := r.Scan(&c.ID, &c.Name, &c.Type, &c.Address.Street, &c.Address.Unit, &c.Address.City, &c.Address.State, &c.Address.Zip,
		&c.Active, &modified)
	c.ModifiedOn = fromMicros(modified)
	return c, err
}

func scanContact(r scanner) (Contact, error) {
	var c Contact
	var kind string
	var doNotText sql.NullBool
	var prefs sql.NullString
	var created, modified int64
	err := r.Scan(&c.ID, &c.CustomerID, &c.LocationID, &kind, &c.Value, &c.Memo, &doNotText, &prefs, &created, &modified, &c.Removed, &c.Problem)
	if err != nil {
		return c, err
	}
	c.Type, _ = client.ParseContactType(kind)
	if doNotText.Valid {
		c.PhoneSettings = &client.PhoneSettings{PhoneNumber: c.Value, DoNotText: doNotText.Bool}
	}
	if prefs.Valid {
		var p client.Preferences
		if json.Unmarshal([]byte(prefs.String), &p) == nil {
			c.Preferences = &p
		}
	}
	c.CreatedOn, c.ModifiedOn = fromMicros(created), fromMicros(modified)
	return c, nil
}

func (s *Store) queryContacts(ctx context.Context, q string, args ...any) ([]Contact, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("index: read contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("index: read contacts: %w", err)
		}
		if !c.Removed {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// customersByID reads customers by id.
func (s *Store) customersByID(ctx context.Context, ids []int64) (map[int64]Customer, error) {
	out := map[int64]Customer{}
	for chunk := range slices.Chunk(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := s.rebind(`SELECT ` + customerColumns + ` FROM index_customers WHERE id IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`)
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("index: read customers: %w", err)
		}
		for rows.Next() {
			c, err := scanCustomer(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("index: read customers: %w", err)
			}
			out[c.ID] = c
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("index: read customers: %w", err)
		}
	}
	return out, nil
}

func (s *Store) customer(ctx context.Context, id int64) (Customer, error) {
	c, err := scanCustomer(s.db.QueryRowContext(ctx, s.rebind(`SELECT `+customerColumns+` FROM index_customers WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return c, ErrNotFound
	}
	return c, err
}

func (s *Store) contact(ctx context.Context, id int64) (Contact, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts WHERE id = ?`), id))
	if err == sql.ErrNoRows || err == nil && c.Removed {
		return c, ErrNotFound
	}
	return c, err
}

// Customer reads one customer from the index.
func (s *Store) Customer(ctx context.Context, id int64) (Customer, error) { return s.customer(ctx, id) }

// Contacts reads a customer's own contacts from the index, in id order
// (its locations' are LocationContacts).
func (s *Store) Contacts(ctx context.Context, customerID int64) ([]Contact, error) {
	return s.queryContacts(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts WHERE customer_id = ? AND location_id = 0 ORDER BY id`), customerID)
}

// PrimaryPhones reads the first phone number (by contact id) of each of
// the customers, their own (not a location's), in one query: search results show it, so that customers
// of one name can be told apart. A customer without one is left out.
func (s *Store) PrimaryPhones(ctx context.Context, customerIDs []int64) (map[int64]Contact, error) {
	out := map[int64]Contact{}
	for chunk := range slices.Chunk(customerIDs, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		contacts, err := s.queryContacts(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts WHERE customer_id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`) AND location_id = 0 ORDER BY id`), args...)
		if err != nil {
			return nil, err
		}
		for _, ct := range contacts {
			if _, ok := out[ct.CustomerID]; !ok && ct.Type.IsPhoneNumber() {
				out[ct.CustomerID] = ct
			}
		}
	}
	return out, nil
}
