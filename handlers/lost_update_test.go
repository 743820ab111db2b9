package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// twoEditors opens contact 7's edit form in Alice's browser and in Bob's,
// before either of them saves.
func twoEditors(t *testing.T) (up *upstream, alice, bob *browser, aliceForm, bobForm url.Values) {
	t.Helper()
	up = newUpstream(t)
	srv := up.app(t, time.Second)
	alice, bob = newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	return up, alice, bob, alice.openForm(7), bob.openForm(7)
}

func TestConcurrentEditsNeverOverwrite(t *testing.T) {
	up, alice, bob, aliceForm, bobForm := twoEditors(t)

	aliceForm.Set("memo", "Alice's memo")
	if p := alice.post("/customers/5/contacts/7", aliceForm); p.status != http.StatusSeeOther {
		t.Fatalf("alice: status %d", p.status)
	}
	bobForm.Set("memo", "Bob's memo")
	bobForm.Set("value", "(217) 555-0199")
	p := bob.post("/customers/5/contacts/7", bobForm)
	if p.status != http.StatusConflict {
		t.Fatalf("bob: status %d, want 409\n%s", p.status, p.body)
	}
	if up.patches.Load() != 1 || up.contact(7).Memo != "Alice's memo" {
		t.Fatalf("bob overwrote alice: %d PATCHes, memo %q", up.patches.Load(), up.contact(7).Memo)
	}
	memoRow := p.doc.Find("[data-conflict-field='memo']")
	if got := strings.TrimSpace(memoRow.Find("[data-opened]").Text()); got != "Cell" {
		t.Errorf("opened memo = %q", got)
	}
	if got := strings.TrimSpace(memoRow.Find("[data-current]").Text()); got != "Alice's memo" {
		t.Errorf("current memo = %q", got)
	}
	if got := strings.TrimSpace(memoRow.Find("[data-mine]").Text()); got != "Bob's memo" {
		t.Errorf("mine memo = %q", got)
	}
	if p.doc.Find("[data-conflict-field='type']").Length() != 0 {
		t.Error("a field nobody changed must not be listed")
	}
	kept := formValues(p.doc, "form#contact-form")
	if kept.Get("memo") != "Bob's memo" || kept.Get("value") != "(217) 555-0199" {
		t.Errorf("bob's input not kept: %v", kept)
	}
	if attr(p, "[data-discard-mine]", "href") != "/customers/5/contacts/7/edit" {
		t.Error("Discard mine link missing")
	}

	// "Save mine anyway" submits the rebased form: a fresh save against the
	// current record, sending only what differs from it.
	p = bob.post("/customers/5/contacts/7", kept)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save mine anyway: status %d\n%s", p.status, p.body)
	}
	if got := up.lastPatch(); got != `{"value":"2175550199","memo":"Bob's memo"}` {
		t.Errorf("PATCH = %s", got)
	}
}

func TestSameFormPostedTwiceMakesOnePatch(t *testing.T) {
	up := newUpstream(t)
	// The first PATCH is held until the second post has arrived.
	release := up.holdPatch(func(w http.ResponseWriter, apply func()) {
		apply()
		writeJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Once","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
	})
	b := newBrowser(t, up.app(t, 2*time.Second).URL)
	form := b.openForm(7)
	form.Set("memo", "Once")

	var wg sync.WaitGroup
	results := make([]page, 2)
	for i := range 2 {
		wg.Go(func() { results[i] = b.post("/customers/5/contacts/7", form) })
	}
	// Both posts are in: one is waiting on the PATCH, the other on the first.
	up.waitForPatch()
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, p := range results {
		if p.status != http.StatusSeeOther || p.location != "/customers/5/contacts/7" {
			t.Errorf("post %d: status %d location %q", i, p.status, p.location)
		}
	}
	if up.patches.Load() != 1 {
		t.Errorf("PATCHes = %d, want 1", up.patches.Load())
	}
	// A resubmission later (Back, then Save again) shows the same outcome.
	if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther || up.patches.Load() != 1 {
		t.Errorf("resubmit: status %d, PATCHes %d", p.status, up.patches.Load())
	}
}

func TestFailedSaveCanBeRetriedWithTheSameForm(t *testing.T) {
	up := newUpstream(t)
	fail := true
	up.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		if fail {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><title>502 Bad Gateway</title></html>")
			return
		}
		apply()
		writeJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Retry","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
	}
	b := newBrowser(t, up.app(t, time.Second).URL)
	form := b.openForm(7)
	form.Set("memo", "Retry")
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusBadGateway || p.doc.Find("[data-not-saved]").Length() == 0 {
		t.Fatalf("status %d", p.status)
	}
	fail = false
	p = b.post("/customers/5/contacts/7", formValues(p.doc, "form#contact-form"))
	if p.status != http.StatusSeeOther || up.patches.Load() != 2 {
		t.Errorf("retry: status %d, PATCHes %d (want 303, 2)", p.status, up.patches.Load())
	}
}

