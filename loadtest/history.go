package main

// go run ./loadtest -history measures what keeping the History of changes
// made in ServiceTitan itself costs at a large tenant, and writes
// docs/load-report-history.md:
//
//  1. a sandbox of -history-customers generated customers (about a
//     million contacts) backfilled into a SQLite index opened as the app
//     opens its database, in this process; the file is then copied, so
//     that two indexes start from the same place: one records the History
//     (on), the other does not (off: the baseline);
//  2. a day of -history-changes changes made in ServiceTitan (memo edits,
//     preference flags, STOP and START, adds and removals, each of a
//     different contact), read as the app reads them: -history-intervals
//     sync intervals of INDEX_INTERVAL (60 s), each with its share of the
//     day's changes and a pass of each index (in turns: first one, then
//     the other), then the rest of the day in -history-backlogs backlogs,
//     each read by a pass of each index, in turns (as after the app was
//     stopped for hours, or a burst of changes in ServiceTitan);
//  3. what the day left in each: the History's entries and changed
//     fields, and the database's growth.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/index"
)

// maxHistoryRun stops -history whatever happens.
const maxHistoryRun = 30 * time.Minute

// indexInterval is INDEX_INTERVAL's default: a day has 1440 passes.
const indexInterval = time.Minute

// historyReport is what go run ./loadtest -history writes.
type historyReport struct {
	Command           string
	Options           options
	Started, Finished time.Time
	Machine           machine
	Revision          string
	LoadBefore        loadavg
	LoadAfter         loadavg

	Generated int
	// Backfill is the first pass into the empty index (history on: it
	// records nothing, there is no before).
	Backfill   syncPass
	Held       index.Counts
	BackfillDB int64
	// On and Off are the two indexes' runs.
	On, Off historySide
	// Changes counts the day's changes by kind.
	Changes map[string]int
	// IntervalChanges is how many of them the interval passes read.
	IntervalChanges int
}

// historySide is one index's day.
type historySide struct {
	Name string
	// Intervals are the passes of the sync intervals, Backlogs those of
	// the rest of the day.
	Intervals []syncPass
	Backlogs  []syncPass
	// Entries and Fields are the History's rows the day left (attempts
	// and their changed fields, source servicetitan), Once the changes
	// recorded exactly once.
	Entries, Fields, Once int64
	// Grew is the growth over the day of the bytes the database uses,
	// TrailGrew of its audit trail's tables and indexes.
	Grew, TrailGrew int64
}

// historyIndex is one of the two indexes.
type historyIndex struct {
	h      *db.DB
	store  audit.Store
	idx    *index.Store
	syncer *index.Syncer
	calls  *callTimer
	sb     *sandbox.Server
}

func openHistoryIndex(ctx context.Context, path string, cfg client.Config, sb *sandbox.Server, history bool) (*historyIndex, error) {
	h, err := db.OpenSQLite(ctx, path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*historyIndex, error) {
		h.Close()
		return nil, err
	}
	store, err := audit.New(ctx, h)
	if err != nil {
		return fail(err)
	}
	idx, err := index.Open(ctx, h)
	if err != nil {
		return fail(err)
	}
	if history {
		x, err := audit.NewExternal(h.Dialect, cfg.TenantID)
		if err != nil {
			return fail(err)
		}
		idx.SetHistory(x)
	}
	calls := &callTimer{}
	// No rate limit: the index's own time is measured.
	st, err := client.New(cfg, client.WithObserver(calls))
	if err != nil {
		return fail(err)
	}
	return &historyIndex{h: h, store: store, idx: idx, syncer: index.NewSyncer(st, idx, math.Inf(1), nil), calls: calls, sb: sb}, nil
}

// close closes the index's database.
func (h *historyIndex) close() error { return h.h.Close() }

// pass runs one sync pass, timed, with the rows it read.
func (h *historyIndex) pass(ctx context.Context) (syncPass, error) {
	before, err := rowsRead(ctx, h.idx)
	if err != nil {
		return syncPass{}, err
	}
	h.calls.reset()
	start := time.Now()
	err = h.syncer.Pass(ctx)
	p := syncPass{Took: time.Since(start), Upstream: h.calls.reset()}
	if err != nil {
		return p, fmt.Errorf("sync: %w", err)
	}
	after, err := rowsRead(ctx, h.idx)
	p.Rows = after - before
	return p, err
}

// size is the bytes the database uses (its pages less the free ones),
// and of them the audit trail's tables and their indexes (dbstat), its
// log written back first.
func (h *historyIndex) size(ctx context.Context) (used, trail int64, err error) {
	var busy, logged, moved sql.NullInt64
	if err := h.h.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &moved); err != nil {
		return 0, 0, err
	}
	var pages, free, size int64
	for q, into := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := h.h.QueryRowContext(ctx, q).Scan(into); err != nil {
			return 0, 0, err
		}
	}
	err = h.h.QueryRowContext(ctx, `SELECT COALESCE(SUM(pgsize), 0) FROM dbstat
		WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name IN ('attempts', 'changes'))`).Scan(&trail)
	return (pages - free) * size, trail, err
}

