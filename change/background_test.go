package change_test

import (
	"context"
	"sync"
	"testing"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
)

// ordered is a change.ReadCache that lists what it was told, in order.
type ordered struct {
	mu   sync.Mutex
	told []string
}

func (o *ordered) Read(_ context.Context, _ client.Owner, ct client.Contact) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.told = append(o.told, "read "+ct.Memo)
	return nil
}

func (o *ordered) Wrote(_ context.Context, _ client.Owner, ct client.Contact) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.told = append(o.told, "wrote "+ct.Memo)
	return nil
}

// Where the audit trail writes outcomes in the background (SQLite, as
// app.Serve runs it), a save's answer does not wait for the caches: they
// hear of the re-read and then of the write there, before the outcome, so
// whatever waits for the outcome (the History, a search) finds all three.
// The record page's copy (Written) is there at once.
func TestUpdateTellsTheCachesBeforeItsOutcome(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		cache := &ordered{}
		var bg audit.Store
		h := newHarness(t, func(cfg *change.Config) {
			bg = audit.CompleteInBackground(cfg.Audit, func(id int64, err error) { t.Errorf("attempt %d: %v", id, err) })
			cfg.Audit, cfg.Caches = bg, []change.Cache{cache}
		})
		r := h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "Work cell" })
		o := h.svc.Update(context.Background(), r)
		if o.Result != change.Saved {
			t.Fatalf("outcome = %+v", o)
		}
		if ct, ok := h.svc.Written(s.owner, s.mobile); !ok || ct.Memo != "Work cell" {
			t.Errorf("Written = %+v, %v; want the saved contact at once", ct, ok)
		}
		if err := audit.WaitPending(context.Background(), bg); err != nil {
			t.Fatal(err)
		}
		cache.mu.Lock()
		told := cache.told
		cache.mu.Unlock()
		if len(told) != 2 || told[0] != "read "+s.memo || told[1] != "wrote Work cell" {
			t.Errorf("caches told %q, want the re-read, then the write", told)
		}
		if e, err := audit.Get(context.Background(), bg, o.AuditID); err != nil || e.Outcome != audit.OutcomeSaved {
			t.Errorf("outcome %s, %v; want saved", e.Outcome, err)
		}
		bg.Close()
	})
}
