package index

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
)

// Checker holds the hygiene rules the index applies to each contact it
// holds: Classify names a value's problem ("" for none; it is called from
// several goroutines at once), Key names the rules (when it changes, every
// contact is checked again).
type Checker struct {
	Key      string
	Classify func(t client.ContactType, value string) string
}

// SetChecker makes the index check contacts with c; set it before the
// Store is used.
func (s *Store) SetChecker(c Checker) { s.checker = &c }

// check classifies a contact written outside of a feed page at once: one
// row is cheap to check, and the hygiene report shows it as it is now.
func (s *Store) check(c *Contact) {
	if s.checker == nil {
		return
	}
	c.Problem, c.checked = "", true
	if !c.Removed {
		c.Problem = s.checker.Classify(c.Type, c.Value)
	}
}

// checkBatch is how many contacts one round of Check classifies and
// writes in one transaction.
var checkBatch = 2000 // a var for tests

// Check classifies the contacts not checked yet (the rows feeds brought
// since the last check, every row after the rules changed), a batch at a
// time, until none are left or ctx is done; it returns how many it
// checked. Feed pages are written unchecked so that a backfill goes at
// the pace of the database, not of the phone-number library.
func (s *Store) Check(ctx context.Context) (int, error) {
	if s.checker == nil {
		return 0, nil
	}
	// A first backfill's rows are checked once it has loaded them all
	// and the indexes the check writes through are made again.
	if loading, err := s.loading(ctx, s.db); err != nil || loading {
		return 0, err
	}
	values := classified{}
	total, err := s.firstCheck(ctx, values)
	if err != nil {
		return total, err
	}
	if err := s.recheckIfRulesChanged(ctx); err != nil {
		return total, err
	}
	for ctx.Err() == nil {
		n, err := s.checkFrom(ctx, values)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	return total, s.summarizeTouched(ctx)
}

// checked is a contact as the rules found it.
type checked struct {
	id           int64
	value, found string
	// held is the problem the row held when read.
	held string
}

// checkFrom checks the unchecked contacts in id order, once through, and
// returns how many it checked. Each batch is read, then classified while
// the one before it is written: the phone-number library and the
// database take about half of the time each.
func (s *Store) checkFrom(ctx context.Context, values classified) (int, error) {
	rows, err := s.uncheckedAfter(ctx, 0)
	if err != nil {
		return 0, err
	}
	return s.pipeline(ctx, rows, values, func(after int64) (unchecked, error) { return s.uncheckedAfter(ctx, after) }, s.writeChecks)
}

// pipeline classifies rows, then reads the batch after each one and
// classifies it while the one before it is written (the phone-number
// library and the database take about half of the time each), until a
// read comes back empty or ctx ends. It returns how many rows it wrote.
func (s *Store) pipeline(ctx context.Context, rows unchecked, values classified,
	read func(after int64) (unchecked, error), write func(context.Context, []checked) error) (int, error) {
	batch := s.classifyRows(rows, values)
	total := 0
	for len(batch) > 0 && ctx.Err() == nil {
		// Read before the batch is written: on SQLite one connection
		// serves both.
		rows, err := read(batch[len(batch)-1].id)
		if err != nil {
			return total, err
		}
		var next []checked
		done := make(chan struct{})
		go func() {
			defer close(done)
			next = s.classifyRows(rows, values)
		}()
		err = write(ctx, batch)
		<-done
		if err != nil {
			return total, err
		}
		total += len(batch)
		batch = next
	}
	return total, ctx.Err()
}

// unchecked is a batch of contacts to check as read, before the rules
// see them, with the problem each holds.
type unchecked struct {
	ids                     []int64
	kinds, values, problems []string
	removed                 []bool
}

// uncheckedAfter reads the next batch of unchecked contacts after id.
func (s *Store) uncheckedAfter(ctx context.Context, after int64) (unchecked, error) {
	return s.contactsAfter(ctx, `checked = `+s.boolean(false), after)
}

// contactsAfter reads the next batch of contacts where holds after id.
func (s *Store) contactsAfter(ctx context.Context, where string, after int64) (unchecked, error) {
	var u unchecked
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT id, kind, value, removed, problem FROM index_contacts
		WHERE `+where+` AND id > ? ORDER BY id LIMIT ?`), after, checkBatch)
	if err != nil {
		return u, fmt.Errorf("index: read contacts to check: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, value, problem string
		var removed bool
		if err := rows.Scan(&id, &kind, &value, &removed, &problem); err != nil {
			return u, fmt.Errorf("index: read contacts to check: %w", err)
		}
		u.ids = append(u.ids, id)
		u.kinds = append(u.kinds, kind)
		u.values = append(u.values, value)
		u.problems = append(u.problems, problem)
		u.removed = append(u.removed, removed)
	}
	if err := rows.Err(); err != nil {
		return u, fmt.Errorf("index: read contacts to check: %w", err)
	}
	return u, nil
}

// classifyRows applies the rules to rows read, each distinct value once:
// the values not classified before are shared out among the CPUs (the
// phone-number library is most of a first check's time once it writes
// only the problems it finds).
func (s *Store) classifyRows(u unchecked, values classified) []checked {
	batch := make([]checked, len(u.ids))
	var todo []classifiedKey
	waiting := map[classifiedKey][]int{}
	for i, id := range u.ids {
		batch[i] = checked{id: id, value: u.values[i], held: u.problems[i]}
		if u.removed[i] {
			continue
		}
		k := classifiedKey{u.kinds[i], u.values[i]}
		if found, ok := values[k]; ok {
			batch[i].found = found
			continue
		}
		if _, ok := waiting[k]; !ok {
			todo = append(todo, k)
		}
		waiting[k] = append(waiting[k], i)
	}
	found := make([]string, len(todo))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(todo)/100))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for j := w * len(todo) / workers; j < (w+1)*len(todo)/workers; j++ {
				t, _ := client.ParseContactType(todo[j].kind)
				found[j] = s.checker.Classify(t, todo[j].value)
			}
		})
	}
	wg.Wait()
	for j, k := range todo {
		values.keep(k, found[j])
		for _, i := range waiting[k] {
			batch[i].found = found[j]
		}
	}
	return batch
}

// recheckIfRulesChanged marks every contact unchecked when the rules the
// rows were checked under are not the Checker's.
func (s *Store) recheckIfRulesChanged(ctx context.Context) error {
	var key string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM index_settings WHERE name = 'hygiene_rules'`).Scan(&key)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("index: read the hygiene rules: %w", err)
	}
	if err == nil && key == s.checker.Key {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: check again: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// An unchecked row has no problem yet: a check writes only the rows
	// it finds one in.
	if _, err := tx.ExecContext(ctx, `UPDATE index_contacts SET checked = `+s.boolean(false)+`, problem = ''
		WHERE checked = `+s.boolean(true)); err != nil {
		return fmt.Errorf("index: check again: %w", err)
	}
	if err := s.summarizeWhole(ctx, tx); err != nil {
		return fmt.Errorf("index: check again: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO index_settings (name, value) VALUES ('hygiene_rules', ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`), s.checker.Key); err != nil {
		return fmt.Errorf("index: check again: %w", err)
	}
	return tx.Commit()
}

// classified remembers what the rules said of each value during one
// Check: a value many contacts hold (a placeholder, an office's number) is
// classified once, not once a row. It is bounded: past maxClassified
// values it starts again empty.
type classified map[classifiedKey]string

type classifiedKey struct{ kind, value string }

// maxClassified bounds a Check's memory of values (about 100 bytes each).
const maxClassified = 1 << 16

// keep remembers what the rules said of a value.
func (c classified) keep(k classifiedKey, found string) {
	if len(c) >= maxClassified {
		clear(c)
	}
	c[k] = found
}

// checkProblemQuery writes a problem found in a row whose value is still
// the one classified.
func checkProblemQuery(s *Store) string {
	return `UPDATE index_contacts SET problem = ?, checked = ` + s.boolean(true) + `
			WHERE id = ? AND value = ? AND checked = ` + s.boolean(false)
}

// writeChecks writes what the rules found in a batch. A row found with
// a problem that changed after it was read (its value differs) stays
// unchecked for the next round.
func (s *Store) writeChecks(ctx context.Context, batch []checked) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: write checks: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// A row with a problem is written with it, unless its value changed
	// since it was read: then it stays unchecked for the next round.
	var changed []any
	for _, r := range batch {
		if r.found == "" {
			continue
		}
		res, err := s.execIn(ctx, tx, s.rebind(checkProblemQuery(s)), r.found, r.id, r.value)
		if err != nil {
			return fmt.Errorf("index: write checks: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			changed = append(changed, r.id)
		}
	}
	// Most rows have no problem: the batch's range is marked checked at
	// once. The rows unchecked in it are the batch's: a row the app wrote
	// meanwhile is checked already and stays as it wrote it, and feed
	// pages are not written while a pass checks.
	q := `UPDATE index_contacts SET checked = ` + s.boolean(true) + ` WHERE checked = ` + s.boolean(false) + ` AND id >= ? AND id <= ?`
	args := []any{batch[0].id, batch[len(batch)-1].id}
	if len(changed) > 0 {
		q += ` AND id NOT IN (?` + strings.Repeat(", ?", len(changed)-1) + `)`
		args = append(args, changed...)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(q), args...); err != nil {
		return fmt.Errorf("index: write checks: %w", err)
	}
	return tx.Commit()
}

// Unchecked counts the contacts the rules have not seen as they are now:
// those marked unchecked, and those the first check after a backfill has
// not reached yet.
func (s *Store) Unchecked(ctx context.Context) (int, error) {
	var n, ahead int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM index_contacts WHERE checked = `+s.boolean(false)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("index: count unchecked contacts: %w", err)
	}
	var from string
	err = s.db.QueryRowContext(ctx, s.rebind(`SELECT value FROM index_settings WHERE name = ?`), firstCheckSetting).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return n, nil
	}
	after, perr := strconv.ParseInt(from, 10, 64)
	if err = cmp.Or(err, perr); err != nil {
		return 0, fmt.Errorf("index: count unchecked contacts: %w", err)
	}
	err = s.db.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM index_contacts WHERE id > ? AND checked = `+s.boolean(true)), after).
		Scan(&ahead)
	if err != nil {
		return 0, fmt.Errorf("index: count unchecked contacts: %w", err)
	}
	return n + ahead, nil
}

