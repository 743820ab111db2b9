package handlers_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// Budgets that are counted, not timed: they hold on any machine, so they
// are unit tests. Timing targets live in bench_test.go and the load report.

// TestUpstreamRoundTripsPerSave: a save and the record page it redirects
// to cost at most two ServiceTitan API requests, the lost-update read and
// the PATCH (the record page shows the PATCH's answer without a read).
func TestUpstreamRoundTripsPerSave(t *testing.T) {
	up, b, form := OpenedForm(t, 7)
	form.Set("memo", "Within budget")

	apiBefore, tokensBefore := ApiRequests(up), up.Tokens.Load()
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d\n%s", p.Status, p.Body)
	}
	rec := b.Get(p.Location)
	if rec.Status != http.StatusOK || Text(rec, "[data-flash]") != "Contact updated" {
		t.Fatalf("record page: status %d, flash %q", rec.Status, Text(rec, "[data-flash]"))
	}

	if got := ApiRequests(up) - apiBefore; got > 2 {
		t.Errorf("save + record page made %d API requests (searches %d, customers %d, contact lists %d, PATCHes %d), budget 2",
			got, up.Searches.Load(), up.Customers.Load(), up.Lists.Load(), up.Patches.Load())
	}
	if got := up.Patches.Load(); got != 1 {
		t.Errorf("PATCHes = %d, want 1", got)
	}
	if got := up.Tokens.Load() - tokensBefore; got != 0 {
		t.Errorf("the save fetched %d tokens; the one from opening the form must be reused", got)
	}
}

// Byte budget of the edit page: what a first visit downloads (HTML, CSS,
// JS), uncompressed and gzipped. Limits in bytes (1 KB = 1000 bytes).
const (
	editPageBudget     = 30_000
	editPageGzipBudget = 10_000
)

// TestEditPageByteBudget: the edit page with its stylesheet and script
// stays under the budget, and loads nothing from another origin.
func TestEditPageByteBudget(t *testing.T) {
	up := NewUpstream(t)
	base := up.App(t, time.Second).URL
	b := NewBrowser(t, base)
	p := b.Get("/customers/5/contacts/7/edit")
	if p.Status != http.StatusOK {
		t.Fatalf("edit page: status %d", p.Status)
	}

	// Every URL the page references is relative or on the app's origin.
	origin, _ := url.Parse(base)
	p.Doc.Find("[src], [href], [action], [formaction], [srcset]").Each(func(_ int, s *goquery.Selection) {
		for _, name := range []string{"src", "href", "action", "formaction", "srcset"} {
			v, ok := s.Attr(name)
			if !ok {
				continue
			}
			u, err := url.Parse(strings.TrimSpace(v))
			switch {
			case err != nil:
				t.Errorf("<%s %s=%q>: not a URL: %v", goquery.NodeName(s), name, v, err)
			case u.Scheme == "" && u.Host == "":
				// relative: this origin
			case (u.Scheme == "http" || u.Scheme == "https") && u.Scheme == origin.Scheme && u.Host == origin.Host:
				// absolute, same origin
			default:
				t.Errorf("<%s %s=%q> points to another origin", goquery.NodeName(s), name, v)
			}
		}
	})

	type part struct {
		what string
		body []byte
	}
	parts := []part{{"HTML /customers/5/contacts/7/edit", []byte(p.Body)}}
	var assets []string
	p.Doc.Find(`link[rel~="stylesheet"][href]`).Each(func(_ int, s *goquery.Selection) {
		assets = append(assets, s.AttrOr("href", ""))
	})
	p.Doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) {
		assets = append(assets, s.AttrOr("src", ""))
	})
	if len(assets) < 2 {
		t.Fatalf("expected a stylesheet and a script, found %q", assets)
	}
	for _, href := range assets {
		// The test client asks for gzip and unpacks it: body is the raw file.
		a := b.Get(href)
		if a.Status != http.StatusOK {
			t.Fatalf("%s: status %d", href, a.Status)
		}
		parts = append(parts, part{href, []byte(a.Body)})
	}

	var raw, zipped int
	var report strings.Builder
	for _, pt := range parts {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf) // default level, as the app's middleware
		zw.Write(pt.body)
		zw.Close()
		raw += len(pt.body)
		zipped += buf.Len()
		report.WriteString("\n  " + pt.what + ": " + Itoa(len(pt.body)) + " B, gzipped " + Itoa(buf.Len()) + " B")
	}
	t.Logf("edit page: %d B, gzipped %d B%s", raw, zipped, report.String())
	if raw >= editPageBudget {
		t.Errorf("edit page with CSS and JS is %d B uncompressed, budget %d B%s", raw, editPageBudget, report.String())
	}
	if zipped >= editPageGzipBudget {
		t.Errorf("edit page with CSS and JS is %d B gzipped, budget %d B%s", zipped, editPageGzipBudget, report.String())
	}
}
