package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

const (
	hostileScript = `<script>alert(1)</script>`
	hostileImg    = `"><img src=x onerror=alert(1)>`
)

func testLayout(title string) Layout {
	return Layout{
		Title:      title,
		CSSURL:     "/static/app.0123456789.css",
		JSURL:      "/static/app.0123456789.js",
		FaviconURL: "/static/favicon.0123456789.svg",
		Version:    "v1.2.3",
		User:       "dispatch@example.com",
		SignOutURL: "/signout",
	}
}

func testSearch() SearchPage {
	return SearchPage{
		Layout:   testLayout("Search"),
		Query:    "lovelace",
		Searched: true,
		Page:     2,
		PrevURL:  "/customers?q=lovelace&page=1",
		NextURL:  "/customers?q=lovelace&page=3",
		Results: []CustomerLink{
			{ID: 10000001, URL: "/customers/10000001", Name: "Ada Lovelace", Address: "12 Analytical Way, Springfield, IL 62701", ContactSummary: "(217) 555-0177 · ada@example.com · 1 more"},
			{ID: 10000002, URL: "/customers/10000002", Name: "Byron Lovelace", Address: "", ContactSummary: "ada@example.com"},
		},
		Recent: []CustomerLink{{ID: 10000003, URL: "/customers/10000003", Name: "Grace Hopper", Address: "1 Navy Yard"}},
	}
}

func boolPtr(v bool) *bool { return &v }

func testFlags() []Flag {
	return []Flag{
		{Name: "jobRemindersEnabled", Label: "Job reminders", Value: true},
		{Name: "marketingUpdatesEnabled", Label: "Marketing updates", Value: false},
		{Name: "invoiceStatementNotification", Label: "Invoices and statements", Value: true},
	}
}

func testCustomer() CustomerPage {
	return CustomerPage{
		Layout:  testLayout("Ada Lovelace"),
		ID:      10000001,
		Name:    "Ada Lovelace",
		Address: "12 Analytical Way, Springfield, IL 62701",
		Active:  false,
		BackURL: "/customers?q=lovelace",
		Contacts: []ContactRow{
			{ID: 501, TypeLabel: "Mobile phone", Value: "(217) 555-0177", Memo: "work #", IsPhone: true, DoNotText: true,
				Flags: testFlags(), ModifiedOn: Time{ISO: "2026-03-01T14:05:00.123Z", Display: "Mar 1, 2026, 8:05 AM"},
				URL: "/customers/10000001/contacts/501", EditURL: "/customers/10000001/contacts/501/edit"},
			{ID: 502, TypeLabel: "Email", Value: "ada@example.com", IsPhone: false,
				URL: "/customers/10000001/contacts/502", EditURL: "/customers/10000001/contacts/502/edit"},
		},
	}
}

func testRecord() RecordPage {
	return RecordPage{
		Layout:       testLayout("Contact (217) 555-0177"),
		CustomerID:   10000001,
		CustomerName: "Ada Lovelace",
		CustomerURL:  "/customers/10000001",
		ContactID:    501,
		EditURL:      "/customers/10000001/contacts/501/edit",
		Fields: []RecordField{
			{Label: "Type", Field: "type", Raw: "MobilePhone", Text: "Mobile phone"},
			{Label: "Value", Field: "value", Raw: "2175550177", Text: "(217) 555-0177"},
			{Label: "Memo", Field: "memo", Raw: "", Text: ""},
			{Label: "Texting", Field: "phoneSettings.doNotText", Raw: "true", Text: "Opted out", Hint: "The customer texted STOP. Only they can opt back in."},
			{Label: "Last changed", Field: "modifiedOn", Raw: "2026-03-01T14:05:00.123Z", Time: Time{ISO: "2026-03-01T14:05:00.123Z", Display: "Mar 1, 2026, 8:05 AM"}},
		},
		Preferences: []RecordField{
			{Label: "Job reminders", Field: "preferences.jobRemindersEnabled", Raw: "true", Text: "On"},
			{Label: "Marketing updates", Field: "preferences.marketingUpdatesEnabled", Raw: "false", Text: "Off"},
		},
	}
}

func testForm() ContactForm {
	return ContactForm{
		Layout:       testLayout("Edit contact"),
		Action:       "/customers/10000001/contacts/501",
		CancelURL:    "/customers/10000001/contacts/501",
		CustomerName: "Ada Lovelace",
		ContactID:    501,
		CSRFToken:    "tok-123",
		CSRFField:    "_csrf",
		Type:         "MobilePhone",
		TypeOptions: []Option{
			{Value: "Phone", Label: "Phone"},
			{Value: "MobilePhone", Label: "Mobile phone", Selected: true},
			{Value: "Email", Label: "Email"},
			{Value: "Fax", Label: "Fax"},
		},
		ValueInputType: "tel",
		Value:          "(217) 555-0177",
		Memo:           "work #",
		MemoMax:        255,
		Flags:          testFlags(),
		DoNotText:      boolPtr(false),
		Hidden: []Hidden{
			{Name: "loaded.value", Value: "2175550177"},
			{Name: "modifiedOn", Value: "2026-03-01T14:05:00.1234567Z"},
		},
	}
}

