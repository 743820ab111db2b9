package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/client"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

func TestSearch(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		wantStatus   int
		wantLocation string
		wantResult   string
		wantText     string
	}{
		{"ok, by name", "/customers?q=lovelace", 200, "", "Ada Lovelace", ""},
		{"ok, by formatted phone", "/customers?q=%28217%29+555-0177", 200, "", "Ada Lovelace", ""},
		{"ok, exact id goes straight to the customer", "/customers?q=5", 303, "/customers/5", "", ""},
		{"ok, nothing found", "/customers?q=nobody", 200, "", "", "No customers match"},
		{"nok, empty query explains itself", "/customers?q=+", 200, "", "", "Type a name, phone number or customer ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.App(t, time.Second).URL)
			p := b.Get(tt.path)
			if p.Status != tt.wantStatus || p.Location != tt.wantLocation {
				t.Fatalf("status %d location %q", p.Status, p.Location)
			}
			if tt.wantResult != "" {
				link := p.Doc.Find("a[href='/customers/5']")
				if !strings.Contains(link.Text(), tt.wantResult) {
					t.Errorf("result link %q", link.Text())
				}
				if !strings.Contains(Text(p, "main"), "12 Analytical Way") || !strings.Contains(Text(p, "main"), "(217) 555-0177") {
					t.Errorf("address or contact summary missing: %s", Text(p, "main"))
				}
			}
			if tt.wantText != "" && !strings.Contains(Text(p, "main"), tt.wantText) {
				t.Errorf("page lacks %q: %s", tt.wantText, Text(p, "main"))
			}
		})
	}
}

func TestRecentCustomersAreRemembered(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	if got := b.Get("/"); got.Doc.Find("a[href='/customers/5']").Length() != 0 {
		t.Fatal("a new session has no recent customers")
	}
	b.Get("/customers/5")
	home := b.Get("/")
	if !strings.Contains(home.Doc.Find("a[href='/customers/5']").Text(), "Ada Lovelace") {
		t.Errorf("recently opened customer not listed: %s", Text(home, "main"))
	}
}

func TestCustomerPageListsAllContacts(t *testing.T) {
	up := NewUpstream(t)
	up.SB.SetMaxPageSize(2) // three contacts over two pages
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Get("/customers/5")
	if p.Status != 200 {
		t.Fatalf("status %d", p.Status)
	}
	if n := p.Doc.Find("[data-contacts]").First().Find("[data-contact-id]").Length(); n != 3 {
		t.Errorf("contacts shown = %d, want 3", n)
	}
	if n := p.Doc.Find("[data-location-id='50'] [data-contact-id]").Length(); n != 2 {
		t.Errorf("the location's contacts shown = %d, want 2", n)
	}
	for _, want := range []string{"Ada Lovelace", "12 Analytical Way", "(217) 555-0177", "ada@example.com", "Cell", "Opted out"} {
		if !strings.Contains(Text(p, "main"), want) {
			t.Errorf("customer page lacks %q", want)
		}
	}
	if p.Doc.Find("a[href='/customers/5/contacts/7/edit']").Length() != 1 {
		t.Error("edit link missing")
	}
}

func TestRecordPageFields(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Get("/customers/5/contacts/8")
	if p.Status != 200 {
		t.Fatalf("status %d", p.Status)
	}
	want := map[string]string{
		"id": "8", "type": "Email", "value": "ada@example.com", "memo": "",
		"createdOn": "2026-03-04T15:04:05.123Z", "modifiedOn": "2026-03-04T15:04:05.123Z",
		"preferences.invoiceNotification": "true", "preferences.statementNotification": "false",
		"preferences.invoiceStatementNotification": "false",
	}
	for field, v := range want {
		sel := p.Doc.Find("[data-field='" + field + "']")
		if sel.Length() != 1 {
			t.Errorf("%s shown %d times", field, sel.Length())
			continue
		}
		if got, _ := sel.Attr("data-value"); got != v {
			t.Errorf("%s data-value = %q, want %q", field, got, v)
		}
	}
	if p.Doc.Find("[data-field='phoneSettings.doNotText']").Length() != 0 {
		t.Error("an email has no phone settings")
	}
	// Separate invoice and statement flags: the list shows them, and the
	// legacy combined flag is explained once, outside it (#23, item 1).
	var labels []string
	p.Doc.Find("[data-preferences] dt").Each(func(_ int, s *goquery.Selection) { labels = append(labels, s.Text()) })
	if strings.Join(labels, ", ") != "Job reminders, Marketing updates, Invoices, Statements" {
		t.Errorf("preferences shown: %q", labels)
	}
	if note := p.Doc.Find("[data-combined-flag]"); note.Length() != 1 || !strings.Contains(note.Text(), "older setting for invoices and statements together, now Off") {
		t.Errorf("combined flag explained %d times: %q", note.Length(), note.Text())
	}
	edit := b.Get("/customers/5/contacts/8/edit")
	if note := edit.Doc.Find("#preferences-hint [data-combined-flag]"); note.Length() != 1 {
		t.Errorf("the edit form explains the combined flag %d times", note.Length())
	}
}

