package hygiene_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
)

func hygieneCounts(p Page) map[string]string {
	out := map[string]string{}
	p.Doc.Find("[data-hygiene-count]").Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-hygiene-count")
		out[k] = strings.TrimSpace(s.Text())
	})
	return out
}

func hygieneRows(p Page, section string) []string {
	var ids []string
	p.Doc.Find(fmt.Sprintf(`tr[data-hygiene=%q]`, section)).Each(func(_ int, s *goquery.Selection) {
		id, ok := s.Attr("data-contact-id")
		if !ok {
			id, _ = s.Attr("data-customer-id")
		}
		ids = append(ids, id)
	})
	return ids
}

// The report: counts first, each section's rows with their contact ids,
// read from the index without a call to ServiceTitan.
func TestHygieneReport(t *testing.T) {
	rig, b := HygieneApp(t, 0, nil)
	before := ApiRequests(rig.Up)
	p := b.Get("/hygiene")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /hygiene: %d", p.Status)
	}
	want := map[string]string{"placeholder-phone": "1", "placeholder-email": "1", "invalid": "1", "shared": "0", "unreachable": "0"}
	if got := hygieneCounts(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	for section, id := range map[string]string{"placeholder-phone": "20", "placeholder-email": "21", "invalid": "22"} {
		if got := hygieneRows(p, section); fmt.Sprint(got) != "["+id+"]" {
			t.Errorf("%s rows = %v, want [%s]", section, got, id)
		}
	}
	if href := Attr(p, `[data-hygiene-fix="placeholder-phone"]`, "href"); href != "/bulk?hygiene=placeholder-phone" {
		t.Errorf("Fix in bulk = %q", href)
	}
	if Text(p, `tr[data-hygiene="invalid"]`) == "" || !strings.Contains(Text(p, `tr[data-hygiene="invalid"]`), "not a valid phone number for US") {
		t.Errorf("invalid row says %q", Text(p, `tr[data-hygiene="invalid"]`))
	}
	if got := ApiRequests(rig.Up) - before; got != 0 {
		t.Errorf("the report made %d calls to ServiceTitan", got)
	}
}

// Each list is paged; a page of one section links on and back.
func TestHygienePages(t *testing.T) {
	_, b := HygieneApp(t, 30, nil)
	p := b.Get("/hygiene")
	if got := hygieneCounts(p)["placeholder-phone"]; got != "31" {
		t.Fatalf("placeholder-phone count = %s, want 31", got)
	}
	if n := len(hygieneRows(p, "placeholder-phone")); n != hygiene.PageRows {
		t.Errorf("first page has %d rows, want %d", n, hygiene.PageRows)
	}
	next := Attr(p, `[data-hygiene-section="placeholder-phone"] a[rel="next"]`, "href")
	if next != "/hygiene?section=placeholder-phone&page=2#placeholder-phone" {
		t.Fatalf("next page link = %q", next)
	}
	p2 := b.Get(strings.Split(next, "#")[0])
	if n := len(hygieneRows(p2, "placeholder-phone")); n != 6 || p2.Doc.Find("[data-hygiene-section]").Length() != 1 {
		t.Errorf("page 2: %d rows in %d sections, want 6 in 1", n, p2.Doc.Find("[data-hygiene-section]").Length())
	}
	if Attr(p2, `a[rel="prev"]`, "href") == "" || Attr(p2, `a[rel="next"]`, "href") != "" {
		t.Errorf("page 2 links: prev %q next %q", Attr(p2, `a[rel="prev"]`, "href"), Attr(p2, `a[rel="next"]`, "href"))
	}
	if got := hygieneCounts(p2)["placeholder-phone"]; got != "31" {
		t.Errorf("page 2 counts = %v", hygieneCounts(p2))
	}
	if p := b.Get("/hygiene?section=nonsense"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown section: %d", p.Status)
	}
}

// /hygiene.csv exports every row of one section.
func TestHygieneCSV(t *testing.T) {
	_, b := HygieneApp(t, 30, nil)
	p := b.Get("/hygiene.csv?section=placeholder-phone")
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %q", p.Status, p.Header.Get("Content-Type"))
	}
	records, err := ReadCSV(t, strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 32 || strings.Join(records[0], ",") != "section,customer_id,customer_name,customer_active,contact_id,type,value,problem,location_id,location_name" {
		t.Fatalf("CSV has %d lines, header %q", len(records), records[0])
	}
	if r := records[1]; r[0] != "placeholder-phone" || r[1] != "5" || r[2] != "Ada Lovelace" || r[4] != "20" || r[6] != "0000000000" {
		t.Errorf("first row %q", r)
	}
	for _, bad := range []string{"/hygiene.csv", "/hygiene.csv?section=all"} {
		if p := b.Get(bad); p.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, p.Status)
		}
	}
}

