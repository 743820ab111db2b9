package bulk

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/index"
)

// A row changes only the contact its preview matched: when a colleague has
// since changed the contact's value or type, the row is skipped as
// "changed since the preview" and nothing is sent (#23, item 3). Removals
// and preference changes alike.
func TestRowsChangedSinceThePreviewAreSkipped(t *testing.T) {
	for _, action := range []Action{{Kind: Remove}, optOut} {
		t.Run(string(action.Kind), func(t *testing.T) {
			h := newHarness(t, 200)
			ctx := context.Background()
			cs := h.marketingOn(t, 12)
			i := slices.IndexFunc(cs, func(c index.Contact) bool { return c.Type.IsPhoneNumber() && c.Type != client.ContactFax })
			if i < 0 {
				t.Fatal("no phone number among the contacts found")
			}
			retyped := cs[i]
			cs = slices.Delete(cs, i, i+1)
			kept, revalued := cs[0], cs[1]
			id, _, err := h.svc.Preview(ctx, listOf(t, kept.Value, revalued.Value, retyped.Value), action, "list.csv", kelly)
			if err != nil {
				t.Fatal(err)
			}
			// Since the preview, a colleague put a real number (or address)
			// in one contact and changed the other's type.
			ct, _ := h.sb.Contact(revalued.CustomerID, revalued.ID)
			if ct.Type == client.ContactEmail {
				ct.Value = "someone.real@example.org"
			} else {
				ct.Value = "3125550142"
			}
			h.sb.SetContact(revalued.CustomerID, ct)
			ct, _ = h.sb.Contact(retyped.CustomerID, retyped.ID)
			ct.Type = map[client.ContactType]client.ContactType{client.ContactMobilePhone: client.ContactPhone, client.ContactPhone: client.ContactMobilePhone}[ct.Type]
			h.sb.SetContact(retyped.CustomerID, ct)
			h.sb.ResetCounters()

			if started, err := h.svc.Confirm(ctx, id, kelly.Email); err != nil || !started {
				t.Fatalf("Confirm: %v, %v", started, err)
			}
			h.run(t, h.runner(), id)

			counts, _ := h.store.Counts(ctx, id)
			if counts != (Counts{Changed: 1, Skipped: 2}) {
				t.Fatalf("counts %+v, want 1 changed and 2 skipped", counts)
			}
			rows, _ := h.store.Targets(ctx, id, "", 0, 10)
			for _, r := range rows {
				_, present := h.sb.Contact(r.CustomerID, r.ContactID)
				switch r.ContactID {
				case kept.ID:
					if r.State != RowChanged {
						t.Errorf("the unchanged contact: %s %q", r.State, r.Message)
					}
				default:
					if r.State != RowSkipped || !strings.HasPrefix(r.Message, "Changed since the preview") || !present {
						t.Errorf("contact %d: %s %q (still there: %v)", r.ContactID, r.State, r.Message, present)
					}
				}
			}
			if n := h.sb.Requests(sandbox.OpDeleteContact) + h.sb.Requests(sandbox.OpUpdateContact); n != 1 {
				t.Errorf("%d writes, want 1 (the contact as previewed)", n)
			}
			if entries, _, _ := h.trail.List(ctx, audit.Filter{Job: id}); len(entries) != 1 {
				t.Errorf("%d audit entries, want 1: nothing is recorded for a row left alone", len(entries))
			}
		})
	}
}