// firstCheckSetting names, in index_settings, the first check after a
// backfill still to do, and the last contact it has checked.
const firstCheckSetting = "first_check"

// firstCheck classifies the contacts a first backfill wrote, after it:
// they are written as checked (and with no problem), so the check reads
// every contact once in id order, a batch at a time, and writes only
// those whose problem is not the one the row holds; where it stands is
// kept with each batch, so a check cut short goes on from there. It does
// nothing when no first check is left. Contacts marked unchecked are left
// to the check that follows it.
func (s *Store) firstCheck(ctx context.Context, values classified) (int, error) {
	var from sql.NullString
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT value FROM index_settings WHERE name = ?`), firstCheckSetting).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("index: the first check: %w", err)
	}
	after, err := strconv.ParseInt(from.String, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("index: the first check: where it stands: %w", err)
	}
	// The rows are classified under the rules of now: with other rules
	// than those kept, the check starts again from the first contact.
	var key string
	err = s.db.QueryRowContext(ctx, `SELECT value FROM index_settings WHERE name = 'hygiene_rules'`).Scan(&key)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("index: the first check: the hygiene rules: %w", err)
	}
	if err != nil || key != s.checker.Key {
		after = 0
		if err := s.keepRules(ctx, after); err != nil {
			return 0, err
		}
	}
	read := func(after int64) (unchecked, error) {
		return s.contactsAfter(ctx, `TRUE`, after)
	}
	rows, err := read(after)
	if err != nil {
		return 0, err
	}
	total, err := s.pipeline(ctx, rows, values, read, s.writeFirstChecks)
	if err != nil {
		return total, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return total, fmt.Errorf("index: the first check: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM index_settings WHERE name = ?`), firstCheckSetting); err != nil {
		return total, fmt.Errorf("index: the first check: %w", err)
	}
	if err := s.summarizeWhole(ctx, tx); err != nil {
		return total, fmt.Errorf("index: the first check: %w", err)
	}
	return total, tx.Commit()
}