func testFormWithErrors() ContactForm {
	m := testForm()
	m.Value = "555-01"
	m.FieldErrors = map[string][]string{
		"value":                   {"Enter a phone number with 10 digits, like (217) 555-0177"},
		"memo":                    {"Memo must be 255 characters or fewer", "Memo cannot contain line breaks"},
		"marketingUpdatesEnabled": {"Marketing updates cannot be turned on for this contact"},
	}
	m.Summary = []SummaryItem{
		{Message: "Enter a phone number with 10 digits, like (217) 555-0177", Href: "#field-value"},
		{Message: "Memo must be 255 characters or fewer", Href: "#field-memo"},
		{Message: "Memo cannot contain line breaks", Href: "#field-memo"},
		{Message: "Marketing updates cannot be turned on for this contact", Href: "#field-marketingUpdatesEnabled"},
		{Message: "ServiceTitan rejected the change"},
	}
	m.Alert = &Alert{TraceID: "00-abc123-01"} // ServiceTitan's reference for its 400
	return m
}

func testError() ErrorPage {
	return ErrorPage{
		Layout:  testLayout("Page not found"),
		Status:  404,
		Heading: "Page not found",
		Message: "There is no customer 999 in ServiceTitan.",
		TraceID: "trace-404",
		BackURL: "/customers?q=999",
		Back:    "Back to your search",
	}
}

func render(t *testing.T, c templ.Component) (string, *goquery.Document) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return buf.String(), doc
}

// allPages is every component with a realistic model, for page-wide rules.
func allPages() []struct {
	name string
	c    templ.Component
} {
	searchEmpty := SearchPage{Layout: testLayout(""), Recent: testSearch().Recent}
	searchNone := SearchPage{Layout: testLayout(""), Query: "zzz", Searched: true}
	searchProblem := SearchPage{Layout: testLayout(""), Searched: true, Problem: "Type a name, phone number or customer ID."}
	sandbox := testCustomer()
	sandbox.Sandbox = true
	sandbox.Flash = "Contact updated"
	sandbox.Notice = "No changes to save"
	alert := testForm()
	alert.Alert = &Alert{Title: "ServiceTitan did not answer", Body: "We could not tell whether the change was saved.", NotSaved: true, Retry: true, TraceID: "trace-1"}
	both := testFormWithErrors()
	both.Alert = &Alert{Title: "Someone else changed this contact", Body: "Check the values below.", NotSaved: true}
	email := testForm()
	email.ValueInputType = "email"
	email.DoNotText = nil
	email.Flags = nil
	bare := ErrorPage{Status: 500}
	return []struct {
		name string
		c    templ.Component
	}{
		{"search, start", Search(SearchPage{Layout: testLayout("")})},
		{"search, start with recent", Search(searchEmpty)},
		{"search, results", Search(testSearch())},
		{"search, no results", Search(searchNone)},
		{"search, problem", Search(searchProblem)},
		{"customer", Customer(testCustomer())},
		{"customer, sandbox with flash", Customer(sandbox)},
		{"customer, no contacts", Customer(CustomerPage{Layout: testLayout(""), Name: "Nobody", Active: true})},
		{"record", Record(testRecord())},
		{"record, no preferences", Record(RecordPage{Layout: testLayout(""), Fields: testRecord().Fields})},
		{"form", EditContact(testForm())},
		{"form, errors", EditContact(testFormWithErrors())},
		{"form, alert", EditContact(alert)},
		{"form, errors and alert", EditContact(both)},
		{"form, email", EditContact(email)},
		{"error", Error(testError())},
		{"error, bare", Error(bare)},
	}
}

