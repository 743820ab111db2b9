package contacts_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

func TestEditFormIsPrefilled(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Get("/customers/5/contacts/7/edit")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d", p.Status)
	}
	form := FormValues(p.Doc, "form#contact-form")
	for name, want := range map[string]string{
		"type": "MobilePhone", "value": "(217) 555-0177", "memo": "Cell",
		"jobRemindersEnabled": "true", "invoiceStatementNotification": "true", "marketingUpdatesEnabled": "",
	} {
		if got := form.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if form.Get("_csrf") == "" || form.Get("modifiedOn") == "" {
		t.Errorf("hidden fields missing: %v", form)
	}
	if got := Attr(p, "#field-value", "type"); got != "tel" {
		t.Errorf("value input type = %q, want tel", got)
	}
	if got := Attr(p, "[data-field='phoneSettings.doNotText']", "data-value"); got != "true" {
		t.Errorf("doNotText shown as %q", got)
	}
	for _, label := range []string{"Landline", "Mobile", "Email", "Fax"} {
		if p.Doc.Find("#field-type option:contains('"+label+"')").Length() != 1 {
			t.Errorf("type option %q missing", label)
		}
	}
	if p.Doc.Find("#field-invoiceNotification").Length() != 0 {
		t.Error("three-flag record must not show the 2026 flags")
	}
}