// keepRules records the Checker's rules as those the rows are checked
// under, and the first check as standing after contact after.
func (s *Store) keepRules(ctx context.Context, after int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: the first check: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for name, value := range map[string]string{"hygiene_rules": s.checker.Key, firstCheckSetting: strconv.FormatInt(after, 10)} {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO index_settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value); err != nil {
			return fmt.Errorf("index: the first check: %w", err)
		}
	}
	return tx.Commit()
}

// writeFirstChecks writes what the first check found in a batch: the
// problem of each row whose problem it is not (most rows have none, and
// hold none), unless its value changed since it was read (the app wrote
// it, and checked it then); and where the check stands.
func (s *Store) writeFirstChecks(ctx context.Context, batch []checked) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: write checks: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, r := range batch {
		if r.found == r.held {
			continue
		}
		if _, err := s.execIn(ctx, tx, s.rebind(firstCheckProblemQuery), r.found, r.id, r.value); err != nil {
			return fmt.Errorf("index: write checks: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE index_settings SET value = ? WHERE name = ?`),
		strconv.FormatInt(batch[len(batch)-1].id, 10), firstCheckSetting); err != nil {
		return fmt.Errorf("index: write checks: %w", err)
	}
	return tx.Commit()
}

// firstCheckProblemQuery writes a problem the first check found in a row
// whose value is still the one classified.
const firstCheckProblemQuery = `UPDATE index_contacts SET problem = ? WHERE id = ? AND value = ?`

// Listed is a contact as a report lists it, with its customer.
type Listed struct {
	Contact
	CustomerName   string
	CustomerActive bool
	// Location is the contact's service location (a location's contact),
	// as the index holds it; zero for a customer's own contact.
	Location Location
}

// ProblemCounts counts the contacts (not removed) with each problem.
func (s *Store) ProblemCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT problem, COUNT(*) FROM index_contacts
		WHERE problem <> '' AND removed = `+s.boolean(false)+` GROUP BY problem`)
	if err != nil {
		return nil, fmt.Errorf("index: count problems: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var problem string
		var n int
		if err := rows.Scan(&problem, &n); err != nil {
			return nil, fmt.Errorf("index: count problems: %w", err)
		}
		counts[problem] = n
	}
	return counts, rows.Err()
}

// listedColumns are contactColumns of c, the customer's name and state,
// and the location's id, name, street and unit (empty for a customer's own
// contact).
var listedColumns = "c." + strings.ReplaceAll(contactColumns, ", ", ", c.") + ", COALESCE(cu.name, ''), COALESCE(cu.active, " + "%s)" +
	", COALESCE(lo.id, 0), COALESCE(lo.name, ''), COALESCE(lo.street, ''), COALESCE(lo.unit, '')"

func (s *Store) listedSelect() string {
	return fmt.Sprintf(`SELECT `+listedColumns+` FROM index_contacts c LEFT JOIN index_customers cu ON cu.id = c.customer_id
		LEFT JOIN index_locations lo ON c.location_id <> 0 AND lo.id = c.location_id`, s.boolean(false))
}

// WithProblem lists the contacts with a problem, by value then customer,
// limit from offset (a negative limit: all of them), calling each for
// every one.
func (s *Store) WithProblem(ctx context.Context, problem string, offset, limit int, each func(Listed) error) error {
	return s.WithProblemMatching(ctx, problem, "", offset, limit, each)
}

// WithProblemMatching is WithProblem for the contacts holding filter
// (FilterTerm) in their value or memo, or their customer in its name or
// address; "" lists every one.
func (s *Store) WithProblemMatching(ctx context.Context, problem, filter string, offset, limit int, each func(Listed) error) error {
	// The partial index's own terms (problem <> '', removed) are repeated
	// so that SQLite sees the index applies.
	where, args := "", []any{problem}
	if filter != "" {
		where = ` AND (c.search LIKE ? OR cu.search LIKE ?)`
		args = append(args, db.ContainsPattern(filter), db.ContainsPattern(filter))
	}
	q := s.listedSelect() + ` WHERE c.problem = ? AND c.problem <> '' AND c.removed = ` + s.boolean(false) + where +
		` ORDER BY c.problem, c.value_key, c.id`
	return s.eachListed(ctx, q, offset, limit, each, args...)
}

// FilterTerm is what a filter box's text is looked for as: the digits of
// a number as people write it ("555-555-5555"), else the text folded as
// the index holds names and memos.
func FilterTerm(text string) string {
	text = strings.TrimSpace(text)
	if isNumeric(text) {
		return client.Digits(text)
	}
	return fold(text)
}

// SharedValue is a value several customers hold.
type SharedValue struct {
	Key       string // the digits of a number, an email in lower case
	Customers int
	Contacts  int
}

// SharedTotals counts the values (not placeholders or otherwise wrong)
// held by more than min customers, and their contacts.
func (s *Store) SharedTotals(ctx context.Context, min int) (values, contacts int, err error) {
	err = s.db.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), COALESCE(SUM(contacts), 0) FROM index_shared WHERE customers > ?`), min).
		Scan(&values, &contacts)
	if err != nil {
		return 0, 0, fmt.Errorf("index: count shared values: %w", err)
	}
	return values, contacts, nil
}