func TestPageRules(t *testing.T) {
	for _, p := range allPages() {
		t.Run("ok, "+p.name, func(t *testing.T) {
			_, doc := render(t, p.c)
			if n := doc.Find("h1").Length(); n != 1 {
				t.Errorf("h1 count = %d, want 1", n)
			}
			if n := doc.Find("main#main").Length(); n != 1 {
				t.Errorf("main#main count = %d, want 1", n)
			}
			if lang, _ := doc.Find("html").Attr("lang"); lang != "en" {
				t.Errorf(`html lang = %q, want "en"`, lang)
			}
			for _, sel := range []string{"header", "footer", `a.skip-link[href="#main"]`, "head > title", `meta[name=viewport]`} {
				if doc.Find(sel).Length() != 1 {
					t.Errorf("want exactly one %s", sel)
				}
			}
			if title := doc.Find("title").Text(); !strings.HasSuffix(title, " · Contact desk") && title != "Contact desk" {
				t.Errorf("title = %q", title)
			}
			if n := doc.Find("[style]").Length(); n != 0 {
				t.Errorf("%d elements with an inline style attribute", n)
			}
			if n := doc.Find("style").Length(); n != 0 {
				t.Errorf("%d <style> elements", n)
			}
			doc.Find("script").Each(func(_ int, s *goquery.Selection) {
				if src, ok := s.Attr("src"); !ok || src == "" || strings.TrimSpace(s.Text()) != "" {
					h, _ := goquery.OuterHtml(s)
					t.Errorf("inline script: %s", h)
				}
			})
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if strings.HasPrefix(strings.ToLower(a.Key), "on") {
						t.Errorf("inline event handler %s on <%s>", a.Key, goquery.NodeName(s))
					}
				}
			})
			ids := map[string]int{}
			doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("id")
				ids[id]++
			})
			for id, n := range ids {
				if n > 1 {
					t.Errorf("id %q used %d times", id, n)
				}
			}
			for _, attr := range []string{"aria-describedby", "aria-labelledby"} {
				doc.Find("[" + attr + "]").Each(func(_ int, s *goquery.Selection) {
					v, _ := s.Attr(attr)
					for _, ref := range strings.Fields(v) {
						if ids[ref] == 0 {
							t.Errorf("%s points at missing id %q", attr, ref)
						}
					}
				})
			}
			doc.Find(`a[href^="#"]`).Each(func(_ int, s *goquery.Selection) {
				href, _ := s.Attr("href")
				if ids[strings.TrimPrefix(href, "#")] == 0 {
					t.Errorf("link to missing target %s", href)
				}
			})
			doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
				if typ, _ := s.Attr("type"); typ == "hidden" {
					return
				}
				id, _ := s.Attr("id")
				if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
					t.Errorf("<%s id=%q> has no label", goquery.NodeName(s), id)
				}
			})
			if n := doc.Find("[autofocus]").Length(); n > 1 {
				t.Errorf("%d autofocus elements", n)
			}
			doc.Find("a").Each(func(_ int, s *goquery.Selection) {
				if strings.TrimSpace(s.Text()) == "" {
					t.Errorf("link without text: %v", s.AttrOr("href", ""))
				}
			})
		})
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name    string
		layout  Layout
		banner  bool
		flash   string
		notice  string
		user    bool
		version string
	}{
		{name: "ok, production", layout: testLayout("Find a customer"), user: true, version: "Contact desk v1.2.3"},
		{name: "ok, sandbox", layout: func() Layout { l := testLayout("x"); l.Sandbox = true; return l }(), banner: true, user: true, version: "Contact desk v1.2.3"},
		{name: "ok, flash and notice", layout: func() Layout {
			l := testLayout("x")
			l.Flash, l.Notice = "Contact updated", "No changes to save"
			return l
		}(), flash: "Contact updated", notice: "No changes to save", user: true, version: "Contact desk v1.2.3"},
		{name: "nok, no user no version", layout: Layout{}, version: "Contact desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := render(t, Search(SearchPage{Layout: tt.layout}))
			b := doc.Find("[data-sandbox-banner]")
			if got := b.Length() == 1; got != tt.banner {
				t.Errorf("sandbox banner shown = %v, want %v", got, tt.banner)
			}
			if tt.banner && strings.TrimSpace(b.Text()) != "Sandbox — not connected to ServiceTitan" {
				t.Errorf("banner text = %q", b.Text())
			}
			if got := doc.Find("main [data-flash][role=status]").Text(); got != tt.flash {
				t.Errorf("flash = %q, want %q", got, tt.flash)
			}
			if got := doc.Find("main [data-notice][role=status]").Text(); got != tt.notice {
				t.Errorf("notice = %q, want %q", got, tt.notice)
			}
			if got := doc.Find("[data-user]").Length() == 1; got != tt.user {
				t.Errorf("user shown = %v, want %v", got, tt.user)
			}
			if tt.user {
				if !strings.Contains(doc.Find("[data-user]").Text(), "Signed in as dispatch@example.com") {
					t.Errorf("user text = %q", doc.Find("[data-user]").Text())
				}
				if doc.Find(`header a[href="/signout"]`).Text() != "Sign out" {
					t.Error("no sign-out link")
				}
			}
			if got := strings.TrimSpace(doc.Find("footer").Text()); got != tt.version {
				t.Errorf("footer = %q, want %q", got, tt.version)
			}
			if doc.Find(`header a.app-name[href="/"]`).Text() != "Contact desk" || doc.Find(`header nav a[href="/audit"]`).Length() != 1 {
				t.Error("no home link in header")
			}
			wantAssets := tt.layout.CSSURL != ""
			if got := doc.Find(`link[rel=stylesheet]`).Length() == 1; got != wantAssets {
				t.Errorf("stylesheet linked = %v, want %v", got, wantAssets)
			}
			if got := doc.Find(`script[src][defer]`).Length() == 1; got != wantAssets {
				t.Errorf("script linked = %v, want %v", got, wantAssets)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	noResults := SearchPage{Layout: testLayout(""), Query: "zzz", Searched: true}
	problem := SearchPage{Layout: testLayout(""), Searched: true, Problem: "Type a name, phone number or customer ID."}
	tests := []struct {
		name      string
		m         SearchPage
		autofocus bool
		results   int
		noResults string
		problem   string
		prev      string
		next      string
		recent    int
	}{
		{name: "ok, start", m: SearchPage{Layout: testLayout("")}, autofocus: true},
		{name: "ok, results", m: testSearch(), results: 2, prev: "/customers?q=lovelace&page=1", next: "/customers?q=lovelace&page=3", recent: 1},
		{name: "nok, no results", m: noResults, noResults: "No customers match “zzz”."},
		{name: "nok, problem", m: problem, problem: "Type a name, phone number or customer ID."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := render(t, Search(tt.m))
			if doc.Find("h1").Text() != "Find a customer" {
				t.Errorf("h1 = %q", doc.Find("h1").Text())
			}
			form := doc.Find(`form[method=get][action="/customers"]`)
			if form.Length() != 1 {
				t.Fatal("no GET form to /customers")
			}
			q := form.Find(`input[type=search][name=q]#q`)
			if q.Length() != 1 {
				t.Fatal("no search input")
			}
			if doc.Find(`label[for=q]`).Text() != "Name, phone number, email, address or ID" { // says what it finds (issue #15)
				t.Errorf("label = %q", doc.Find(`label[for=q]`).Text())
			}
			if v := q.AttrOr("value", ""); v != tt.m.Query {
				t.Errorf("q value = %q, want %q", v, tt.m.Query)
			}
			if _, got := q.Attr("autofocus"); got != tt.autofocus {
				t.Errorf("autofocus = %v, want %v", got, tt.autofocus)
			}
			if form.Find(`button[type=submit]`).Text() != "Search" {
				t.Error("no Search button")
			}
			if got := doc.Find(".results > li").Length(); got != tt.results {
				t.Errorf("results = %d, want %d", got, tt.results)
			}
			if tt.results > 0 {
				a := doc.Find(".results > li a").First()
				if a.Text() != "Ada Lovelace" || a.AttrOr("href", "") != "/customers/10000001" {
					t.Errorf("first result link = %q → %q", a.Text(), a.AttrOr("href", ""))
				}
				li := doc.Find(".results > li").First().Text()
				for _, want := range []string{"12 Analytical Way", "(217) 555-0177 · ada@example.com · 1 more"} {
					if !strings.Contains(li, want) {
						t.Errorf("result lacks %q", want)
					}
				}
			}
			if got := strings.TrimSpace(doc.Find("[data-no-results]").Text()); got != tt.noResults {
				t.Errorf("no results = %q, want %q", got, tt.noResults)
			}
			p := doc.Find("[data-problem]")
			if got := p.Text(); got != tt.problem {
				t.Errorf("problem = %q, want %q", got, tt.problem)
			}
			if tt.problem != "" && p.AttrOr("role", "") != "status" {
				t.Error("problem is not role=status")
			}
			nav := doc.Find(`nav[aria-label="Pagination"]`)
			if got := nav.Find(`a[rel=prev]`).AttrOr("href", ""); got != tt.prev {
				t.Errorf("prev = %q, want %q", got, tt.prev)
			}
			if got := nav.Find(`a[rel=next]`).AttrOr("href", ""); got != tt.next {
				t.Errorf("next = %q, want %q", got, tt.next)
			}
			if tt.prev != "" && !strings.Contains(nav.Find("a[rel=prev]").Text(), "Previous") {
				t.Error("prev link text")
			}
			if tt.next != "" && !strings.Contains(nav.Find("a[rel=next]").Text(), "Next") {
				t.Error("next link text")
			}
			recent := doc.Find("[data-recent]")
			if got := recent.Find("li a").Length(); got != tt.recent {
				t.Errorf("recent = %d, want %d", got, tt.recent)
			}
			if tt.recent > 0 && recent.Find("h2").Text() != "Recently opened" {
				t.Error("recent heading")
			}
		})
	}
}

func TestCustomer(t *testing.T) {
	active := testCustomer()
	active.Active = true
	tests := []struct {
		name     string
		m        CustomerPage
		inactive bool
	}{
		{name: "ok, inactive customer", m: testCustomer(), inactive: true},
		{name: "ok, active customer", m: active},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := render(t, Customer(tt.m))
			if doc.Find("h1").Text() != "Ada Lovelace" {
				t.Errorf("h1 = %q", doc.Find("h1").Text())
			}
			back := doc.Find(`[data-back-link]`)
			if back.AttrOr("href", "") != "/customers?q=lovelace" || !strings.Contains(back.Text(), "Back to search") {
				t.Errorf("back link = %q → %q", back.Text(), back.AttrOr("href", ""))
			}
			if got := doc.Find("[data-inactive]").Length() == 1; got != tt.inactive {
				t.Errorf("inactive badge = %v, want %v", got, tt.inactive)
			}
			table := doc.Find("table")
			if table.Find("caption").Text() != "Contacts" {
				t.Error("caption")
			}
			var cols []string
			table.Find("thead th[scope=col]").Each(func(_ int, s *goquery.Selection) { cols = append(cols, s.Text()) })
			if got := strings.Join(cols, "|"); got != "Type|Value|Memo|Texting|Preferences|Last changed|Actions" {
				t.Errorf("columns = %s", got)
			}
			phone := table.Find(`tr[data-contact-id="501"]`)
			email := table.Find(`tr[data-contact-id="502"]`)
			if phone.Length() != 1 || email.Length() != 1 {
				t.Fatal("rows with data-contact-id")
			}
			cells := phone.Children()
			if got := cells.Eq(3).Text(); got != "Opted out (texted STOP)" {
				t.Errorf("texting = %q", got)
			}
			if got := email.Children().Eq(3).Find("[aria-hidden=true]").Text(); got != "—" {
				t.Errorf("email texting = %q", got)
			}
			if got := email.Children().Eq(4).Text(); strings.TrimSpace(got) != "Not set" {
				t.Errorf("email preferences = %q", got)
			}
			prefs := cells.Eq(4).Find("li")
			if prefs.Length() != 3 || !strings.Contains(prefs.Eq(0).Text(), "Job reminders") || !strings.Contains(prefs.Eq(0).Text(), "On") || !strings.Contains(prefs.Eq(1).Text(), "Off") {
				t.Errorf("preferences = %q", cells.Eq(4).Text())
			}
			tm := cells.Eq(5).Find("time")
			if tm.AttrOr("datetime", "") != "2026-03-01T14:05:00.123Z" || tm.Text() != "Mar 1, 2026, 8:05 AM" {
				t.Errorf("time = %q %q", tm.AttrOr("datetime", ""), tm.Text())
			}
			edit := phone.Find("a[data-edit-link]")
			if edit.AttrOr("href", "") != "/customers/10000001/contacts/501/edit" || edit.Text() != "Edit (217) 555-0177" {
				t.Errorf("edit link = %q → %q", edit.Text(), edit.AttrOr("href", ""))
			}
			if edit.Find(".visually-hidden").Text() != " (217) 555-0177" {
				t.Error("edit link's value is not visually hidden")
			}
			view := phone.Find("a[data-view-link]")
			if view.AttrOr("href", "") != "/customers/10000001/contacts/501" || !strings.HasPrefix(view.Text(), "View") {
				t.Errorf("view link = %q", view.Text())
			}
		})
	}
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value string
		text  string
		time  string
	}{
		{name: "ok, type", field: "type", value: "MobilePhone", text: "Mobile phone"},
		{name: "ok, value", field: "value", value: "2175550177", text: "(217) 555-0177"},
		{name: "ok, empty memo", field: "memo", value: "", text: "—None"},
		{name: "ok, do not text", field: "phoneSettings.doNotText", value: "true", text: "Opted out"},
		{name: "ok, time", field: "modifiedOn", value: "2026-03-01T14:05:00.123Z", text: "Mar 1, 2026, 8:05 AM", time: "2026-03-01T14:05:00.123Z"},
		{name: "ok, preference on", field: "preferences.jobRemindersEnabled", value: "true", text: "On"},
		{name: "ok, preference off", field: "preferences.marketingUpdatesEnabled", value: "false", text: "Off"},
		{name: "nok, unknown field", field: "createdOn"},
	}
	_, doc := render(t, Record(testRecord()))
	if got := strings.Join(strings.Fields(doc.Find("h1").Text()), " "); got != "Contact (217) 555-0177" {
		t.Errorf("h1 = %q", got)
	}
	if doc.Find(`[data-back-link][href="/customers/10000001"]`).Length() != 1 {
		t.Error("no back link to the customer")
	}
	if doc.Find(`a.button[href="/customers/10000001/contacts/501/edit"]`).Text() != "Edit contact" {
		t.Error("no Edit contact link")
	}
	if doc.Find("h2#preferences-title").Text() != "Notification preferences" || doc.Find("dl").Length() != 2 {
		t.Error("preferences list")
	}
	if hint := doc.Find(`[data-field="phoneSettings.doNotText"] + dd.hint`).Text(); !strings.Contains(hint, "texted STOP") {
		t.Errorf("hint = %q", hint)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := doc.Find(`dd[data-field="` + tt.field + `"]`)
			if tt.text == "" {
				if el.Length() != 0 {
					t.Errorf("unexpected element for %s", tt.field)
				}
				return
			}
			if el.Length() != 1 {
				t.Fatalf("elements for %s = %d", tt.field, el.Length())
			}
			if v, ok := el.Attr("data-value"); !ok || v != tt.value {
				t.Errorf("data-value = %q, want %q", v, tt.value)
			}
			if got := strings.TrimSpace(el.Text()); got != tt.text {
				t.Errorf("text = %q, want %q", got, tt.text)
			}
			if got := el.Find("time").AttrOr("datetime", ""); got != tt.time {
				t.Errorf("time = %q, want %q", got, tt.time)
			}
		})
	}
}