// Fix in bulk fills the bulk form with the section's contacts and the
// section's action; the preview then reads them from the index.
// bulkFormValues are the bulk form's fields as a browser sends them: the
// action only as chosen.
func bulkFormValues(doc *goquery.Document) url.Values {
	v := FormValues(doc, "form[data-bulk-form]")
	v.Del("action")
	if chosen, ok := doc.Find(`form[data-bulk-form] input[name=action][checked]`).Attr("value"); ok {
		v.Set("action", chosen)
	}
	return v
}

func TestHygieneFixInBulk(t *testing.T) {
	rig, b := HygieneApp(t, 0, nil)
	f := b.Get("/bulk?hygiene=placeholder-phone")
	// A list staff read and tick: each contact by its value, type,
	// customer and memo, all ticked; no textarea of ids (#29, item 2).
	pick := f.Doc.Find(`[data-bulk-picks] tr[data-pick="20-5"]`)
	if f.Doc.Find("[data-bulk-picks] tr[data-pick]").Length() != 1 || !strings.Contains(pick.Text(), "Ada Lovelace") ||
		!strings.Contains(pick.Text(), "(000) 000-0000") {
		t.Errorf("the list to tick: %q", Text(f, "[data-bulk-picks]"))
	}
	if _, checked := pick.Find(`input[type=checkbox][name=contact][value="20-5"]`).Attr("checked"); !checked {
		t.Errorf("the contact is not ticked")
	}
	if f.Doc.Find("textarea[name=list]").Length() != 0 {
		t.Errorf("the ids are still handed over in a textarea")
	}
	if _, checked := f.Doc.Find("#action-remove").Attr("checked"); !checked {
		t.Errorf("remove is not chosen for placeholders")
	}
	if !strings.Contains(Text(f, "[data-bulk-source]"), "Placeholder phone numbers") {
		t.Errorf("source note %q", Text(f, "[data-bulk-source]"))
	}
	p := b.Post("/bulk/preview", bulkFormValues(f.Doc))
	if p.Status != http.StatusOK || PreviewCounts(p)["change"] != "1" {
		t.Fatalf("preview: %d %v %s", p.Status, PreviewCounts(p), Text(p, "main"))
	}
	confirm := FormValues(p.Doc, "form[data-bulk-confirm]")
	confirm.Set("confirm", "1")
	id := MustID(t, confirm.Get("job"))
	c := b.Post("/bulk", confirm)
	if c.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", c.Status, Text(c, "main"))
	}
	rig.Run(t, id)
	if _, ok := rig.Up.SB.Contact(5, 20); ok {
		t.Errorf("the placeholder is still in ServiceTitan")
	}
	if got := hygieneCounts(b.Get("/hygiene"))["placeholder-phone"]; got != "0" {
		t.Errorf("after the job the report counts %s placeholder phones", got)
	}

	// Invalid values: nothing chosen, the person decides.
	f = b.Get("/bulk?hygiene=invalid")
	for _, radio := range []string{"#action-remove", "#action-preferences"} {
		if _, checked := f.Doc.Find(radio).Attr("checked"); checked {
			t.Errorf("%s chosen for invalid values", radio)
		}
	}
	p = b.Post("/bulk/preview", bulkFormValues(f.Doc))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(Text(p, "[data-error-summary]"), "Choose what to do") {
		t.Errorf("no action: %d %q", p.Status, Text(p, "[data-error-summary]"))
	}
	if _, checked := p.Doc.Find(`[data-bulk-picks] tr[data-pick="22-5"] input[name=contact]`).Attr("checked"); !checked {
		t.Errorf("the list came back unticked: %q", Text(p, "[data-bulk-picks]"))
	}
	// Nothing ticked: nothing to preview, and it says so.
	none := bulkFormValues(f.Doc)
	none.Del("contact")
	none.Set("action", "remove")
	if p := b.Post("/bulk/preview", none); p.Status != http.StatusUnprocessableEntity || !strings.Contains(Text(p, "[data-error-summary]"), "Tick at least one contact") {
		t.Errorf("nothing ticked: %d %q", p.Status, Text(p, "[data-error-summary]"))
	}
	if _, checked := p.Doc.Find("#action-preferences").Attr("checked"); checked {
		t.Errorf("the form came back with an action the person did not choose")
	}

	// Unreachable customers: nothing a bulk change can do, and it says so.
	u := b.Get("/bulk?hygiene=unreachable")
	if !strings.Contains(Text(u, "[data-error-summary]"), "add a phone number or email from each customer's page") {
		t.Errorf("unreachable: %q", Text(u, "[data-error-summary]"))
	}
	if p := b.Get("/bulk?hygiene=nonsense"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown section: %d", p.Status)
	}
}