// count reads the History's rows of changes made in ServiceTitan, and
// how many of want's contacts have exactly one entry dated as their row.
func (h *historyIndex) count(ctx context.Context, want []madeChange) (entries, fields, once int64, err error) {
	if err = h.h.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE((SELECT COUNT(*) FROM changes c JOIN attempts a ON a.id = c.attempt_id
		WHERE a.source = 'servicetitan'), 0) FROM attempts WHERE source = 'servicetitan'`).Scan(&entries, &fields); err != nil {
		return 0, 0, 0, err
	}
	byContact := map[int64]int{}
	err = h.store.Each(ctx, audit.Filter{Source: audit.SourceServiceTitan}, func(e audit.Entry) error {
		byContact[e.ContactID]++
		return nil
	})
	for _, c := range want {
		if byContact[c.contactID] == 1 {
			once++
		}
	}
	return entries, fields, once, err
}

// madeChange is one change made in the sandbox.
type madeChange struct {
	kind      string
	contactID int64
}

// The kinds of change a day holds, and their shares (of 100).
var changeKinds = []struct {
	name  string
	share int
}{
	{"memo edited", 50},
	{"preference flag flipped", 20},
	{"texted STOP or START", 10},
	{"contact added", 10},
	{"contact removed", 10},
}

// changeMaker makes changes in the sandbox, each on a contact no other
// change of the day touched.
type changeMaker struct {
	sb        *sandbox.Server
	rnd       *rand.Rand
	first     int64
	customers int64
	used      map[int64]bool
	n         int
}

func (m *changeMaker) make(kind string) (madeChange, error) {
	for range 1000 {
		customerID := m.first + m.rnd.Int64N(m.customers)
		cts := m.sb.Contacts(customerID)
		if len(cts) == 0 {
			continue
		}
		ct := cts[m.rnd.IntN(len(cts))]
		if m.used[ct.ID] {
			continue
		}
		m.n++
		switch kind {
		case "memo edited":
			_, ok := m.sb.EditContact(customerID, ct.ID, func(c *client.Contact) { c.Memo = fmt.Sprintf("Changed in ServiceTitan %06d", m.n) })
			if !ok {
				continue
			}
		case "preference flag flipped":
			if ct.Preferences == nil {
				continue
			}
			m.sb.EditContact(customerID, ct.ID, func(c *client.Contact) {
				c.Preferences.MarketingUpdatesEnabled = !c.Preferences.MarketingUpdatesEnabled
			})
		case "texted STOP or START":
			if !ct.Type.IsPhoneNumber() {
				continue
			}
			m.sb.TextStop(customerID, ct.ID, !ct.TextedStop())
		case "contact added":
			added, ok := m.sb.AddContact(customerID, client.Contact{Type: client.ContactEmail, Value: fmt.Sprintf("added%06d@example.net", m.n),
				Preferences: &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}})
			if !ok {
				continue
			}
			ct = added
		case "contact removed":
			if !m.sb.RemoveContact(customerID, ct.ID) {
				continue
			}
		}
		m.used[ct.ID] = true
		return madeChange{kind: kind, contactID: ct.ID}, nil
	}
	return madeChange{}, fmt.Errorf("history: no contact found for a change (%s)", kind)
}

// dayOfChanges is the kinds of n changes, shuffled: each kind its share.
func dayOfChanges(n int, rnd *rand.Rand) []string {
	var out []string
	for i, k := range changeKinds {
		count := n * k.share / 100
		if i == len(changeKinds)-1 {
			count = n - len(out)
		}
		for range count {
			out = append(out, k.name)
		}
	}
	rnd.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func runHistory(ctx context.Context, o options, command string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, maxHistoryRun)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "loadtest: history: "+format+"\n", args...) }
	tmp, err := os.MkdirTemp("", "contactdesk-loadtest-history-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rep := historyReport{Command: command, Options: o, Started: time.Now(), Generated: o.historyCustomers, Changes: map[string]int{}}
	rep.Machine = describeMachine()
	rep.Revision = gitRevision(ctx)
	rep.LoadBefore = loadAverage()
	if l := rep.LoadBefore; l.one > 0.5*float64(rep.Machine.CPUs) {
		logf("warning: load average %.2f on %d CPUs before the run: other work will show in the figures", l.one, rep.Machine.CPUs)
	}

	sb := sandbox.New(sandbox.WithGeneratedCustomers(o.historyCustomers))
	base, stop, err := sb.Start()
	if err != nil {
		return err
	}
	defer stop()
	if err := checkLoopbackURL(base); err != nil {
		return err
	}
	cfg := sb.ClientConfig()
	onPath, offPath := filepath.Join(tmp, "on.db"), filepath.Join(tmp, "off.db")

	// 1. The backfill, then the copy.
	logf("backfill: %d generated customers", o.historyCustomers)
	first, err := openHistoryIndex(ctx, onPath, cfg, sb, true)
	if err != nil {
		return err
	}
	if rep.Backfill, err = first.pass(ctx); err != nil {
		first.close()
		return err
	}
	if rep.Held, err = first.idx.Count(ctx); err != nil {
		first.close()
		return err
	}
	if rep.BackfillDB, _, err = first.size(ctx); err != nil {
		first.close()
		return err
	}
	if err := first.close(); err != nil {
		return err
	}
	logf("backfill: %d rows in %s; %d customers, %d contacts held", rep.Backfill.Rows, rep.Backfill.Took.Round(time.Millisecond), rep.Held.Customers, rep.Held.Contacts)
	if err := copyFile(onPath, offPath); err != nil {
		return err
	}
	on, err := openHistoryIndex(ctx, onPath, cfg, sb, true)
	if err != nil {
		return err
	}
	defer on.close()
	off, err := openHistoryIndex(ctx, offPath, cfg, sb, false)
	if err != nil {
		return err
	}
	defer off.close()
	sides := []*historyIndex{on, off}
	results := []*historySide{&rep.On, &rep.Off}
	rep.On.Name, rep.Off.Name = "History on", "History off (baseline)"
	var sizes, trails [2]int64
	for i, s := range sides {
		if sizes[i], trails[i], err = s.size(ctx); err != nil {
			return err
		}
	}

	// 2. The day.
	rnd := rand.New(rand.NewPCG(27, 27))
	maker := &changeMaker{sb: sb, rnd: rnd, first: sandbox.SeedCustomerID + 100, customers: int64(o.historyCustomers) - 100, used: map[int64]bool{}}
	kinds := dayOfChanges(o.historyChanges, rnd)
	perDay := int(24 * time.Hour / indexInterval)
	var made []madeChange
	logf("day: %d changes; %d sync intervals of %s, a pass of each index after each, then the rest in %d backlogs",
		len(kinds), o.historyIntervals, indexInterval, o.historyBacklogs)
	next := 0
	for i := range o.historyIntervals {
		// This interval's share of the day, rounded so the shares add up.
		share := (i+1)*len(kinds)/perDay - i*len(kinds)/perDay
		for range share {
			c, err := maker.make(kinds[next])
			if err != nil {
				return err
			}
			made = append(made, c)
			rep.Changes[c.kind]++
			next++
		}
		for k := range sides {
			j := (i + k) % 2 // in turns: each goes first every other interval
			p, err := sides[j].pass(ctx)
			if err != nil {
				return err
			}
			results[j].Intervals = append(results[j].Intervals, p)
		}
	}
	rep.IntervalChanges = next
	// The rest of the day, in backlogs of equal size, each read by a pass
	// of each index in turns.
	rest := len(kinds) - next
	logf("day: %d changes read in the intervals; the other %d in %d backlogs", next, rest, o.historyBacklogs)
	for i := range o.historyBacklogs {
		for range (i+1)*rest/o.historyBacklogs - i*rest/o.historyBacklogs {
			c, err := maker.make(kinds[next])
			if err != nil {
				return err
			}
			made = append(made, c)
			rep.Changes[c.kind]++
			next++
		}
		for k := range sides {
			j := (i + k) % 2
			p, err := sides[j].pass(ctx)
			if err != nil {
				return err
			}
			results[j].Backlogs = append(results[j].Backlogs, p)
		}
	}

	// 3. What the day left.
	for j, s := range sides {
		r := results[j]
		if r.Entries, r.Fields, r.Once, err = s.count(ctx, made); err != nil {
			return err
		}
		size, trail, err := s.size(ctx)
		if err != nil {
			return err
		}
		r.Grew, r.TrailGrew = size-sizes[j], trail-trails[j]
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stopped before the end (%w): no report written", err)
	}
	rep.Finished = time.Now()
	rep.LoadAfter = loadAverage()
	return writeReport(o.out, stdout, logf, rep.markdown(), rep.summary(), rep.Finished.Sub(rep.Started))
}

// copyFile copies a SQLite file closed cleanly (its log written back).
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// passTimes are the passes' times, sorted: each whole pass, or (own) the
// pass less its waiting for the sandbox, the index's own work.
func passTimes(passes []syncPass, own bool) []time.Duration {
	out := make([]time.Duration, len(passes))
	for i, p := range passes {
		out[i] = p.Took
		if own {
			out[i] -= p.Waited()
		}
	}
	slices.Sort(out)
	return out
}

// quantile is the nearest-rank q-quantile (0 < q <= 1) of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1))]
}

func sumRows(passes []syncPass) int64 {
	var n int64
	for _, p := range passes {
		n += p.Rows
	}
	return n
}

func sumTime(passes []syncPass, own bool) time.Duration {
	var d time.Duration
	for _, t := range passTimes(passes, own) {
		d += t
	}
	return d
}
