package change_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/instances"
)

// Two instances on one PostgreSQL (two change.Services, one audit trail,
// one form registry): the same form posted to both, at once or one after
// the other, makes one PATCH and both answers are the first post's.
func TestOneFormPostedToTwoInstances(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx := context.Background()
	instance := func(h *harness) *change.Service {
		handle := dbtest.PostgresAt(t, url)
		store, err := audit.New(ctx, handle)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		forms, err := change.OpenPostgresForms(ctx, handle)
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

// An instance dies while it works on a form (its PATCH reached
// ServiceTitan, its answer never came): the same form posted to another
// instance is told at once that the outcome is unknown, not after waiting
// as long as its request may last, and nothing is sent again.
func TestAFormWhoseInstanceDiedIsAnsweredAtOnce(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx := context.Background()
	h := newHarness(t)
	unblock := make(chan struct{})
	instance := func(dies bool) (*change.Service, *instances.Registry) {
		handle := dbtest.PostgresAt(t, url)
		store, err := audit.New(ctx, handle)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		fleet, err := instances.Open(ctx, handle, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fleet.Close)
		if _, err := fleet.Beat(ctx); err != nil {
			t.Fatal(err)
		}
		forms, err := change.OpenPostgresForms(ctx, handle)
		if err != nil {
			t.Fatal(err)
		}
		forms.SetInstances(fleet)
		var registry change.Forms = forms
		if dies {
			registry = &diesBeforeFinishing{Forms: forms, dead: unblock}
		}
		svc, err := change.New(change.Config{ServiceTitan: h.st, Audit: store, TenantID: 1, Region: "US", Budget: 20 * time.Second, Forms: registry})
		if err != nil {
			t.Fatal(err)
		}
		return svc, fleet
	}
	dying, dyingFleet := instance(true)
	survivor, _ := instance(false)

	applied := make(chan struct{})
	h.sb.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		apply()
		close(applied)
		<-r.Context().Done() // the answer never comes back
	})
	r := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Sent just before the crash" })
	done := make(chan struct{})
	go func() { dying.Update(ctx, r); close(done) }()
	t.Cleanup(func() { close(unblock); <-done })
	<-applied
	dyingFleet.Close() // the process dies: its sessions end

	waitCtx, cancel := context.WithTimeout(ctx, 15*time.Second) // a request's time
	defer cancel()
	start := time.Now()
	o := survivor.Update(waitCtx, r)
	if o.Result != change.Abandoned {
		t.Errorf("the form posted again: %s (%+v), want abandoned", o.Result, o.Problem)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the answer took %v: it waited on a dead instance", took)
	}
	if _, patches := h.calls(); patches != 1 {
		t.Errorf("%d PATCHes, want 1", patches)
	}
}

// diesBeforeFinishing is the form registry of an instance that dies
// before it can publish its outcome: Finish never returns (until the test
// ends).
type diesBeforeFinishing struct {
	change.Forms
	dead chan struct{}
}

func (d *diesBeforeFinishing) Finish(ctx context.Context, key string, o change.Outcome) error {
	<-d.dead
	return nil
}