// Someone who may not run bulk jobs sees the report, and why there is no
// Fix in bulk.
func TestHygieneWithoutBulkRights(t *testing.T) {
	_, b := HygieneApp(t, 0, func(c *handlers.Config) {
		c.BulkOpen = false
		c.BulkPolicy = identity.Policy{Emails: []string{"someone.else@example.com"}}
	})
	p := b.Get("/hygiene")
	if p.Status != http.StatusOK || p.Doc.Find("[data-hygiene-fix]").Length() != 0 {
		t.Fatalf("%d, %d Fix links", p.Status, p.Doc.Find("[data-hygiene-fix]").Length())
	}
	if !strings.Contains(Text(p, "[data-hygiene-fix-note]"), "AUTH_BULK_EMAILS") {
		t.Errorf("fix note %q", Text(p, "[data-hygiene-fix-note]"))
	}
}

// A database that fails gets the error page, with words and a status
// that say to try again, never a half page.
func TestHygieneWhenTheIndexFails(t *testing.T) {
	conn := dbtest.SQLite(t)
	broken, err := index.Open(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	_, b := HygieneApp(t, 0, func(c *handlers.Config) {
		c.Hygiene = &hygiene.Reporter{Index: broken, Rules: hygiene.Rules{Region: "US", SharedMin: 3}}
	})
	for _, path := range []string{"/hygiene", "/hygiene.csv?section=shared", "/bulk?hygiene=placeholder-phone"} {
		p := b.Get(path)
		if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "cannot be read just now") {
			t.Errorf("%s: %d %q", path, p.Status, Text(p, "main"))
		}
	}
}

// A contact whose removal would leave its customer without a phone
// number says so on the list to tick (#29, item 2).
func TestFixInBulkWarnsOfACustomersLastPhone(t *testing.T) {
	rules := hygiene.Rules{Region: "US", SharedMin: 3}
	setup := func(lastPhone bool) *Browser {
		_, b := BulkAppWith(t, func(up *Upstream, idx *index.Store) {
			up.SB.SetContact(5, client.Contact{ID: 20, Type: client.ContactPhone, Value: "0000000000", CreatedOn: BaseTime, ModifiedOn: BaseTime,
				PhoneSettings: &client.PhoneSettings{PhoneNumber: "0000000000"}})
			if lastPhone {
				// Ada's other numbers become emails: the placeholder is her last.
				for _, id := range []int64{7, 9} {
					up.SB.SetContact(5, client.Contact{ID: id, Type: client.ContactEmail, Value: fmt.Sprintf("ada%d@example.com", id), CreatedOn: BaseTime, ModifiedOn: BaseTime})
				}
			}
			idx.SetChecker(rules.Checker())
		}, func(c *handlers.Config) { c.Hygiene = &hygiene.Reporter{Index: c.Index.(*index.Store), Rules: rules} })
		return b
	}
	f := setup(true).Get("/bulk?hygiene=placeholder-phone")
	if got := Text(f, `tr[data-pick="20-5"] [data-warning="last-contact"]`); got != "Removing it leaves Ada Lovelace without a phone number." {
		t.Errorf("the last phone's warning: %q in %q", got, Text(f, "[data-bulk-picks]"))
	}
	f = setup(false).Get("/bulk?hygiene=placeholder-phone")
	if got := Text(f, `tr[data-pick="20-5"] [data-warning]`); got != "" || f.Doc.Find(`tr[data-pick="20-5"]`).Length() != 1 {
		t.Errorf("Ada has other numbers, but: %q", got)
	}
}

// Each section filters its rows (#29, item 5): a number as people write
// it, a customer's name; nothing held says so; the pages keep the filter.
func TestHygieneSectionFilter(t *testing.T) {
	_, b := HygieneApp(t, 0, nil)
	for _, tt := range []struct{ q, want string }{
		{"(000) 000-0000", "[20]"},
		{"lovelace", "[20]"},
		{"zzyzx", "[]"},
	} {
		p := b.Get("/hygiene?section=placeholder-phone&q=" + url.QueryEscape(tt.q))
		if got := fmt.Sprint(hygieneRows(p, "placeholder-phone")); p.Status != http.StatusOK || got != tt.want {
			t.Errorf("%q: %d %s, want %s", tt.q, p.Status, got, tt.want)
		}
		if v, _ := p.Doc.Find(`[data-hygiene-filter="placeholder-phone"] input[name=q]`).Attr("value"); v != tt.q {
			t.Errorf("%q: the box holds %q", tt.q, v)
		}
		if tt.want == "[]" && !strings.Contains(Text(p, "[data-hygiene-no-match]"), tt.q) {
			t.Errorf("%q: no word that nothing matched", tt.q)
		}
	}
}