func TestErrorPages(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		setup      func(u *Upstream)
		wantStatus int
		wantText   string
		wantCalls  int32
	}{
		{"nok, unknown customer", "/customers/6", nil, 404, "ServiceTitan has no customer with ID 6", 1},
		{"nok, unknown contact", "/customers/5/contacts/99", nil, 404, "ServiceTitan has no contact with ID 99 for Ada Lovelace", 2},
		{"nok, id that is not a number makes no call", "/customers/abc", nil, 404, "There is no customer with the ID", 0},
		{"nok, negative id makes no call", "/customers/5/contacts/-1/edit", nil, 404, "There is no contact with the ID", 0},
		{"nok, unknown page", "/nowhere", nil, 404, "There is no page at this address", 0},
		{"nok, credentials refused", "/customers/5", func(u *Upstream) {
			u.OnToken = func(w http.ResponseWriter) bool {
				WriteJSON(w, 400, `{"error":"invalid_client"}`)
				return true
			}
		}, 503, "The app cannot sign in to ServiceTitan", 0},
		{"nok, token endpoint down", "/customers/5", func(u *Upstream) {
			u.OnToken = func(w http.ResponseWriter) bool {
				w.WriteHeader(502)
				return true
			}
		}, 503, "ServiceTitan is unavailable", 0},
		{"nok, contact list answers garbage", "/customers/5", func(u *Upstream) {
			u.OnList = func(w http.ResponseWriter) bool {
				WriteJSON(w, 200, `<html>`)
				return true
			}
		}, 502, "ServiceTitan is unavailable", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			if tt.setup != nil {
				tt.setup(up)
			}
			b := NewBrowser(t, up.App(t, time.Second).URL)
			p := b.Get(tt.path)
			if p.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.wantStatus, p.Body)
			}
			if !strings.Contains(Text(p, "main"), tt.wantText) {
				t.Errorf("page lacks %q: %s", tt.wantText, Text(p, "main"))
			}
			if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || p.Doc.Find("h1").Length() != 1 {
				t.Errorf("error page is not HTML with one h1")
			}
			if calls := up.Customers.Load() + up.Lists.Load(); calls != tt.wantCalls {
				t.Errorf("upstream reads = %d, want %d", calls, tt.wantCalls)
			}
			for _, leak := range []string{"servicetitan:", "client-secret-value", "goroutine"} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("page leaks %q", leak)
				}
			}
		})
	}
}

func TestHealth(t *testing.T) {
	up := NewUpstream(t)
	srv := up.App(t, time.Second)
	for _, tt := range []struct {
		path   string
		status int
		field  string
		want   string
	}{
		{"/healthz", 200, "status", "ok"},
		{"/readyz", 200, "status", "ready"},
	} {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || body[tt.field] != tt.want {
			t.Errorf("%s: %d %v", tt.path, resp.StatusCode, body)
		}
	}
	up2 := NewUpstream(t)
	up2.OnToken = func(w http.ResponseWriter) bool { WriteJSON(w, 401, `{"error":"invalid_client"}`); return true }
	resp, _ := http.Get(up2.App(t, time.Second).URL + "/readyz")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with refused credentials: %d, want 503", resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Get("/")
	csp := p.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline or eval: %q", csp)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-XSS-Protection": "0", "Cross-Origin-Opener-Policy": "same-origin"} {
		if p.Header.Get(h) != want {
			t.Errorf("%s = %q", h, p.Header.Get(h))
		}
	}
	if p.Doc.Find("script:not([src])").Length() != 0 || p.Doc.Find("[style]").Length() != 0 {
		t.Error("inline script or style on the page")
	}
	css := Attr(p, "link[rel=stylesheet]", "href")
	resp, err := http.Get(up.App(t, time.Second).URL + css)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet %s: %d %q", css, resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

func TestHostileTextRendersInert(t *testing.T) {
	up := NewUpstream(t)
	up.Edit(7, func(c *client.Contact) { c.Memo = `<script>alert(1)</script>"><img src=x onerror=alert(1)>` })
	up.Edit(8, func(c *client.Contact) { c.Value = `"><svg onload=alert(1)>@example.com` })
	b := NewBrowser(t, up.App(t, time.Second).URL)
	for _, path := range []string{"/customers/5", "/customers/5/contacts/7", "/customers/5/contacts/7/edit", "/customers/5/contacts/8/edit"} {
		p := b.Get(path)
		if p.Status != 200 {
			t.Fatalf("%s: %d", path, p.Status)
		}
		if n := p.Doc.Find("script:not([src]), img, svg, [onerror], [onload]").Length(); n != 0 {
			t.Errorf("%s: %d live elements from hostile text", path, n)
		}
	}
}
