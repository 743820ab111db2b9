package contacts_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client/sandbox"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// The customer's name comes from ServiceTitan, whole: a name over 60
// characters was cut on the edit and record pages (they showed a shortened
// copy kept in the session cookie).
func TestLongCustomerNamesAreShownWhole(t *testing.T) {
	const long = "Augusta Ada King, Countess of Lovelace, née Byron, for the Analytical Engine Society"
	up := NewUpstream(t)
	up.SB.Intercept(sandbox.OpGetCustomer, func(w http.ResponseWriter, r *http.Request, apply func()) {
		WriteJSON(w, 200, fmt.Sprintf(`{"id":5,"active":true,"name":%q,"type":"Residential","address":{}}`, long))
	})
	b := NewBrowser(t, up.App(t, time.Second).URL)
	if p := b.Get("/customers/5"); Text(p, "h1") != long {
		t.Fatalf("customer page h1 = %q", Text(p, "h1"))
	}
	edit := b.Get("/customers/5/contacts/7/edit")
	if got := Text(edit, "[data-customer-name]"); got != long {
		t.Errorf("edit page names %q, want the whole name", got)
	}
	form := FormValues(edit.Doc, "form#contact-form")
	form.Set("memo", "Named in full")
	saved := b.Post("/customers/5/contacts/7", form)
	if saved.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", saved.Status)
	}
	if got := Text(b.Get(saved.Location), "[data-customer-name]"); got != long {
		t.Errorf("record page names %q, want the whole name", got)
	}
}