func TestUpstreamFaultsOnSave(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(u *upstream)
		wantStatus  int
		wantText    string
		wantPatches int32
	}{
		{"ok, short Retry-After is waited out once", func(u *upstream) {
			first := true
			u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				if first {
					first = false
					w.Header().Set("Retry-After", "0")
					writeJSON(w, 429, `{}`)
					return
				}
				apply()
				writeJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550188","memo":"x","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
			}
		}, http.StatusSeeOther, "", 2},
		{"nok, token endpoint down", func(u *upstream) {
			u.revokeToken()
			u.onToken = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusServiceUnavailable); return true }
		}, http.StatusServiceUnavailable, "ServiceTitan is unavailable", 0},
		{"nok, credentials refused", func(u *upstream) {
			u.revokeToken()
			u.onToken = func(w http.ResponseWriter) bool { writeJSON(w, 400, `{"error":"invalid_client"}`); return true }
		}, http.StatusServiceUnavailable, "The app cannot sign in to ServiceTitan", 0},
		{"nok, 502 HTML", func(u *upstream) {
			u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				io.WriteString(w, "<html><body>upstream connect error</body></html>")
			}
		}, http.StatusBadGateway, "ServiceTitan is unavailable", 1},
		{"nok, the re-read before saving fails", func(u *upstream) {
			u.onList = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusInternalServerError); return true }
		}, http.StatusBadGateway, "ServiceTitan is unavailable", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, b, form := openedForm(t, 7)
			tt.setup(up)
			form.Set("memo", "x")
			form.Set("value", "217 555 0188")
			p := b.post("/customers/5/contacts/7", form)
			checkPost(t, up, p, tt.wantStatus, tt.wantPatches)
			if tt.wantText == "" {
				return
			}
			if !strings.Contains(text(p, "[data-alert]"), tt.wantText) || p.doc.Find("[data-not-saved]").Length() != 1 {
				t.Errorf("alert = %q", text(p, "[data-alert]"))
			}
			if kept := formValues(p.doc, "form#contact-form"); kept.Get("value") != "217 555 0188" || kept.Get("memo") != "x" {
				t.Errorf("input not kept: %v", kept)
			}
		})
	}
}

// revokeToken makes the API refuse the token the app holds, so the app must
// fetch a new one.
func (u *upstream) revokeToken() { u.sb.RevokeTokens() }

func TestSaveMineKeepsTheirChangeToOtherFields(t *testing.T) {
	up, alice, bob, aliceForm, bobForm := twoEditors(t)
	aliceForm.Set("memo", "Alice's memo")
	aliceForm.Set("marketingUpdatesEnabled", "true")
	alice.post("/customers/5/contacts/7", aliceForm)

	bobForm.Set("value", "(217) 555-0150") // Bob touches only the number
	p := bob.post("/customers/5/contacts/7", bobForm)
	if p.status != http.StatusConflict {
		t.Fatalf("status %d", p.status)
	}
	kept := formValues(p.doc, "form#contact-form")
	if kept.Get("memo") != "Alice's memo" || kept.Get("marketingUpdatesEnabled") != "true" || kept.Get("value") != "(217) 555-0150" {
		t.Errorf("rebased form = %v", kept)
	}
	if p = bob.post("/customers/5/contacts/7", kept); p.status != http.StatusSeeOther {
		t.Fatalf("save mine anyway: %d", p.status)
	}
	if got := up.lastPatch(); got != `{"value":"2175550150"}` {
		t.Errorf("PATCH = %s, want only Bob's change", got)
	}
	if ct := up.contact(7); ct.Memo != "Alice's memo" || !ct.Preferences.MarketingUpdatesEnabled {
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
			up := newUpstream(t)
			up.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				if tt.apply {
					apply()
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusGatewayTimeout)
				io.WriteString(w, "<html><title>504 Gateway Time-out</title></html>")
			}
			b := newBrowser(t, up.app(t, time.Second).URL)
			form := b.openForm(7)
			form.Set("memo", "Behind a gateway")
			p := b.post("/customers/5/contacts/7", form)
			if p.status != tt.wantStatus || up.patches.Load() != 1 {
				t.Fatalf("status %d, PATCHes %d", p.status, up.patches.Load())
			}
			if !tt.apply && (p.doc.Find("[data-not-saved]").Length() != 1 || !strings.Contains(text(p, "[data-alert]"), "your change is not there")) {
				t.Errorf("alert = %q", text(p, "[data-alert]"))
			}
		})
	}
}