// Fix in bulk changes a service location's contact as it changes a
// customer's: the list from the report names the location and keeps that
// the contact is the location's, the preview names it, and the job
// changes it on the location (at most two calls to ServiceTitan, none to
// the customer's contacts). A "number" without a digit (the invalid
// section) is removed too, not skipped as "changed since the preview".
func TestHygieneFixInBulkOfALocationContact(t *testing.T) {
	for _, tt := range []struct {
		name, section, value string
		action               map[string]string
		check                func(t *testing.T, sb *sandbox.Server)
	}{
		{"ok, remove a placeholder", "placeholder-phone", "0000000000", map[string]string{"action": "remove"}, func(t *testing.T, sb *sandbox.Server) {
			if _, ok := sb.LocationContact(50, 71); ok {
				t.Errorf("the location's placeholder is still in ServiceTitan")
			}
		}},
		{"ok, a placeholder's preferences", "placeholder-phone", "0000000000", map[string]string{"action": "preferences", "marketingUpdatesEnabled": "on"},
			func(t *testing.T, sb *sandbox.Server) {
				if c, ok := sb.LocationContact(50, 71); !ok || c.Preferences == nil || !c.Preferences.MarketingUpdatesEnabled {
					t.Errorf("the location's contact after the job: %+v, %v", c, ok)
				}
			}},
		{"ok, remove a number without digits", "invalid", "gate code", map[string]string{"action": "remove"}, func(t *testing.T, sb *sandbox.Server) {
			if _, ok := sb.LocationContact(50, 71); ok {
				t.Errorf("the location's invalid number is still in ServiceTitan")
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rules := hygiene.Rules{Region: "US", SharedMin: 3}
			rig, b := BulkAppWith(t, func(up *Upstream, idx *index.Store) {
				up.SB.SetLocationContact(50, client.Contact{ID: 71, Type: client.ContactMobilePhone, Value: tt.value, Memo: "Gate",
					PhoneSettings: &client.PhoneSettings{PhoneNumber: tt.value}, CreatedOn: BaseTime, ModifiedOn: BaseTime})
				idx.SetChecker(rules.Checker())
			}, func(c *handlers.Config) {
				c.Hygiene = &hygiene.Reporter{Index: c.Index.(*index.Store), Rules: rules}
			})
			f := b.Get("/bulk?hygiene=" + tt.section)
			pick := f.Doc.Find(`[data-bulk-picks] tr[data-pick="71-5"]`)
			if pick.Length() != 1 || Attr(f, `[data-bulk-picks] tr[data-pick="71-5"] [data-location-id="50"] a`, "href") != "/locations/50" ||
				!strings.Contains(pick.Text(), "Lovelace Cottage") {
				t.Errorf("the list to tick does not name the location: %q", Text(f, "[data-bulk-picks]"))
			}
			form := bulkFormValues(f.Doc)
			form.Del("contact")
			form.Set("contact", "71-5")
			for k, v := range tt.action {
				form.Set(k, v)
			}
			p := b.Post("/bulk/preview", form)
			if p.Status != http.StatusOK || PreviewCounts(p)["change"] != "1" || !strings.Contains(Text(p, "main"), "Lovelace Cottage") {
				t.Fatalf("preview: %d %v %s", p.Status, PreviewCounts(p), Text(p, "main"))
			}
			confirm := FormValues(p.Doc, "form[data-bulk-confirm]")
			confirm.Set("confirm", "1")
			id := MustID(t, confirm.Get("job"))
			if c := b.Post("/bulk", confirm); c.Status != http.StatusSeeOther {
				t.Fatalf("confirm: %d %s", c.Status, Text(c, "main"))
			}
			sb := rig.Up.SB
			sb.ResetCounters()
			rig.Run(t, id)
			tt.check(t, sb)
			if _, ok := sb.LocationContact(50, 70); !ok {
				t.Errorf("the location's other contact is gone")
			}
			calls := 0
			for _, op := range []string{sandbox.OpListLocationContacts, sandbox.OpDeleteLocationContact, sandbox.OpUpdateLocationContact,
				sandbox.OpListContacts, sandbox.OpDeleteContact, sandbox.OpUpdateContact} {
				calls += sb.Requests(op)
			}
			if customers := sb.Requests(sandbox.OpListContacts) + sb.Requests(sandbox.OpDeleteContact) + sb.Requests(sandbox.OpUpdateContact); calls > 2 || customers != 0 {
				t.Errorf("calls to ServiceTitan for the row: %d, %d of them to the customer's contacts", calls, customers)
			}
			csv := b.Get(fmt.Sprintf("/bulk/%d.csv", id))
			if !strings.Contains(csv.Body, ",changed,") || !strings.Contains(csv.Body, ",50,") {
				t.Errorf("the result: %s", csv.Body)
			}
		})
	}
}
