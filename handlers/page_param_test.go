package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// Every paged list takes a page number from 1 to 100,000: a huge one was
// a 500 with a panic in the log (an offset that overflowed), now a 400
// that says so; a page below 1 or not a number is the first page.
func TestEveryPageParameterIsChecked(t *testing.T) {
	_, b := HygieneApp(t, 0, nil)
	preview := b.PostList(map[string]string{"list": "ada@example.com", "action": "remove"}, "")
	job, _ := preview.Doc.Find(`form[data-bulk-confirm] input[name="job"]`).Attr("value")
	if job == "" {
		t.Fatalf("no draft: %d %q", preview.Status, Text(preview, "main"))
	}
	for _, path := range []string{"/customers?q=smith&", "/customers?q=lovelace&", "/audit?", "/bulk/" + job + "?",
		"/hygiene?section=placeholder-phone&"} {
		for _, page := range []string{"922337203685477582", "9223372036854775807", "99999999999999999999999", "100001"} {
			if p := b.Get(path + "page=" + page); p.Status != http.StatusBadRequest || !strings.Contains(Text(p, "main"), "There is no such page") {
				t.Errorf("%spage=%s: %d %q", path, page, p.Status, Text(p, "main"))
			}
		}
		for _, page := range []string{"0", "-3", "-99999999999999999999999", "abc", "2"} {
			if p := b.Get(path + "page=" + page); p.Status >= 400 {
				t.Errorf("%spage=%s: %d %q", path, page, p.Status, Text(p, "main"))
			}
		}
	}
}