func TestEditContact(t *testing.T) {
	alert := testForm()
	alert.Alert = &Alert{Title: "ServiceTitan did not answer", Body: "We could not tell whether the change was saved.", NotSaved: true, Retry: true, TraceID: "trace-1"}
	both := testFormWithErrors()
	both.Alert = &Alert{Title: "Someone else changed this contact", Body: "Check the values below.", TraceID: "00-abc123-01"}
	prefsOnly := testForm()
	prefsOnly.FieldErrors = map[string][]string{"preferences": {"Preferences could not be saved"}}
	prefsOnly.Summary = []SummaryItem{{Message: "Preferences could not be saved", Href: "#field-jobRemindersEnabled"}}
	tests := []struct {
		name      string
		m         ContactForm
		summary   []string // "href|message"
		invalid   map[string]string
		alertRole string
		trace     string
		retry     bool
	}{
		{name: "ok, clean form", m: testForm(), invalid: map[string]string{}},
		{
			name: "nok, field errors",
			m:    testFormWithErrors(),
			summary: []string{
				"#field-value|Enter a phone number with 10 digits, like (217) 555-0177",
				"#field-memo|Memo must be 255 characters or fewer",
				"#field-memo|Memo cannot contain line breaks",
				"#field-marketingUpdatesEnabled|Marketing updates cannot be turned on for this contact",
				"|ServiceTitan rejected the change",
			},
			invalid: map[string]string{
				"value":                   "value-hint value-error",
				"memo":                    "memo-hint memo-error",
				"marketingUpdatesEnabled": "marketingUpdatesEnabled-error",
			},
			trace: "00-abc123-01",
		},
		{name: "nok, save failed with retry", m: alert, invalid: map[string]string{}, alertRole: "alert", trace: "trace-1", retry: true},
		{
			name:      "nok, errors and alert",
			m:         both,
			summary:   []string{"#field-value|", "#field-memo|", "#field-memo|", "#field-marketingUpdatesEnabled|", "|"},
			invalid:   map[string]string{"value": "", "memo": "", "marketingUpdatesEnabled": ""},
			alertRole: "status",
			trace:     "00-abc123-01",
		},
		{name: "nok, preferences group error", m: prefsOnly, summary: []string{"#field-jobRemindersEnabled|Preferences could not be saved"}, invalid: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := render(t, EditContact(tt.m))
			if doc.Find("h1").Text() != "Edit contact" {
				t.Errorf("h1 = %q", doc.Find("h1").Text())
			}
			if doc.Find("[data-customer-name]").Text() != "Ada Lovelace" {
				t.Error("customer name not in context")
			}
			form := doc.Find(`form#contact-form[method=post][novalidate][data-contact-form]`)
			if form.AttrOr("action", "") != "/customers/10000001/contacts/501" {
				t.Fatalf("form action = %q", form.AttrOr("action", ""))
			}
			if form.Find(`input[type=hidden][name=_csrf]`).AttrOr("value", "") != "tok-123" {
				t.Error("csrf field")
			}
			if form.Find(`input[type=hidden][name="modifiedOn"]`).AttrOr("value", "") != "2026-03-01T14:05:00.1234567Z" {
				t.Error("hidden fields")
			}
			if form.Find(`select#field-type[name=type] option[selected]`).AttrOr("value", "") != "MobilePhone" {
				t.Error("selected type")
			}
			value := form.Find(`input#field-value[name=value]`)
			if value.AttrOr("type", "") != "tel" || value.AttrOr("autocomplete", "") != "off" || value.AttrOr("value", "") != tt.m.Value {
				t.Errorf("value input = %v", value.Nodes[0].Attr)
			}
			memo := form.Find(`textarea#field-memo[name=memo]`)
			if _, ok := memo.Attr("maxlength"); ok {
				t.Error("memo has maxlength")
			}
			if memo.Text() != tt.m.Memo {
				t.Errorf("memo = %q", memo.Text())
			}
			if !strings.Contains(doc.Find("#memo-hint").Text(), "up to 255 characters") {
				t.Errorf("memo hint = %q", doc.Find("#memo-hint").Text())
			}
			fs := form.Find("fieldset")
			if fs.Find("legend").Text() != "Notification preferences" {
				t.Error("legend")
			}
			if fs.Find(`input[type=checkbox][value=true]`).Length() != 3 ||
				fs.Find(`#field-jobRemindersEnabled[name=jobRemindersEnabled][checked]`).Length() != 1 ||
				fs.Find(`#field-marketingUpdatesEnabled[checked]`).Length() != 0 {
				t.Error("checkboxes")
			}
			ro := form.Find(`#texting-status[data-field="phoneSettings.doNotText"]`)
			if ro.Length() != 1 || !strings.Contains(ro.Text(), "Texting:") || ro.Is("input") {
				t.Error("texting paragraph")
			}
			if form.Find(`button[type=submit].primary[data-save-button]`).Text() != "Save" {
				t.Error("save button")
			}
			if form.Find(`a[href="/customers/10000001/contacts/501"]`).Text() != "Cancel" {
				t.Error("cancel link")
			}

			// Error summary: first in main, role=alert, links to fields.
			sum := doc.Find("#error-summary")
			if got := sum.Length() == 1; got != (len(tt.summary) > 0) {
				t.Fatalf("summary shown = %v", got)
			}
			if len(tt.summary) > 0 {
				if !doc.Find("main").Children().First().Is("#error-summary") {
					t.Error("summary is not first in main")
				}
				for attr, want := range map[string]string{"role": "alert", "tabindex": "-1", "aria-labelledby": "error-summary-title", "data-error-summary": "", "autofocus": ""} {
					if got, ok := sum.Attr(attr); !ok || got != want {
						t.Errorf("summary %s = %q, want %q", attr, got, want)
					}
				}
				if sum.Find("h2#error-summary-title").Text() != "There is a problem" {
					t.Error("summary title")
				}
				items := sum.Find("li")
				if items.Length() != len(tt.summary) {
					t.Fatalf("summary items = %d, want %d", items.Length(), len(tt.summary))
				}
				for i, want := range tt.summary {
					href, msg, _ := strings.Cut(want, "|")
					li := items.Eq(i)
					a := li.Find("a")
					if href == "" && a.Length() != 0 {
						t.Errorf("item %d is a link", i)
					}
					if got := a.AttrOr("href", ""); got != href {
						t.Errorf("item %d href = %q, want %q", i, got, href)
					}
					if msg != "" && strings.TrimSpace(li.Text()) != msg {
						t.Errorf("item %d = %q, want %q", i, li.Text(), msg)
					}
				}
			}

			// Per-field errors.
			for _, name := range []string{"type", "value", "memo", "jobRemindersEnabled", "marketingUpdatesEnabled", "invoiceStatementNotification"} {
				ctl := form.Find("#field-" + name)
				want, isInvalid := tt.invalid[name]
				if got := ctl.AttrOr("aria-invalid", ""); (got == "true") != isInvalid {
					t.Errorf("%s aria-invalid = %q, want invalid %v", name, got, isInvalid)
				}
				desc := ctl.AttrOr("aria-describedby", "")
				if !isInvalid {
					if strings.Contains(desc, "error") {
						t.Errorf("%s aria-describedby = %q mentions an error", name, desc)
					}
					if doc.Find("#"+name+"-error").Length() != 0 {
						t.Errorf("%s has an error message", name)
					}
					continue
				}
				if want != "" && desc != want {
					t.Errorf("%s aria-describedby = %q, want %q", name, desc, want)
				}
				if !strings.Contains(desc, name+"-error") {
					t.Errorf("%s aria-describedby = %q lacks the error", name, desc)
				}
				msg := doc.Find("#" + name + "-error.field-error")
				for _, m := range tt.m.FieldErrors[name] {
					if !strings.Contains(msg.Text(), "Error: "+m) {
						t.Errorf("%s error = %q lacks %q", name, msg.Text(), m)
					}
				}
				if msg.Find(".visually-hidden").First().Text() != "Error: " {
					t.Errorf("%s error lacks a hidden prefix", name)
				}
			}
			if len(tt.invalid) == 0 && doc.Find("[aria-invalid]").Length() != 0 && tt.m.FieldErrors == nil {
				t.Error("aria-invalid without errors")
			}
			if d := form.Find("#field-value").AttrOr("aria-describedby", ""); !tt.m.hasError("value") && d != "value-hint" {
				t.Errorf("clean value aria-describedby = %q", d)
			}
			if tt.m.hasError("preferences") {
				if fs.AttrOr("aria-describedby", "") != "preferences-hint preferences-error" {
					t.Errorf("fieldset aria-describedby = %q", fs.AttrOr("aria-describedby", ""))
				}
				if !fs.Find("legend + p + #preferences-error, legend + #preferences-error").Is("p") {
					t.Error("group error not under the legend")
				}
			}

			// Alert.
			al := doc.Find("[data-alert]")
			if got := al.AttrOr("role", ""); got != tt.alertRole {
				t.Errorf("alert role = %q, want %q", got, tt.alertRole)
			}
			if tt.m.Alert != nil {
				if tt.m.Alert.NotSaved && !al.Children().First().Is("p.not-saved") {
					t.Error("not-saved sentence is not first")
				}
				if tt.m.Alert.NotSaved && al.Find("strong").First().Text() != "Your changes were NOT saved." {
					t.Error("not-saved sentence")
				}
				if al.Find("h2").Text() != tt.m.Alert.Title {
					t.Error("alert title")
				}
			}
			retry := doc.Find(`button[type=submit][form="contact-form"]`)
			if got := retry.Length() == 1; got != tt.retry {
				t.Errorf("retry button = %v, want %v", got, tt.retry)
			}
			if tt.retry && retry.Text() != "Try again" {
				t.Errorf("retry text = %q", retry.Text())
			}
			ref := doc.Find("[data-trace-id]")
			if tt.trace == "" {
				if ref.Length() != 0 {
					t.Error("unexpected reference")
				}
			} else if ref.Length() != 1 || ref.Text() != "Reference: "+tt.trace {
				t.Errorf("reference = %q (%d), want %q", ref.Text(), ref.Length(), tt.trace)
			}
		})
	}
}