func TestSaveSendsOnlyChanges(t *testing.T) {
	tests := []struct {
		name      string
		contactID int
		edit      func(v url.Values)
		wantBody  string
	}{
		{"ok, memo only", 7, func(v url.Values) { v.Set("memo", "Work cell") }, `{"memo":"Work cell"}`},
		{"ok, formatted phone is sent as 10 digits", 7, func(v url.Values) { v.Set("value", "(217) 555-0199") }, `{"value":"2175550199"}`},
		{"ok, same number typed differently is no change to value", 7, func(v url.Values) {
			v.Set("value", "+1 217-555-0177")
			v.Set("memo", "")
		}, `{"memo":""}`},
		{"ok, type and value", 9, func(v url.Values) {
			v.Set("type", "Email")
			v.Set("value", "kelly@example.com")
		}, `{"type":"Email","value":"kelly@example.com"}`},
		{"ok, unchecking a flag sends all flags, untouched ones as loaded", 7, func(v url.Values) { v.Del("jobRemindersEnabled") },
			`{"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}}`},
		{"ok, five-flag record keeps the 2026 flags and sends the legacy one as both", 8, func(v url.Values) { v.Set("statementNotification", "true") },
			`{"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true,"invoiceNotification":true,"statementNotification":true}}`},
		{"ok, null preferences get the three flags when one is ticked", 9, func(v url.Values) { v.Set("marketingUpdatesEnabled", "true") },
			`{"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":true,"invoiceStatementNotification":false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, b, form := OpenedForm(t, tt.contactID)
			tt.edit(form)
			p := b.Post("/customers/5/contacts/"+Itoa(tt.contactID), form)
			if p.Status != http.StatusSeeOther || p.Location != "/customers/5/contacts/"+Itoa(tt.contactID) {
				t.Fatalf("status %d location %q\n%s", p.Status, p.Location, p.Body)
			}
			if got := up.LastPatch(); got != tt.wantBody {
				t.Errorf("PATCH body\n got %s\nwant %s", got, tt.wantBody)
			}
			if up.Patches.Load() != 1 {
				t.Errorf("PATCHes = %d, want 1", up.Patches.Load())
			}
		})
	}
}

func TestSavedRecordComesFromThePatchAnswer(t *testing.T) {
	up, b, form := OpenedForm(t, 7)
	form.Set("memo", "Front desk <b>")
	form.Del("jobRemindersEnabled")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("status %d", p.Status)
	}
	listsBefore := up.Lists.Load()
	rec := b.Get(p.Location)
	if rec.Status != http.StatusOK {
		t.Fatalf("record status %d", rec.Status)
	}
	if up.Lists.Load() != listsBefore {
		t.Error("the record page after a save must not read the contact again")
	}
	if got := Text(rec, "[data-flash]"); got != "Contact updated" {
		t.Errorf("flash = %q", got)
	}
	want := map[string]string{
		"memo":                                "Front desk <b>",
		"preferences.jobRemindersEnabled":     "false",
		"phoneSettings.doNotText":             "true",
		"modifiedOn":                          "2026-03-04T15:05:05.123Z",
		"type":                                "MobilePhone",
		"preferences.marketingUpdatesEnabled": "false",
	}
	for field, v := range want {
		if got := Attr(rec, "[data-field='"+field+"']", "data-value"); got != v {
			t.Errorf("%s data-value = %q, want %q", field, got, v)
		}
	}
	if got := Attr(rec, "[data-field='modifiedOn'] time", "datetime"); got != "2026-03-04T15:05:05.123Z" {
		t.Errorf("time datetime = %q", got)
	}
	if got := Text(rec, "[data-field='modifiedOn'] time"); got != "Mar 4, 2026, 9:05 AM CST" {
		t.Errorf("time shown as %q, want Chicago time with zone", got)
	}
	again := b.Get(p.Location)
	if again.Doc.Find("[data-flash]").Length() != 0 {
		t.Error("the flash must be gone on reload")
	}
}

func TestNoChangesMakesNoCall(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Post("/customers/5/contacts/7", b.OpenForm(7))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("status %d", p.Status)
	}
	if up.Patches.Load() != 0 {
		t.Errorf("PATCHes = %d, want 0", up.Patches.Load())
	}
	if got := Text(b.Get(p.Location), "[data-notice]"); got != "No changes to save." {
		t.Errorf("notice = %q", got)
	}
}

func TestInvalidInputIsKeptAndExplained(t *testing.T) {
	tests := []struct {
		name       string
		contactID  int
		edit       func(v url.Values)
		field      string
		wantMsg    string
		patch      func(w http.ResponseWriter, r *http.Request, apply func())
		wantOther  string
		wantTrace  string
		wantCalled int32
	}{
		{name: "nok, bad email", contactID: 8, edit: func(v url.Values) { v.Set("value", "kelly@") }, field: "value", wantMsg: "Enter an email address like name@example.com."},
		{name: "nok, phone too short", contactID: 7, edit: func(v url.Values) { v.Set("value", "555-01") }, field: "value", wantMsg: "Enter a 10-digit phone number, like (217) 555-0177."},
		{name: "nok, letters in a number are said, not turned into digits", contactID: 7, edit: func(v url.Values) { v.Set("value", "217-555-CALL") }, field: "value",
			wantMsg: "A phone number is digits: 217-555-CALL would be saved as (217) 555-2255. Type the digits to save it."},
		{name: "nok, an extension is refused, not answered as a duplicate", contactID: 7, edit: func(v url.Values) { v.Set("value", "2175550123 ext 12") }, field: "value",
			wantMsg: "ServiceTitan keeps no extension: enter the number alone and put extension 12 in the memo."},
		{name: "nok, foreign phone", contactID: 7, edit: func(v url.Values) { v.Set("value", "+44 20 7946 0958") }, field: "value", wantMsg: "ServiceTitan takes US and Canadian phone numbers only."},
		{name: "nok, empty value", contactID: 7, edit: func(v url.Values) { v.Set("value", "  ") }, field: "value", wantMsg: "Enter the phone number."},
		{name: "nok, memo too long", contactID: 7, edit: func(v url.Values) { v.Set("memo", strings.Repeat("é", 256)) }, field: "memo", wantMsg: "Memo must be 255 characters or fewer; it has 256."},
		{name: "nok, unknown type", contactID: 7, edit: func(v url.Values) { v.Set("type", "Pager") }, field: "type", wantMsg: "Choose Landline, Mobile, Email or Fax."},
		{name: "nok, upstream 400 in ASP.NET style", contactID: 7, edit: func(v url.Values) { v.Set("memo", "new memo") }, field: "memo",
			wantMsg: "Memo contains a forbidden word.", wantTrace: "trace-400", wantCalled: 1, wantOther: "CustomerId: Customer is on hold.",
			patch: func(w http.ResponseWriter, r *http.Request, apply func()) {
				WriteJSON(w, 400, `{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"traceId":"trace-400",
					"errors":{"$.memo":["Memo contains a forbidden word."],"CustomerId":["Customer is on hold."]},"data":{}}`)
			}},
		{name: "nok, upstream 400 on a preference flag", contactID: 7, edit: func(v url.Values) { v.Del("jobRemindersEnabled") }, field: "jobRemindersEnabled",
			wantMsg: "The JobRemindersEnabled field is required.", wantCalled: 1,
			patch: func(w http.ResponseWriter, r *http.Request, apply func()) {
				WriteJSON(w, 400, `{"title":"One or more validation errors occurred.","status":400,"errors":{"Preferences.JobRemindersEnabled":["The JobRemindersEnabled field is required."]}}`)
			}},
		{name: "nok, upstream 400 that is not JSON", contactID: 7, edit: func(v url.Values) { v.Set("memo", "x") }, wantCalled: 1, wantOther: "Bad Request",
			patch: func(w http.ResponseWriter, r *http.Request, apply func()) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(400)
				io.WriteString(w, "Bad Request")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			up.OnPatch = tt.patch
			b := NewBrowser(t, up.App(t, time.Second).URL)
			form := b.OpenForm(tt.contactID)
			tt.edit(form)
			p := b.Post("/customers/5/contacts/"+Itoa(tt.contactID), form)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", p.Status, p.Body)
			}
			if up.Patches.Load() != tt.wantCalled {
				t.Errorf("PATCHes = %d, want %d", up.Patches.Load(), tt.wantCalled)
			}
			if Attr(p, "#error-summary", "role") != "alert" {
				t.Error("error summary with role=alert missing")
			}
			if tt.field != "" {
				control := "#field-" + tt.field
				if Attr(p, control, "aria-invalid") != "true" {
					t.Errorf("%s lacks aria-invalid", control)
				}
				if !strings.Contains(Attr(p, control, "aria-describedby"), tt.field+"-error") {
					t.Errorf("%s aria-describedby = %q", control, Attr(p, control, "aria-describedby"))
				}
				if got := Text(p, "#"+tt.field+"-error"); !strings.Contains(got, tt.wantMsg) {
					t.Errorf("message next to %s = %q, want %q", tt.field, got, tt.wantMsg)
				}
				if Attr(p, "#error-summary a:contains('"+tt.wantMsg+"')", "href") != control {
					t.Errorf("summary does not link %q to %s", tt.wantMsg, control)
				}
			}
			if tt.wantOther != "" && !strings.Contains(Text(p, "#error-summary"), tt.wantOther) {
				t.Errorf("summary %q lacks %q", Text(p, "#error-summary"), tt.wantOther)
			}
			if tt.wantTrace != "" && !strings.Contains(Text(p, "main"), tt.wantTrace) {
				t.Errorf("traceId %s not shown", tt.wantTrace)
			}
			kept := FormValues(p.Doc, "form#contact-form")
			for _, name := range []string{"type", "value", "memo", "jobRemindersEnabled"} {
				if name == "type" && form.Get(name) == "Pager" {
					continue // a select cannot show a value it does not offer
				}
				if kept.Get(name) != form.Get(name) {
					t.Errorf("%s not kept: %q, typed %q", name, kept.Get(name), form.Get(name))
				}
			}
		})
	}
}

func TestSaveFailuresKeepInputAndSayNotSaved(t *testing.T) {
	tests := []struct {
		name        string
		patch       func(w http.ResponseWriter, r *http.Request, apply func())
		wantStatus  int
		wantText    string
		wantNotSave bool
		wantRetry   bool
		wantPatches int32
		wantLocate  bool // saved after all: 303
	}{
		{"nok, 404", func(w http.ResponseWriter, r *http.Request, apply func()) {
			WriteJSON(w, 404, `{"title":"Contact not found","status":404,"traceId":"t-404"}`)
		}, 404, "ServiceTitan has no contact with ID 7", true, false, 1, false},
		{"nok, 409 with the API's explanation", func(w http.ResponseWriter, r *http.Request, apply func()) {
			WriteJSON(w, 409, `{"title":"A contact with this value already exists for this customer.","status":409,"traceId":"t-409","errors":{"Value":["Duplicate value."]}}`)
		}, 409, "A contact with this value already exists for this customer.", true, false, 1, false},
		{"nok, 503 HTML page is never retried", func(w http.ResponseWriter, r *http.Request, apply func()) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			io.WriteString(w, "<html><title>Service Unavailable</title></html>")
		}, 502, "ServiceTitan is unavailable", true, true, 1, false},
		{"nok, 500", func(w http.ResponseWriter, r *http.Request, apply func()) {
			w.WriteHeader(500)
		}, 502, "ServiceTitan is unavailable", true, true, 1, false},
		{"nok, 429 with a long Retry-After", func(w http.ResponseWriter, r *http.Request, apply func()) {
			w.Header().Set("Retry-After", "120")
			WriteJSON(w, 429, `{}`)
		}, 429, "Try again in 2 minutes", true, true, 1, false},
		{"nok, hang beyond the timeout, change not there", func(w http.ResponseWriter, r *http.Request, apply func()) {
			<-r.Context().Done()
		}, 504, "your change is not there", true, true, 1, false},
		{"nok, dropped connection, change not there", func(w http.ResponseWriter, r *http.Request, apply func()) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, 504, "your change is not there", true, true, 1, false},
		{"ok, hang after applying counts as saved", func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply()
			<-r.Context().Done()
		}, 303, "", false, false, 1, true},
		{"ok, 200 with malformed JSON after applying counts as saved", func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply()
			WriteJSON(w, 200, `{"id":7,"value":`)
		}, 303, "", false, false, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			up.OnPatch = tt.patch
			b := NewBrowser(t, up.App(t, 300*time.Millisecond).URL)
			form := b.OpenForm(7)
			form.Set("memo", "Typed by Kelly")
			form.Set("value", "(217) 555-0188")
			p := b.Post("/customers/5/contacts/7", form)
			CheckPost(t, up, p, tt.wantStatus, tt.wantPatches)
			if tt.wantLocate {
				rec := b.Get(p.Location)
				if Attr(rec, "[data-field='memo']", "data-value") != "Typed by Kelly" {
					t.Errorf("record does not show the saved memo")
				}
				if !strings.Contains(Text(rec, "[data-notice]"), "confirmation was lost") {
					t.Errorf("notice = %q", Text(rec, "[data-notice]"))
				}
				return
			}
			if got := Text(p, "[data-alert]"); !strings.Contains(got, tt.wantText) {
				t.Errorf("alert = %q, want it to contain %q", got, tt.wantText)
			}
			if got := p.Doc.Find("[data-not-saved]").Length() > 0; got != tt.wantNotSave {
				t.Errorf("NOT saved shown = %v, want %v", got, tt.wantNotSave)
			}
			if got := p.Doc.Find("[data-retry-button]").Length() > 0; got != tt.wantRetry {
				t.Errorf("retry button = %v, want %v", got, tt.wantRetry)
			}
			kept := FormValues(p.Doc, "form#contact-form")
			if kept.Get("memo") != "Typed by Kelly" || kept.Get("value") != "(217) 555-0188" {
				t.Errorf("input not kept: memo %q value %q", kept.Get("memo"), kept.Get("value"))
			}
		})
	}
}

func TestCrossSiteAndTokenlessPostsAreRefused(t *testing.T) {
	up, b, form := OpenedForm(t, 7)
	form.Set("memo", "attack")

	tests := []struct {
		name   string
		header map[string]string
		form   url.Values
	}{
		{"nok, cross-site POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, form},
		{"nok, foreign Origin without fetch metadata", map[string]string{"Origin": "https://evil.example"}, form},
		{"nok, no token", map[string]string{"Sec-Fetch-Site": "same-origin"}, Without(form, "_csrf")},
		{"nok, wrong token", map[string]string{"Sec-Fetch-Site": "same-origin"}, With(form, "_csrf", "forged")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, b.Base+"/customers/5/contacts/7", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			p := b.Do(req)
			if p.Status != http.StatusForbidden {
				t.Errorf("status %d, want 403", p.Status)
			}
			if p.Doc.Find("h1").Length() != 1 {
				t.Error("403 must be an HTML page")
			}
		})
	}
	if up.Patches.Load() != 0 {
		t.Errorf("PATCHes = %d, want 0", up.Patches.Load())
	}
}

func TestExpiredSessionKeepsTheInput(t *testing.T) {
	up, b, form := OpenedForm(t, 7)
	form.Set("memo", "Typed before lunch")
	fresh := NewBrowser(t, b.Base) // a browser whose session is gone
	p := fresh.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusForbidden || up.Patches.Load() != 0 {
		t.Fatalf("status %d, PATCHes %d; want 403, 0", p.Status, up.Patches.Load())
	}
	kept := FormValues(p.Doc, "form#contact-form")
	if kept.Get("memo") != "Typed before lunch" || kept.Get("_csrf") == form.Get("_csrf") {
		t.Errorf("input or fresh token missing: %v", kept)
	}
	if p = fresh.Post("/customers/5/contacts/7", kept); p.Status != http.StatusSeeOther {
		t.Errorf("saving again: %d", p.Status)
	}
}

func TestTamperedSessionCookieStartsFresh(t *testing.T) {
	up := NewUpstream(t)
	srv := up.App(t, time.Second)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/customers/5/contacts/7/edit", nil)
	req.AddCookie(&http.Cookie{Name: "contactdesk", Value: "tampered-not-base64!!"})
	b := NewBrowser(t, srv.URL)
	p := b.Do(req)
	if p.Status != http.StatusOK {
		t.Fatalf("status %d, want 200", p.Status)
	}
	var fresh *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "contactdesk" {
			fresh = c
		}
	}
	if fresh == nil || !fresh.HttpOnly || fresh.SameSite != http.SameSiteLaxMode || fresh.MaxAge != 3600 {
		t.Errorf("session cookie = %+v", fresh)
	}
}

func TestSecretsNeverReachPages(t *testing.T) {
	up := NewUpstream(t)
	up.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		WriteJSON(w, 400, `{"title":"bad","errors":{"":["Authorization `+r.Header.Get("Authorization")+` rejected"]}}`)
	}
	b := NewBrowser(t, up.App(t, time.Second).URL)
	form := b.OpenForm(7)
	form.Set("memo", "x")
	p := b.Post("/customers/5/contacts/7", form)
	// ServiceTitan echoing our token back is hostile; we still show its
	// message, but the client secret and app key must never appear.
	for _, secret := range []string{"client-secret-value", "app-key-value"} {
		if strings.Contains(p.Body, secret) {
			t.Errorf("page contains %q", secret)
		}
	}
}
