package index

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// historyHarness is one instance of the app as main.go wires it: the
// audit trail, the index beside it recording changes made in ServiceTitan,
// its sync, and the change service telling the index what it writes.
type historyHarness struct {
	sb      *sandbox.Server
	st      *client.Client
	trail   audit.Store
	idx     *Store
	syncer  *Syncer
	changes *change.Service
}

var kelly = change.Actor{Email: "kelly@acme.example", Name: "Kelly Ng", RequestID: "req-1"}

// openHandle opens the database of an instance: a SQLite file of the
// test's, or the PostgreSQL schema at url (several instances share one,
// each with a handle of its own).
func openHandle(t *testing.T, backend, url string) *db.DB {
	t.Helper()
	if backend == db.Postgres {
		return dbtest.PostgresAt(t, url)
	}
	return dbtest.SQLite(t)
}

// newInstance is an instance on the database h, talking to sb.
func newInstance(t *testing.T, sb *sandbox.Server, h *db.DB) *historyHarness {
	t.Helper()
	ctx := context.Background()
	cfg := sb.ClientConfig()
	cfg.Timeout = 2 * time.Second
	st, err := client.New(cfg, clienttest.WithBackoff(time.Millisecond), clienttest.WithMaxRetryWait(0))
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.New(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { trail.Close() })
	idx, err := Open(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	x, err := audit.NewExternal(h.Dialect, cfg.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	idx.SetHistory(x)
	i := &historyHarness{sb: sb, st: st, trail: trail, idx: idx, syncer: NewSyncer(st, idx, 1000, nil)}
	i.changes = i.changeService(t, idx)
	return i
}

// changeService is the instance's change service, telling caches what
// it writes (none: the index never hears of the app's writes but from the
// feed, as when telling it failed).
func (h *historyHarness) changeService(t *testing.T, caches ...change.Cache) *change.Service {
	t.Helper()
	svc, err := change.New(change.Config{ServiceTitan: h.st, Audit: h.trail, TenantID: 1, Region: "US", Budget: 5 * time.Second,
		Caches: caches})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// forEachTrail runs test on an instance on SQLite and one on PostgreSQL,
// its index backfilled already (small pages: several).
func forEachTrail(t *testing.T, test func(t *testing.T, h *historyHarness)) {
	for _, backend := range []string{db.SQLite, db.Postgres} {
		t.Run(backend, func(t *testing.T) {
			url := ""
			if backend == db.Postgres {
				url = dbtest.PostgresURL(t)
			}
			sb := sandboxtest.Start(t, sandboxtest.WithExportPageSize(40), sandbox.WithGeneratedCustomers(30))
			h := newInstance(t, sb, openHandle(t, backend, url))
			h.pass(t)
			test(t, h)
		})
	}
}

func (h *historyHarness) pass(t *testing.T) {
	t.Helper()
	if err := h.syncer.Pass(context.Background()); err != nil {
		t.Fatalf("sync pass: %v", err)
	}
}

// entries lists the contact's History, newest first.
func (h *historyHarness) entries(t *testing.T, f audit.Filter) []audit.Entry {
	t.Helper()
	entries, _, err := h.trail.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// opened is the update a form opened on the contact as ServiceTitan holds
// it now would post, with edit applied.
func (h *historyHarness) opened(t *testing.T, customerID, contactID int64, edit func(*change.Fields)) change.UpdateRequest {
	t.Helper()
	ct, ok := h.sb.Contact(customerID, contactID)
	if !ok {
		t.Fatalf("no contact %d/%d in the sandbox", customerID, contactID)
	}
	snap := change.SnapshotOf(ct)
	fields := change.FieldsOf(snap)
	edit(&fields)
	return change.UpdateRequest{Actor: kelly, CustomerID: customerID, ContactID: contactID, Opened: snap, Asked: fields}
}

// expectExternal checks that the contact's History holds exactly one
// change made in ServiceTitan dated at, doing action with changes (and
// messages), naming nobody.
func expectExternal(t *testing.T, entries []audit.Entry, at time.Time, action audit.Action, changes []audit.Change, messages ...string) {
	t.Helper()
	var got []audit.Entry
	for _, e := range entries {
		if e.Source == audit.SourceServiceTitan && e.Time.Equal(at.Truncate(time.Microsecond)) && e.Action == action {
			got = append(got, e)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %s entries from ServiceTitan at %v; want 1. History: %s", len(got), action, at, describe(entries))
	}
	e := got[0]
	if e.ActorEmail != "" || e.ActorName != audit.ExternalActor || e.Outcome != audit.OutcomeSaved {
		t.Errorf("entry names %q <%s>, outcome %s; want nobody (%q), saved", e.ActorName, e.ActorEmail, e.Outcome, audit.ExternalActor)
	}
	if !slices.Equal(e.Changes, changes) {
		t.Errorf("changes %+v; want %+v", e.Changes, changes)
	}
	if !slices.Equal(e.Messages, messages) {
		t.Errorf("messages %q; want %q", e.Messages, messages)
	}
}

// describe sums up a History for a failure message.
func describe(entries []audit.Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString("\n  " + e.Time.Format(time.RFC3339Nano) + " " + string(e.Source) + " " + string(e.Action) + " " + e.ActorEmail + " " + string(e.Outcome))
		for _, ch := range e.Changes {
			b.WriteString(" [" + ch.Field + ": " + ch.Before + " -> " + ch.After + "]")
		}
	}
	return b.String()
}

// flagChange is a preference flag's change as the trail records it.
func flagChange(name string, before, after string) audit.Change {
	f, _ := client.FlagNamed(name)
	return audit.Change{Field: f.Path(), Before: before, After: after}
}

// A change made directly in ServiceTitan (a memo, a flag, a STOP and a
// START, an add, a removal) appears once in the contact's History with
// source ServiceTitan after the next sync pass, and stays once however
// often the feed sends its row again.
func TestChangesMadeInServiceTitanAreInTheHistory(t *testing.T) {
	forEachTrail(t, func(t *testing.T, h *historyHarness) {
		ctx := context.Background()
		if all := h.entries(t, audit.Filter{}); len(all) != 0 {
			t.Fatalf("the first backfill recorded %d entries; want none (there is no before): %s", len(all), describe(all))
		}
		ada := sandbox.SeedCustomerID
		memo, _ := h.sb.EditContact(ada, sandbox.SeedMobileContactID, func(c *client.Contact) { c.Memo = "Gate code 4411" })
		flag, _ := h.sb.EditContact(ada, sandbox.SeedEmailContactID, func(c *client.Contact) { c.Preferences.MarketingUpdatesEnabled = false })
		start, _ := h.sb.TextStop(ada, sandbox.SeedDoNotTextContactID, false)
		added, _ := h.sb.AddContact(ada, client.Contact{Type: client.ContactEmail, Value: "billing@lovelace.example", Memo: "Billing",
			Preferences: &client.Preferences{InvoiceStatementNotification: true}})
		// Within two sync intervals: a pass each.
		h.pass(t)
		h.pass(t)
		expectExternal(t, h.entries(t, audit.Filter{ContactID: sandbox.SeedMobileContactID}), memo.ModifiedOn, audit.ActionUpdate,
			[]audit.Change{{Field: "memo", Before: "Cell", After: "Gate code 4411"}})
		expectExternal(t, h.entries(t, audit.Filter{ContactID: sandbox.SeedEmailContactID}), flag.ModifiedOn, audit.ActionUpdate,
			[]audit.Change{flagChange("marketingUpdatesEnabled", "true", "false")})
		expectExternal(t, h.entries(t, audit.Filter{ContactID: sandbox.SeedDoNotTextContactID}), start.ModifiedOn, audit.ActionUpdate,
			[]audit.Change{{Field: client.FieldDoNotText, Before: "true", After: "false"}}, TextedStart)
		expectExternal(t, h.entries(t, audit.Filter{ContactID: added.ID}), added.ModifiedOn, audit.ActionCreate,
			[]audit.Change{{Field: "type", After: "Email"}, {Field: "value", After: "billing@lovelace.example"}, {Field: "memo", After: "Billing"},
				flagChange("jobRemindersEnabled", "", "false"), flagChange("marketingUpdatesEnabled", "", "false"),
				flagChange("invoiceStatementNotification", "", "true")})

		// The customer texts STOP; staff remove the email in ServiceTitan.
		stop, _ := h.sb.TextStop(ada, sandbox.SeedMobileContactID, true)
		if !h.sb.RemoveContact(ada, sandbox.SeedEmailContactID) {
			t.Fatal("the sandbox did not remove the email")
		}
		gone := h.feedRow(t, sandbox.SeedEmailContactID)
		h.pass(t)
		h.pass(t)
		expectExternal(t, h.entries(t, audit.Filter{ContactID: sandbox.SeedMobileContactID}), stop.ModifiedOn, audit.ActionUpdate,
			[]audit.Change{{Field: client.FieldDoNotText, Before: "false", After: "true"}}, TextedStop)
		expectExternal(t, h.entries(t, audit.Filter{ContactID: sandbox.SeedEmailContactID}), gone.ModifiedOn, audit.ActionDelete,
			[]audit.Change{{Field: "type", Before: "Email"}, {Field: "value", Before: sandbox.SeedEmailValue}, {Field: "memo", Before: "Personal"},
				flagChange("jobRemindersEnabled", "true", ""), flagChange("marketingUpdatesEnabled", "false", ""),
				flagChange("invoiceStatementNotification", "true", "")})
		// A removal made in ServiceTitan can be restored as the app's own.
		if r := change.RemovalOf(h.entries(t, audit.Filter{ContactID: sandbox.SeedEmailContactID})[0]); r.Fields.Value != sandbox.SeedEmailValue {
			t.Errorf("the removal reads back as %+v", r.Fields)
		}
		want := len(h.entries(t, audit.Filter{}))
		if want != 6 {
			t.Errorf("%d entries; want the 6 changes. History: %s", want, describe(h.entries(t, audit.Filter{})))
		}

		// The feed sends the rows again (a refused token restarts it a
		// little before its newest row; includeRecentChanges repeats
		// recent ones): no second entry.
		for _, feed := range []string{FeedCustomers, FeedContacts} {
			if _, err := h.idx.Restart(ctx, feed); err != nil {
				t.Fatal(err)
			}
		}
		h.pass(t)
		h.pass(t)
		if got := h.entries(t, audit.Filter{}); len(got) != want {
			t.Errorf("after the feed sent its rows again: %d entries, want %d: %s", len(got), want, describe(got))
		}
		if got := h.entries(t, audit.Filter{Source: audit.SourceApp}); len(got) != 0 {
			t.Errorf("%d entries name the app: %s", len(got), describe(got))
		}
	})
}

// feedRow is the contact's row in the contacts feed (a removed one's
// says when it was removed).
func (h *historyHarness) feedRow(t *testing.T, contactID int64) client.ExportContact {
	t.Helper()
	var found client.ExportContact
	from := ""
	for {
		next, more, err := h.st.ExportContacts(context.Background(), from, func(c client.ExportContact) error {
			if c.ID == contactID {
				found = c
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		from = next
	}
	if found.ID == 0 {
		t.Fatalf("contact %d is not in the feed", contactID)
	}
	return found
}

// A save, an add and a removal made through the app appear once each in
// the History, as the app's, however many passes follow: their rows in
// the feed meet what the app wrote. So do they when the index was not
// told of the app's writes (the write to it failed): the app's attempts
// explain the rows.
func TestTheAppsOwnWritesAppearOnce(t *testing.T) {
	forEachTrail(t, func(t *testing.T, h *historyHarness) {
		for _, tt := range []struct {
			name    string
			changes *change.Service
		}{
			{"the index told", h.changes},
			{"the index not told", h.changeService(t)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				ada := sandbox.SeedCustomerID
				mobile, _ := h.sb.Contact(ada, sandbox.SeedMobileContactID)
				o := tt.changes.Update(ctx, h.opened(t, ada, mobile.ID, func(f *change.Fields) {
					f.Memo = "Saved through the app " + tt.name
					f.Flags["marketingUpdatesEnabled"] = !f.Flags["marketingUpdatesEnabled"]
				}))
				if o.Result != change.Saved {
					t.Fatalf("update: %+v", o)
				}
				created := tt.changes.Create(ctx, change.CreateRequest{Actor: kelly, CustomerID: ada,
					Asked: change.Fields{Type: "Email", Value: strings.ReplaceAll(tt.name, " ", ".") + "@lovelace.example", Flags: change.NewContactFlags()}})
				if created.Result != change.Saved {
					t.Fatalf("create: %+v", created)
				}
				target := h.sb.Contacts(sandbox.SeedFiveFlagCustomerID)[0]
				removed := tt.changes.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedFiveFlagCustomerID,
					ContactID: target.ID, Shown: change.SnapshotOf(target)})
				if removed.Result != change.Saved {
					t.Fatalf("delete: %+v", removed)
				}
				h.pass(t)
				h.pass(t)
				for _, id := range []int64{mobile.ID, created.Contact.ID, target.ID} {
					if got := h.entries(t, audit.Filter{ContactID: id, Source: audit.SourceServiceTitan}); len(got) != 0 {
						t.Errorf("contact %d: %d entries from ServiceTitan for the app's own write: %s", id, len(got), describe(got))
					}
					if got := h.entries(t, audit.Filter{ContactID: id, Source: audit.SourceApp, Actor: kelly.Email}); len(got) == 0 {
						t.Errorf("contact %d: the app's write is not in its History", id)
					}
				}
			})
		}
	})
}

// A change made in ServiceTitan on top of one made through the app, and
// one under it (made before the app's save, which read it, and before the
// next pass), both show beside the app's.
func TestAColleaguesChangeBesideTheAppsShowsBoth(t *testing.T) {
	forEachTrail(t, func(t *testing.T, h *historyHarness) {
		ctx := context.Background()
		ada := sandbox.SeedCustomerID
		// On top: the app saves a memo, a colleague then turns job
		// reminders off in ServiceTitan.
		if o := h.changes.Update(ctx, h.opened(t, ada, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Mine" })); o.Result != change.Saved {
			t.Fatalf("update: %+v", o)
		}
		theirs, _ := h.sb.EditContact(ada, sandbox.SeedMobileContactID, func(c *client.Contact) { c.Preferences.JobRemindersEnabled = false })
		h.pass(t)
		mobile := h.entries(t, audit.Filter{ContactID: sandbox.SeedMobileContactID})
		expectExternal(t, mobile, theirs.ModifiedOn, audit.ActionUpdate, []audit.Change{flagChange("jobRemindersEnabled", "true", "false")})
		if len(mobile) != 2 || mobile[1].Source != audit.SourceApp || mobile[1].Changes[0].After != "Mine" {
			t.Errorf("History: %s; want the app's memo, then the colleague's flag", describe(mobile))
		}

		// Under: a colleague changes the email's memo in ServiceTitan; the
		// app saves a flag on it before the next pass.
		under, _ := h.sb.EditContact(ada, sandbox.SeedEmailContactID, func(c *client.Contact) { c.Memo = "Work" })
		if o := h.changes.Update(ctx, h.opened(t, ada, sandbox.SeedEmailContactID, func(f *change.Fields) {
			f.Flags["jobRemindersEnabled"] = false
		})); o.Result != change.Saved {
			t.Fatalf("update: %+v", o)
		}
		h.pass(t)
		h.pass(t)
		email := h.entries(t, audit.Filter{ContactID: sandbox.SeedEmailContactID})
		expectExternal(t, email, under.ModifiedOn, audit.ActionUpdate, []audit.Change{{Field: "memo", Before: "Personal", After: "Work"}})
		if len(email) != 2 || email[0].Source != audit.SourceApp {
			t.Errorf("History: %s; want the colleague's memo, then the app's flag", describe(email))
		}
	})
}

// A contact that texts STOP is recorded once whichever of several
// instances sees it: each one's pass and each one's save that reads the
// contact, at once.
func TestSeveralInstancesRecordAChangeOnce(t *testing.T) {
	url := dbtest.PostgresURL(t)
	sb := sandboxtest.Start(t, sandboxtest.WithExportPageSize(40), sandbox.WithGeneratedCustomers(30))
	var instances []*historyHarness
	for range 3 {
		instances = append(instances, newInstance(t, sb, openHandle(t, db.Postgres, url)))
	}
	instances[0].pass(t)
	ada := sandbox.SeedCustomerID
	for round := range 3 {
		stop, _ := sb.TextStop(ada, sandbox.SeedMobileContactID, round%2 == 0)
		var wg sync.WaitGroup
		for _, h := range instances {
			wg.Go(func() {
				if err := h.syncer.Pass(context.Background()); err != nil {
					t.Errorf("pass: %v", err)
				}
			})
			wg.Go(func() {
				if err := h.idx.Read(context.Background(), client.CustomerOwner(ada), stop); err != nil {
					t.Errorf("read: %v", err)
				}
			})
		}
		wg.Wait()
		for _, h := range instances {
			h.pass(t)
		}
		entries := instances[round%3].entries(t, audit.Filter{ContactID: sandbox.SeedMobileContactID})
		if len(entries) != round+1 {
			t.Fatalf("round %d: %d entries, want %d: %s", round, len(entries), round+1, describe(entries))
		}
		word := map[bool]string{true: TextedStop, false: TextedStart}[round%2 == 0]
		expectExternal(t, entries, stop.ModifiedOn, audit.ActionUpdate,
			[]audit.Change{{Field: client.FieldDoNotText, Before: map[bool]string{true: "false", false: "true"}[round%2 == 0], After: map[bool]string{true: "true", false: "false"}[round%2 == 0]}}, word)
	}
}

// Nothing is recorded while the index is rebuilt after an erase: there is
// no "before" again until the contacts feed has been read to its end.
func TestNothingIsRecordedWhileTheIndexIsRebuilt(t *testing.T) {
	forEachTrail(t, func(t *testing.T, h *historyHarness) {
		ctx := context.Background()
		if _, err := h.idx.Erase(ctx); err != nil {
			t.Fatal(err)
		}
		h.sb.EditContact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(c *client.Contact) { c.Memo = "During the rebuild" })
		h.pass(t)
		if got := h.entries(t, audit.Filter{}); len(got) != 0 {
			t.Errorf("the rebuild recorded %d entries: %s", len(got), describe(got))
		}
		changed, _ := h.sb.EditContact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(c *client.Contact) { c.Memo = "After it" })
		h.pass(t)
		expectExternal(t, h.entries(t, audit.Filter{}), changed.ModifiedOn, audit.ActionUpdate,
			[]audit.Change{{Field: "memo", Before: "During the rebuild", After: "After it"}})
	})
}

// A service location's contact changed in ServiceTitan is recorded as a
// customer's is, naming its location.
func TestALocationsContactChangedInServiceTitan(t *testing.T) {
	forEachTrail(t, func(t *testing.T, h *historyHarness) {
		old, ok := h.sb.LocationContact(sandbox.SeedLocationID, sandbox.SeedLocationContactID)
		if !ok {
			t.Fatal("no seed location contact")
		}
		changed, _ := h.sb.EditLocationContact(sandbox.SeedLocationID, sandbox.SeedLocationContactID, func(c *client.Contact) { c.Memo = "Side door" })
		h.pass(t)
		h.pass(t)
		entries := h.entries(t, audit.Filter{ContactID: sandbox.SeedLocationContactID})
		expectExternal(t, entries, changed.ModifiedOn, audit.ActionUpdate, []audit.Change{{Field: "memo", Before: old.Memo, After: "Side door"}})
		if entries[0].LocationID != sandbox.SeedLocationID {
			t.Errorf("the entry names location %d, want %d", entries[0].LocationID, sandbox.SeedLocationID)
		}

		// A save through the app is the app's alone.
		loc, _ := h.sb.Location(sandbox.SeedLocationID)
		snap := change.SnapshotOf(changed)
		asked := change.FieldsOf(snap)
		asked.Memo = "Back gate"
		o := h.changes.Update(context.Background(), change.UpdateRequest{Actor: kelly, CustomerID: loc.CustomerID, LocationID: loc.ID,
			ContactID: changed.ID, Opened: snap, Asked: asked})
		if o.Result != change.Saved {
			t.Fatalf("update: %+v", o)
		}
		h.pass(t)
		h.pass(t)
		if got := h.entries(t, audit.Filter{ContactID: changed.ID, Source: audit.SourceServiceTitan}); len(got) != 1 {
			t.Errorf("%d entries from ServiceTitan after the app's save; want the one before it: %s", len(got), describe(got))
		}
	})
}
