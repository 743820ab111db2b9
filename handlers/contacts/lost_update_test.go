package contacts_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// twoEditors opens contact 7's edit form in Alice's browser and in Bob's,
// before either of them saves.
func twoEditors(t *testing.T) (up *Upstream, alice, bob *Browser, aliceForm, bobForm url.Values) {
	t.Helper()
	up = NewUpstream(t)
	srv := up.App(t, time.Second)
	alice, bob = NewBrowser(t, srv.URL), NewBrowser(t, srv.URL)
	return up, alice, bob, alice.OpenForm(7), bob.OpenForm(7)
}

func TestConcurrentEditsNeverOverwrite(t *testing.T) {
	up, alice, bob, aliceForm, bobForm := twoEditors(t)

	aliceForm.Set("memo", "Alice's memo")
	if p := alice.Post("/customers/5/contacts/7", aliceForm); p.Status != http.StatusSeeOther {
		t.Fatalf("alice: status %d", p.Status)
	}
	bobForm.Set("memo", "Bob's memo")
	bobForm.Set("value", "(217) 555-0199")
	p := bob.Post("/customers/5/contacts/7", bobForm)
	if p.Status != http.StatusConflict {
		t.Fatalf("bob: status %d, want 409\n%s", p.Status, p.Body)
	}
	if up.Patches.Load() != 1 || up.Contact(7).Memo != "Alice's memo" {
		t.Fatalf("bob overwrote alice: %d PATCHes, memo %q", up.Patches.Load(), up.Contact(7).Memo)
	}
	memoRow := p.Doc.Find("[data-conflict-field='memo']")
	if got := strings.TrimSpace(memoRow.Find("[data-opened]").Text()); got != "Cell" {
		t.Errorf("opened memo = %q", got)
	}
	if got := strings.TrimSpace(memoRow.Find("[data-current]").Text()); got != "Alice's memo" {
		t.Errorf("current memo = %q", got)
	}
	if got := strings.TrimSpace(memoRow.Find("[data-mine]").Text()); got != "Bob's memo" {
		t.Errorf("mine memo = %q", got)
	}
	if p.Doc.Find("[data-conflict-field='type']").Length() != 0 {
		t.Error("a field nobody changed must not be listed")
	}
	kept := FormValues(p.Doc, "form#contact-form")
	if kept.Get("memo") != "Bob's memo" || kept.Get("value") != "(217) 555-0199" {
		t.Errorf("bob's input not kept: %v", kept)
	}
	if Attr(p, "[data-discard-mine]", "href") != "/customers/5/contacts/7/edit" {
		t.Error("Discard mine link missing")
	}

	// "Save mine anyway" submits the rebased form: a fresh save against the
	// current record, sending only what differs from it.
	p = bob.Post("/customers/5/contacts/7", kept)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save mine anyway: status %d\n%s", p.Status, p.Body)
	}
	if got := up.LastPatch(); got != `{"value":"2175550199","memo":"Bob's memo"}` {
		t.Errorf("PATCH = %s", got)
	}
}

func TestSameFormPostedTwiceMakesOnePatch(t *testing.T) {
	up := NewUpstream(t)
	// The first PATCH is held until the second post has arrived.
	release := up.HoldPatch(func(w http.ResponseWriter, apply func()) {
		apply()
		WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Once","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
	})
	b := NewBrowser(t, up.App(t, 2*time.Second).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Once")

	var wg sync.WaitGroup
	results := make([]Page, 2)
	for i := range 2 {
		wg.Go(func() { results[i] = b.Post("/customers/5/contacts/7", form) })
	}
	// Both posts are in: one is waiting on the PATCH, the other on the first.
	up.WaitForPatch()
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, p := range results {
		if p.Status != http.StatusSeeOther || p.Location != "/customers/5/contacts/7" {
			t.Errorf("post %d: status %d location %q", i, p.Status, p.Location)
		}
	}
	if up.Patches.Load() != 1 {
		t.Errorf("PATCHes = %d, want 1", up.Patches.Load())
	}
	// A resubmission later (Back, then Save again) shows the same outcome.
	if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther || up.Patches.Load() != 1 {
		t.Errorf("resubmit: status %d, PATCHes %d", p.Status, up.Patches.Load())
	}
}

func TestFailedSaveCanBeRetriedWithTheSameForm(t *testing.T) {
	up := NewUpstream(t)
	fail := true
	up.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		if fail {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><title>502 Bad Gateway</title></html>")
			return
		}
		apply()
		WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Retry","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
	}
	b := NewBrowser(t, up.App(t, time.Second).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Retry")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusBadGateway || p.Doc.Find("[data-not-saved]").Length() == 0 {
		t.Fatalf("status %d", p.Status)
	}
	fail = false
	p = b.Post("/customers/5/contacts/7", FormValues(p.Doc, "form#contact-form"))
	if p.Status != http.StatusSeeOther || up.Patches.Load() != 2 {
		t.Errorf("retry: status %d, PATCHes %d (want 303, 2)", p.Status, up.Patches.Load())
	}
}