func TestEditContactVariants(t *testing.T) {
	email := testForm()
	email.ValueInputType = "email"
	email.DoNotText = nil
	email.Flags = nil
	optedOut := testForm()
	optedOut.DoNotText = boolPtr(true)
	allowed := testForm()
	tests := []struct {
		name      string
		m         ContactForm
		inputType string
		texting   string
		fieldset  bool
	}{
		{name: "ok, email has no texting line and no flags", m: email, inputType: "email"},
		{name: "ok, opted out", m: optedOut, inputType: "tel", texting: "Opted out — the customer texted STOP to this number. Only the customer can opt back in (by texting START).", fieldset: true},
		{name: "ok, allowed", m: allowed, inputType: "tel", texting: "Allowed. If the customer texts STOP, ServiceTitan marks this number as opted out.", fieldset: true},
		{name: "nok, unknown input type falls back to text", m: func() ContactForm { m := testForm(); m.ValueInputType = `x" onfocus="alert(1)`; return m }(), inputType: "text", texting: "Allowed.", fieldset: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := render(t, EditContact(tt.m))
			if got := doc.Find("#field-value").AttrOr("type", ""); got != tt.inputType {
				t.Errorf("type = %q, want %q", got, tt.inputType)
			}
			ro := doc.Find("#texting-status")
			if tt.texting == "" {
				if ro.Length() != 0 {
					t.Error("texting line shown")
				}
			} else if !strings.Contains(strings.Join(strings.Fields(ro.Text()), " "), tt.texting) {
				t.Errorf("texting = %q, want %q", ro.Text(), tt.texting)
			}
			if got := doc.Find("fieldset").Length() == 1; got != tt.fieldset {
				t.Errorf("fieldset = %v, want %v", got, tt.fieldset)
			}
			if title := doc.Find("title").Text(); title != "Edit contact · Contact desk" {
				t.Errorf("title = %q", title)
			}
		})
	}
	_, doc := render(t, EditContact(testFormWithErrors()))
	if title := doc.Find("title").Text(); title != "Error: Edit contact · Contact desk" {
		t.Errorf("title with errors = %q", title)
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		name    string
		m       ErrorPage
		h1      string
		ref     string
		back    string
		backURL string
	}{
		{name: "ok, not found", m: testError(), h1: "Page not found", ref: "Reference: trace-404", back: "Back to your search", backURL: "/customers?q=999"},
		{name: "nok, bare 500", m: ErrorPage{Status: 500}, h1: "Sorry, something went wrong", back: "Back to search", backURL: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := render(t, Error(tt.m))
			if doc.Find("h1").Text() != tt.h1 {
				t.Errorf("h1 = %q", doc.Find("h1").Text())
			}
			if got := doc.Find("[data-trace-id]").Text(); got != tt.ref {
				t.Errorf("reference = %q, want %q", got, tt.ref)
			}
			if tt.m.Message != "" && doc.Find("[data-error-message]").Text() != tt.m.Message {
				t.Error("message")
			}
			a := doc.Find("main a[data-back-link]")
			if a.Text() != tt.back || a.AttrOr("href", "") != tt.backURL {
				t.Errorf("back = %q → %q", a.Text(), a.AttrOr("href", ""))
			}
		})
	}
}