// SharedValues lists the values (not placeholders or otherwise wrong)
// held by more than min customers, the most shared first, limit from
// offset (a negative limit: all of them), as the last Summarize and the
// app's writes since left them.
func (s *Store) SharedValues(ctx context.Context, min, offset, limit int) ([]SharedValue, error) {
	return s.SharedValuesMatching(ctx, min, "", offset, limit)
}

// SharedValuesMatching is SharedValues holding filter (FilterTerm) in
// their value; "" holds every one.
func (s *Store) SharedValuesMatching(ctx context.Context, min int, filter string, offset, limit int) ([]SharedValue, error) {
	where := ""
	args := []any{min}
	if filter != "" {
		where = ` AND value_key LIKE ?`
		args = append(args, db.ContainsPattern(filter))
	}
	q := `SELECT value_key, customers, contacts FROM index_shared WHERE customers > ?` + where + ` ORDER BY customers DESC, value_key`
	if limit >= 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, offset)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("index: find shared values: %w", err)
	}
	defer rows.Close()
	var out []SharedValue
	for rows.Next() {
		var v SharedValue
		if err := rows.Scan(&v.Key, &v.Customers, &v.Contacts); err != nil {
			return nil, fmt.Errorf("index: find shared values: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sharedSelect reads the values held by two customers or more, with
// where added (one value).
func (s *Store) sharedSelect(where string) string {
	return `SELECT value_key, COUNT(DISTINCT customer_id), COUNT(*) FROM index_contacts
		WHERE removed = ` + s.boolean(false) + ` AND problem = '' AND value_key <> ''` + where + `
		GROUP BY value_key HAVING COUNT(DISTINCT customer_id) >= 2`
}

// unreachableSelect reads the active customers with no phone number or
// email that is not a placeholder, with where added (one customer). The
// contact terms are the partial index index_contacts_reach's, as written;
// a contact of one of its service locations (a tenant, a site manager)
// does not reach the customer.
func (s *Store) unreachableSelect(where string) string {
	return `SELECT cu.id FROM index_customers cu WHERE cu.active = ` + s.boolean(true) + where + `
		AND NOT EXISTS (SELECT 1 FROM index_contacts c WHERE c.customer_id = cu.id AND c.removed = ` + s.boolean(false) + `
			AND c.problem NOT LIKE 'placeholder-%' AND c.kind IN ('Phone', 'MobilePhone', 'Email') AND c.location_id = 0)`
}

// Summarize rebuilds what the report counts across contacts (shared
// values, unreachable customers) from the whole index, so the report
// reads a table instead of scanning a million contacts. It takes about a
// second at a million contacts: it runs after a backfill or a change of
// rules; other passes count again only what their pages touched.
func (s *Store) Summarize(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: summarize: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, q := range []string{
		`DELETE FROM index_shared`,
		`INSERT INTO index_shared (value_key, customers, contacts) ` + s.sharedSelect(""),
		`DELETE FROM index_unreachable`,
		`INSERT INTO index_unreachable (customer_id) ` + s.unreachableSelect(""),
		`DELETE FROM index_dirty`,
		`UPDATE index_settings SET value = '' WHERE name = 'summary'`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index: summarize: %w", err)
		}
	}
	return tx.Commit()
}

// summarizeSome brings the summary up to date for the values and
// customers one write touched.
func (s *Store) summarizeSome(ctx context.Context, tx *sql.Tx, keys []string, customers []int64) error {
	q := s.summarizeQueries()
	for _, k := range keys {
		if k == "" {
			continue
		}
		for _, one := range q[:2] {
			if _, err := s.execIn(ctx, tx, one, k); err != nil {
				return err
			}
		}
	}
	for _, id := range customers {
		for _, one := range q[2:] {
			if _, err := s.execIn(ctx, tx, one, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// summarizeQueries count one value again (the first two, its key their
// argument), then one customer (the last two, its id).
func (s *Store) summarizeQueries() []string {
	return []string{
		s.rebind(`DELETE FROM index_shared WHERE value_key = ?`),
		s.rebind(`INSERT INTO index_shared (value_key, customers, contacts) ` + s.sharedSelect(` AND value_key = ?`)),
		s.rebind(`DELETE FROM index_unreachable WHERE customer_id = ?`),
		s.rebind(`INSERT INTO index_unreachable (customer_id) ` + s.unreachableSelect(` AND cu.id = ?`)),
	}
}

// WithValues lists the contacts (not removed, without a problem) holding
// any of keys, by value then customer.
func (s *Store) WithValues(ctx context.Context, keys []string, each func(Listed) error) error {
	if len(keys) == 0 {
		return nil
	}
	q := s.listedSelect() + ` WHERE c.removed = ` + s.boolean(false) + ` AND c.problem = '' AND c.value_key IN (?` +
		strings.Repeat(", ?", len(keys)-1) + `) ORDER BY c.value_key, c.customer_id, c.id`
	return s.eachListed(ctx, q, 0, -1, each, anys(keys)...)
}

func (s *Store) eachListed(ctx context.Context, q string, offset, limit int, each func(Listed) error, args ...any) error {
	if limit >= 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, offset)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("index: list contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Listed
		c, err := scanContact(scanWith{rows, []any{&l.CustomerName, &l.CustomerActive,
			&l.Location.ID, &l.Location.Name, &l.Location.Address.Street, &l.Location.Address.Unit}})
		if err != nil {
			return fmt.Errorf("index: list contacts: %w", err)
		}
		l.Contact = c
		if err := each(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanWith scans a row's first columns as r would, and the rest into more.
type scanWith struct {
	r    scanner
	more []any
}

func (s scanWith) Scan(dest ...any) error { return s.r.Scan(append(dest, s.more...)...) }

// CountUnreachable counts the active customers no phone or email reaches.
func (s *Store) CountUnreachable(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM index_unreachable`).Scan(&n); err != nil {
		return 0, fmt.Errorf("index: count unreachable customers: %w", err)
	}
	return n, nil
}

// Unreachable lists the active customers no phone or email reaches, by
// name, limit from offset (a negative limit: all of them).
func (s *Store) Unreachable(ctx context.Context, offset, limit int, each func(Customer) error) error {
	return s.UnreachableMatching(ctx, "", offset, limit, each)
}

// UnreachableMatching is Unreachable for the customers holding filter
// (FilterTerm) in their name or address; "" lists every one.
func (s *Store) UnreachableMatching(ctx context.Context, filter string, offset, limit int, each func(Customer) error) error {
	where := ""
	var args []any
	if filter != "" {
		where = ` WHERE cu.search LIKE ?`
		args = append(args, db.ContainsPattern(filter))
	}
	q := `SELECT ` + "cu." + strings.ReplaceAll(customerColumns, ", ", ", cu.") + ` FROM index_unreachable u
		JOIN index_customers cu ON cu.id = u.customer_id` + where + ` ORDER BY cu.name, cu.id`
	if limit >= 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, offset)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("index: list unreachable customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return fmt.Errorf("index: list unreachable customers: %w", err)
		}
		if err := each(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// summarizeWhole asks for the whole summary to be rebuilt at the end of
// the check (a backfill, new rules).
func (s *Store) summarizeWhole(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE index_settings SET value = 'full' WHERE name = 'summary'`)
	return err
}

// noteTouched records, before a page is written over them, the values and
// customers its rows hold now and will hold, to count again once the
// rows are checked. A page of a backfill asks for the whole summary
// instead: it touches everything.
func (s *Store) noteTouched(ctx context.Context, tx *sql.Tx, p Page) error {
	var backfilled bool
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT backfilled FROM index_feeds WHERE feed = ?`), p.Feed).Scan(&backfilled); err != nil {
		return err
	}
	if !backfilled {
		return s.summarizeWhole(ctx, tx)
	}
	touched := map[[2]string]bool{}
	customer := func(id int64) { touched[[2]string{"customer", strconv.FormatInt(id, 10)}] = true }
	value := func(key string) {
		if key != "" {
			touched[[2]string{"value", key}] = true
		}
	}
	for _, c := range p.Customers {
		customer(c.ID)
	}
	ids := make([]int64, len(p.Contacts))
	for i, c := range p.Contacts {
		ids[i] = c.ID
		customer(c.CustomerID)
		value(valueKey(c.Type, c.Value))
	}
	for chunk := range slices.Chunk(ids, 500) {
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT value_key, customer_id FROM index_contacts WHERE id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`), anys(chunk)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var key string
			var id int64
			if err := rows.Scan(&key, &id); err != nil {
				rows.Close()
				return err
			}
			value(key)
			customer(id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	keys := make([][2]string, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	return s.upsert(ctx, tx, `INSERT INTO index_dirty (kind, key)`, 2, `ON CONFLICT (kind, key) DO NOTHING`, len(keys),
		func(i int, args []any) []any { return append(args, keys[i][0], keys[i][1]) })
}

// summarizeTouched brings the summary up to date after a check: whole
// when asked, else for the values and customers pages touched, a few
// hundred at a time.
func (s *Store) summarizeTouched(ctx context.Context) error {
	var mode string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM index_settings WHERE name = 'summary'`).Scan(&mode)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("index: summarize: %w", err)
	}
	if mode == "full" {
		return s.Summarize(ctx)
	}
	for ctx.Err() == nil {
		n, err := s.summarizeSomeTouched(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
	return ctx.Err()
}

func (s *Store) summarizeSomeTouched(ctx context.Context) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("index: summarize: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	rows, err := tx.QueryContext(ctx, `SELECT kind, key FROM index_dirty ORDER BY kind, key LIMIT 500`)
	if err != nil {
		return 0, fmt.Errorf("index: summarize: %w", err)
	}
	var keys []string
	var customers []int64
	var done [][2]string
	for rows.Next() {
		var kind, key string
		if err := rows.Scan(&kind, &key); err != nil {
			rows.Close()
			return 0, fmt.Errorf("index: summarize: %w", err)
		}
		done = append(done, [2]string{kind, key})
		if kind == "customer" {
			if id, err := strconv.ParseInt(key, 10, 64); err == nil {
				customers = append(customers, id)
			}
		} else {
			keys = append(keys, key)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(done) == 0 {
		return 0, err
	}
	if err := s.summarizeSome(ctx, tx, keys, customers); err != nil {
		return 0, fmt.Errorf("index: summarize: %w", err)
	}
	byKind := map[string][]any{}
	for _, d := range done {
		byKind[d[0]] = append(byKind[d[0]], d[1])
	}
	for kind, keys := range byKind {
		q := `DELETE FROM index_dirty WHERE kind = ? AND key IN (?` + strings.Repeat(", ?", len(keys)-1) + `)`
		if _, err := tx.ExecContext(ctx, s.rebind(q), append([]any{kind}, keys...)...); err != nil {
			return 0, fmt.Errorf("index: summarize: %w", err)
		}
	}
	return len(done), tx.Commit()
}
