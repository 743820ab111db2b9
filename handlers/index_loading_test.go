package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/index"
)

// readFeed applies one page of a feed as its last (the feed read to its
// end).
func readFeed(t *testing.T, idx *index.Store, p index.Page) {
	t.Helper()
	f, err := idx.Feed(context.Background(), p.Feed)
	if err != nil {
		t.Fatal(err)
	}
	p.From, p.Next = f.ContinueFrom, p.Feed+"-end"
	if err := idx.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// /index's progress reaches its max only once both feeds are read: with
// every customer in and the contacts still loading it was full (search
// then found no email), and the search page says results may be
// incomplete until then.
func TestIndexProgressWaitsForTheContacts(t *testing.T) {
	up := NewUpstream(t)
	configure, idx := WithIndex(t, up, false)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	if err := idx.SetTotal(context.Background(), "customers", 1); err != nil {
		t.Fatal(err)
	}
	readFeed(t, idx, index.Page{Feed: index.FeedCustomers, Customers: []index.Customer{{ID: 5, Name: "Ada Lovelace", Active: true}}})

	st := b.Get("/index")
	value, maxValue := Attr(st, "[data-index-progress]", "value"), Attr(st, "[data-index-progress]", "max")
	if value == maxValue || !strings.Contains(Text(st, "#index-progress-label"), "every customer read; contacts being read") {
		t.Errorf("customers read, contacts loading: progress %s of %s, %q", value, maxValue, Text(st, "#index-progress-label"))
	}
	p := b.Get("/customers?q=" + url.QueryEscape("ada@example.com"))
	if note := Text(p, "[data-coverage]"); !strings.Contains(note, "still loading their contacts") || !strings.Contains(note, "results may be incomplete") {
		t.Errorf("search page while the contacts load: %q", note)
	}

	readFeed(t, idx, index.Page{Feed: index.FeedContacts, Contacts: []index.Contact{{ID: 7, CustomerID: 5, Type: client.ContactEmail, Value: "ada@example.com"}}})
	st = b.Get("/index")
	if value, maxValue := Attr(st, "[data-index-progress]", "value"), Attr(st, "[data-index-progress]", "max"); value == maxValue ||
		!strings.Contains(Text(st, "#index-progress-label"), "service locations being read") {
		t.Errorf("contacts read, locations loading: progress %s of %s, %q", value, maxValue, Text(st, "#index-progress-label"))
	}
	readFeed(t, idx, index.Page{Feed: index.FeedLocations, Locations: []index.Location{{ID: 9, CustomerID: 5, Name: "Ada Lovelace", Active: true}}})
	readFeed(t, idx, index.Page{Feed: index.FeedLocationContacts})
	st = b.Get("/index")
	if value, maxValue := Attr(st, "[data-index-progress]", "value"), Attr(st, "[data-index-progress]", "max"); value != maxValue ||
		Text(st, "#index-progress-label") != "Complete" {
		t.Errorf("both feeds read: progress %s of %s, %q", value, maxValue, Text(st, "#index-progress-label"))
	}
}

// A list previewed while the index was loading starts only when its owner
// confirms that the lines that matched nothing are skipped, even once the
// index is complete (the preview is as old as it is); a preview made from
// the complete index starts as before.
func TestBulkPreviewFromALoadingIndexNeedsConfirmation(t *testing.T) {
	rig, b := BulkApp(t, nil)
	if _, err := rig.Index.Erase(context.Background()); err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"list": "ada@example.com\n(217) 555-0123", "action": "preferences", "marketingUpdatesEnabled": "off"}
	p := b.PostList(fields, "")
	job, _ := p.Doc.Find(`form[data-bulk-confirm] input[name="job"]`).Attr("value")
	if !strings.Contains(Text(p, "[data-preview-index-note]"), "still loading") || p.Doc.Find(`input[name="skipUnmatched"]`).Length() != 1 ||
		!strings.Contains(Text(p, "[data-skip-unmatched]"), "skip the 2 lines that matched nothing") {
		t.Fatalf("preview: %q / %q", Text(p, "[data-preview-index-note]"), Text(p, "[data-skip-unmatched]"))
	}
	confirm := url.Values{"_csrf": {CSRFOf(p)}, "job": {job}}
	if c := b.Post("/bulk", confirm); c.Status != http.StatusUnprocessableEntity || !strings.Contains(Text(c, "[data-field-error=skipUnmatched]"), "Tick “Start anyway”") {
		t.Fatalf("started without the box: %d %q", c.Status, Text(c, "main"))
	}
	if rig.Queued.Count() != 0 {
		t.Fatal("a job was queued")
	}

	// Complete now, the preview says to make it again, and still asks.
	if err := index.NewSyncer(rig.Up.Client(t), rig.Index, 1000, nil).Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := b.Get("/bulk/" + job)
	if !strings.Contains(Text(again, "[data-preview-index-note]"), "complete now: preview the list again") {
		t.Errorf("the draft once the index is complete: %q", Text(again, "[data-preview-index-note]"))
	}
	if c := b.Post("/bulk", confirm); c.Status != http.StatusUnprocessableEntity {
		t.Fatalf("started without the box once the index is complete: %d", c.Status)
	}
	confirm.Set("skipUnmatched", "on")
	if c := b.Post("/bulk", confirm); c.Status != http.StatusSeeOther || rig.Queued.Count() != 1 {
		t.Fatalf("started with the box: %d, %d queued", c.Status, rig.Queued.Count())
	}

	fresh := b.PostList(fields, "")
	if fresh.Doc.Find("[data-preview-index-note], [data-skip-unmatched]").Length() != 0 {
		t.Errorf("a preview of the complete index: %q", Text(fresh, "main"))
	}
	freshJob, _ := fresh.Doc.Find(`form[data-bulk-confirm] input[name="job"]`).Attr("value")
	if c := b.Post("/bulk", url.Values{"_csrf": {CSRFOf(fresh)}, "job": {freshJob}}); c.Status != http.StatusSeeOther {
		t.Errorf("a preview of the complete index: %d %q", c.Status, Text(c, "main"))
	}
}