func TestUpstreamFaultsOnSave(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(u *Upstream)
		wantStatus  int
		wantText    string
		wantPatches int32
	}{
		{"ok, short Retry-After is waited out once", func(u *Upstream) {
			first := true
			u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				if first {
					first = false
					w.Header().Set("Retry-After", "0")
					WriteJSON(w, 429, `{}`)
					return
				}
				apply()
				WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550188","memo":"x","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
			}
		}, http.StatusSeeOther, "", 2},
		{"nok, token endpoint down", func(u *Upstream) {
			u.RevokeToken()
			u.OnToken = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusServiceUnavailable); return true }
		}, http.StatusServiceUnavailable, "ServiceTitan is unavailable", 0},
		{"nok, credentials refused", func(u *Upstream) {
			u.RevokeToken()
			u.OnToken = func(w http.ResponseWriter) bool { WriteJSON(w, 400, `{"error":"invalid_client"}`); return true }
		}, http.StatusServiceUnavailable, "The app cannot sign in to ServiceTitan", 0},
		{"nok, 502 HTML", func(u *Upstream) {
			u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				io.WriteString(w, "<html><body>upstream connect error</body></html>")
			}
		}, http.StatusBadGateway, "ServiceTitan is unavailable", 1},
		{"nok, the re-read before saving fails", func(u *Upstream) {
			u.OnList = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusInternalServerError); return true }
		}, http.StatusBadGateway, "ServiceTitan is unavailable", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, b, form := OpenedForm(t, 7)
			tt.setup(up)
			form.Set("memo", "x")
			form.Set("value", "217 555 0188")
			p := b.Post("/customers/5/contacts/7", form)
			CheckPost(t, up, p, tt.wantStatus, tt.wantPatches)
			if tt.wantText == "" {
				return
			}
			if !strings.Contains(Text(p, "[data-alert]"), tt.wantText) || p.Doc.Find("[data-not-saved]").Length() != 1 {
				t.Errorf("alert = %q", Text(p, "[data-alert]"))
			}
			if kept := FormValues(p.Doc, "form#contact-form"); kept.Get("value") != "217 555 0188" || kept.Get("memo") != "x" {
				t.Errorf("input not kept: %v", kept)
			}
		})
	}
}

func TestSaveMineKeepsTheirChangeToOtherFields(t *testing.T) {
	up, alice, bob, aliceForm, bobForm := twoEditors(t)
	aliceForm.Set("memo", "Alice's memo")
	aliceForm.Set("marketingUpdatesEnabled", "true")
	alice.Post("/customers/5/contacts/7", aliceForm)

	bobForm.Set("value", "(217) 555-0150") // Bob touches only the number
	p := bob.Post("/customers/5/contacts/7", bobForm)
	if p.Status != http.StatusConflict {
		t.Fatalf("status %d", p.Status)
	}
	kept := FormValues(p.Doc, "form#contact-form")
	if kept.Get("memo") != "Alice's memo" || kept.Get("marketingUpdatesEnabled") != "true" || kept.Get("value") != "(217) 555-0150" {
		t.Errorf("rebased form = %v", kept)
	}
	if p = bob.Post("/customers/5/contacts/7", kept); p.Status != http.StatusSeeOther {
		t.Fatalf("save mine anyway: %d", p.Status)
	}
	if got := up.LastPatch(); got != `{"value":"2175550150"}` {
		t.Errorf("PATCH = %s, want only Bob's change", got)
	}
	if ct := up.Contact(7); ct.Memo != "Alice's memo" || !ct.Preferences.MarketingUpdatesEnabled {
		t.Errorf("Alice's changes lost: %+v", ct)
	}
}

func TestGatewayErrorAfterApplyingIsChecked(t *testing.T) {
	tests := []struct {
		name       string
		apply      bool
		wantStatus int
	}{
		{"ok, 504 after ServiceTitan saved counts as saved", true, http.StatusSeeOther},
		{"nok, 504 without saving says NOT saved", false, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			up.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				if tt.apply {
					apply()
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusGatewayTimeout)
				io.WriteString(w, "<html><title>504 Gateway Time-out</title></html>")
			}
			b := NewBrowser(t, up.App(t, time.Second).URL)
			form := b.OpenForm(7)
			form.Set("memo", "Behind a gateway")
			p := b.Post("/customers/5/contacts/7", form)
			if p.Status != tt.wantStatus || up.Patches.Load() != 1 {
				t.Fatalf("status %d, PATCHes %d", p.Status, up.Patches.Load())
			}
			if !tt.apply && (p.Doc.Find("[data-not-saved]").Length() != 1 || !strings.Contains(Text(p, "[data-alert]"), "your change is not there")) {
				t.Errorf("alert = %q", Text(p, "[data-alert]"))
			}
		})
	}
}
