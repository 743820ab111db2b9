package change_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// Two instances on one PostgreSQL (two change.Services, one audit trail,
// one form registry): the same form posted to both, at once or one after
// the other, makes one PATCH and both answers are the first post's.
func TestOneFormPostedToTwoInstances(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx := context.Background()
	instance := func(h *harness) *change.Service {
		store, err := audit.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		sqlDB, _ := store.DB()
		forms, err := change.OpenPostgresForms(ctx, sqlDB)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := change.New(change.Config{ServiceTitan: h.st, Audit: store, TenantID: 1, Region: "US", Budget: 5 * time.Second, Forms: forms})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	for _, tt := range []struct {
		name     string
		together bool
	}{{"at once", true}, {"one after the other", false}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			a, b := instance(h), instance(h)
			h.sb.SetLatency(100 * time.Millisecond)
			r := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Once, " + tt.name })
			r.Form = "form-" + tt.name
			results := make([]change.Outcome, 2)
			if tt.together {
				var wg sync.WaitGroup
				wg.Go(func() { results[0] = a.Update(ctx, r) })
				for h.sb.Requests(sandbox.OpUpdateContact) == 0 { // the first post is writing
					time.Sleep(time.Millisecond)
				}
				wg.Go(func() { results[1] = b.Update(ctx, r) })
				wg.Wait()
			} else {
				results[0] = a.Update(ctx, r)
				results[1] = b.Update(ctx, r)
			}
			if _, patches := h.calls(); patches != 1 {
				t.Errorf("%d PATCHes, want 1", patches)
			}
			for i, o := range results {
				if o.Result != change.Saved {
					t.Errorf("post %d: %s (%+v), want saved", i, o.Result, o.Problem)
				}
			}
			if !results[1].Replayed || results[1].AuditID != results[0].AuditID || results[1].Contact.Memo != results[0].Contact.Memo {
				t.Errorf("the second instance's answer %+v is not the first's", results[1])
			}
		})
	}
}