func TestHostileText(t *testing.T) {
	hostile := hostileScript + hostileImg
	form := testFormWithErrors()
	form.Value, form.Memo, form.CustomerName = hostile, hostile, hostile
	form.FieldErrors["value"] = []string{hostile}
	form.Summary = append(form.Summary, SummaryItem{Message: hostile, Href: "javascript:alert(1)"})
	form.Hidden = append(form.Hidden, Hidden{Name: "loaded.memo", Value: hostile})
	form.Alert = &Alert{Title: hostile, Body: hostile, TraceID: hostile}
	form.Flash = hostile
	cust := testCustomer()
	cust.Name, cust.Address = hostile, hostile
	cust.Contacts[0].Value, cust.Contacts[0].Memo = hostile, hostile
	cust.Contacts[0].EditURL = "javascript:alert(1)"
	rec := testRecord()
	rec.CustomerName = hostile
	rec.Fields[1].Text, rec.Fields[1].Raw, rec.Fields[2].Text = hostile, hostile, hostile
	search := testSearch()
	search.Query = hostile
	search.Results[0].Name = hostile
	search.Results = search.Results[:0:0]
	none := testSearch()
	none.Query, none.Results = hostile, nil
	none.Recent[0].Name = hostile
	errPage := testError()
	errPage.Heading, errPage.Message, errPage.TraceID, errPage.Back = hostile, hostile, hostile, hostile
	errPage.User = hostile

	tests := []struct {
		name string
		c    templ.Component
	}{
		{"nok, hostile form", EditContact(form)},
		{"nok, hostile customer", Customer(cust)},
		{"nok, hostile record", Record(rec)},
		{"nok, hostile search", Search(search)},
		{"nok, hostile no results", Search(none)},
		{"nok, hostile error page", Error(errPage)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, doc := render(t, tt.c)
			if n := doc.Find("script:not([src])").Length(); n != 0 {
				t.Errorf("%d inline <script> elements", n)
			}
			if n := doc.Find("img").Length(); n != 0 {
				t.Errorf("%d <img> elements", n)
			}
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if strings.HasPrefix(a.Key, "on") {
						t.Errorf("attribute %s on <%s>", a.Key, goquery.NodeName(s))
					}
					if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(a.Val), "javascript:") {
						t.Errorf("%s=%q on <%s>", a.Key, a.Val, goquery.NodeName(s))
					}
				}
			})
			if !strings.Contains(doc.Text(), hostileScript) && !strings.Contains(html, "&lt;script&gt;") {
				t.Error("hostile text not shown as text")
			}
		})
	}
}
