package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// The customer's name comes from ServiceTitan, whole: a name over 60
// characters was cut on the edit and record pages (they showed a shortened
// copy kept in the session cookie).
func TestLongCustomerNamesAreShownWhole(t *testing.T) {
	const long = "Augusta Ada King, Countess of Lovelace, née Byron, for the Analytical Engine Society"
	up := newUpstream(t)
	up.sb.Intercept(sandbox.OpGetCustomer, func(w http.ResponseWriter, r *http.Request, apply func()) {
		writeJSON(w, 200, fmt.Sprintf(`{"id":5,"active":true,"name":%q,"type":"Residential","address":{}}`, long))
	})
	b := newBrowser(t, up.app(t, time.Second).URL)
	if p := b.get("/customers/5"); text(p, "h1") != long {
		t.Fatalf("customer page h1 = %q", text(p, "h1"))
	}
	edit := b.get("/customers/5/contacts/7/edit")
	if got := text(edit, "[data-customer-name]"); got != long {
		t.Errorf("edit page names %q, want the whole name", got)
	}
	form := formValues(edit.doc, "form#contact-form")
	form.Set("memo", "Named in full")
	saved := b.post("/customers/5/contacts/7", form)
	if saved.status != http.StatusSeeOther {
		t.Fatalf("save: %d", saved.status)
	}
	if got := text(b.get(saved.location), "[data-customer-name]"); got != long {
		t.Errorf("record page names %q, want the whole name", got)
	}
}
