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
)

// Budgets that are counted, not timed: they hold on any machine, so they
// are unit tests. Timing targets live in bench_test.go and the load report.

// apiRequests counts the requests that reached the sandbox's API,
// token requests aside.
func apiRequests(up *upstream) int32 {
	return up.searches.Load() + up.customers.Load() + up.lists.Load() + up.patches.Load()
}

// TestUpstreamRoundTripsPerSave: a save and the record page it redirects
// to cost at most two ServiceTitan API requests, the lost-update read and
// the PATCH (the record page shows the PATCH's answer without a read).
func TestUpstreamRoundTripsPerSave(t *testing.T) {
	up, b, form := openedForm(t, 7)
	form.Set("memo", "Within budget")

	apiBefore, tokensBefore := apiRequests(up), up.tokens.Load()
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: status %d\n%s", p.status, p.body)
	}
	rec := b.get(p.location)
	if rec.status != http.StatusOK || text(rec, "[data-flash]") != "Contact updated" {
		t.Fatalf("record page: status %d, flash %q", rec.status, text(rec, "[data-flash]"))
	}

	if got := apiRequests(up) - apiBefore; got > 2 {
		t.Errorf("save + record page made %d API requests (searches %d, customers %d, contact lists %d, PATCHes %d), budget 2",
			got, up.searches.Load(), up.customers.Load(), up.lists.Load(), up.patches.Load())
	}
	if got := up.patches.Load(); got != 1 {
		t.Errorf("PATCHes = %d, want 1", got)
	}
	if got := up.tokens.Load() - tokensBefore; got != 0 {
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
	up := newUpstream(t)
	base := up.app(t, time.Second).URL
	b := newBrowser(t, base)
	p := b.get("/customers/5/contacts/7/edit")
	if p.status != http.StatusOK {
		t.Fatalf("edit page: status %d", p.status)
	}

	// Every URL the page references is relative or on the app's origin.
	origin, _ := url.Parse(base)
	p.doc.Find("[src], [href], [action], [formaction], [srcset]").Each(func(_ int, s *goquery.Selection) {
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
	parts := []part{{"HTML /customers/5/contacts/7/edit", []byte(p.body)}}
	var assets []string
	p.doc.Find(`link[rel~="stylesheet"][href]`).Each(func(_ int, s *goquery.Selection) {
		assets = append(assets, s.AttrOr("href", ""))
	})
	p.doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) {
		assets = append(assets, s.AttrOr("src", ""))
	})
	if len(assets) < 2 {
		t.Fatalf("expected a stylesheet and a script, found %q", assets)
	}
	for _, href := range assets {
		// The test client asks for gzip and unpacks it: body is the raw file.
		a := b.get(href)
		if a.status != http.StatusOK {
			t.Fatalf("%s: status %d", href, a.status)
		}
		parts = append(parts, part{href, []byte(a.body)})
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
		report.WriteString("\n  " + pt.what + ": " + itoa(len(pt.body)) + " B, gzipped " + itoa(buf.Len()) + " B")
	}
	t.Logf("edit page: %d B, gzipped %d B%s", raw, zipped, report.String())
	if raw >= editPageBudget {
		t.Errorf("edit page with CSS and JS is %d B uncompressed, budget %d B%s", raw, editPageBudget, report.String())
	}
	if zipped >= editPageGzipBudget {
		t.Errorf("edit page with CSS and JS is %d B gzipped, budget %d B%s", zipped, editPageGzipBudget, report.String())
	}
}
