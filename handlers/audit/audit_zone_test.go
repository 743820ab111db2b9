package audit_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// A change made at 7:40 PM Central on Dec 1 (01:40 UTC on Dec 2).
var evening = time.Date(2026, 12, 2, 1, 40, 0, 0, time.UTC)

// auditAt records one saved edit at t.
func auditAt(t *testing.T, store audit.Store, at time.Time) {
	t.Helper()
	id, err := store.Begin(context.Background(), audit.Entry{Time: at, ActorEmail: "jordan@acme.example", CustomerID: 5, ContactID: 7,
		Changes: []audit.Change{{Field: "memo", Before: "Cell", After: "Evening"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Complete(context.Background(), id, audit.OutcomeSaved, nil, ""); err != nil {
		t.Fatal(err)
	}
}

// The audit trail's dates are days in the zone times are shown in: the
// browser's own when DISPLAY_TZ is unset (its page sends it with the
// filter form, as tz), DISPLAY_TZ when set, and UTC, said so, when neither
// is known; the page says which (#23, item 4).
func TestAuditDatesAreDaysInTheDisplayZone(t *testing.T) {
	dec1 := url.Values{"from": {"2026-12-01"}, "to": {"2026-12-01"}}
	with := func(v url.Values, k, val string) url.Values {
		out := url.Values{}
		for key, vals := range v {
			out[key] = vals
		}
		out.Set(k, val)
		return out
	}
	for _, tt := range []struct {
		name      string
		displayTZ string
		query     url.Values
		found     int
		zone      string
	}{
		{"ok, the browser's zone, sent with the form", "", with(dec1, "tz", "America/Chicago"), 1, "Dates in Central time (America/Chicago)"},
		{"ok, DISPLAY_TZ decides, whatever the browser sends", "America/Chicago", with(dec1, "tz", "Asia/Tokyo"), 1, "Dates in Central time (America/Chicago)"},
		{"ok, no zone sent: UTC, and the page says so", "", dec1, 0, "Dates in UTC"},
		{"ok, Dec 2 in UTC", "", with(dec1, "to", "2026-12-02"), 1, "Dates in UTC"},
		{"nok, a zone that is none: UTC", "", with(dec1, "tz", "../../etc/passwd"), 0, "Dates in UTC"},
		{"nok, the server's own zone is not a browser's", "", with(dec1, "tz", "Local"), 0, "Dates in UTC"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := OpenAudit(t)
			auditAt(t, store, evening)
			up := NewUpstream(t)
			srv := up.AppWith(t, time.Second, nil, func(c *handlers.Config) {
				WithAudit(store)(c)
				c.DisplayTZ = nil
				if tt.displayTZ != "" {
					c.DisplayTZ, _ = time.LoadLocation(tt.displayTZ)
				}
			})
			b := NewBrowser(t, srv.URL)
			p := b.Get("/audit?" + tt.query.Encode())
			if n := p.Doc.Find(".history-entry").Length(); n != tt.found {
				t.Errorf("%d entries found, want %d", n, tt.found)
			}
			if got := Text(p, "[data-audit-zone]"); !strings.HasPrefix(got, tt.zone) {
				t.Errorf("the page says %q, want %q", got, tt.zone)
			}
			// The zone goes with the page's links: the next page, the CSV,
			// the shortcuts.
			csv := Attr(p, "[data-csv-link]", "href")
			if sent := tt.query.Get("tz"); tt.displayTZ == "" && tt.found == 1 && sent != "" && !strings.Contains(csv, "tz="+url.QueryEscape(sent)) {
				t.Errorf("CSV link %q drops the zone", csv)
			}
			if tt.displayTZ != "" && strings.Contains(csv, "tz=") {
				t.Errorf("CSV link %q carries a zone DISPLAY_TZ overrides", csv)
			}
			rows := b.Get(csv).Body
			if got := strings.Count(rows, "jordan@acme.example"); got != tt.found {
				t.Errorf("the CSV has %d rows, want %d", got, tt.found)
			}
		})
	}
}

// Without DISPLAY_TZ, the filter form carries the browser's zone in a
// hidden field the page's script fills; with DISPLAY_TZ it has none.
func TestAuditFilterFormCarriesTheBrowsersZone(t *testing.T) {
	up := NewUpstream(t)
	local := NewBrowser(t, up.AppWith(t, time.Second, nil, func(c *handlers.Config) { c.DisplayTZ = nil }).URL)
	if f := local.Get("/audit?tz=America%2FChicago").Doc.Find(`form[data-audit-filters] input[type="hidden"][name="tz"][data-audit-tz]`); f.Length() != 1 || f.AttrOr("value", "") != "America/Chicago" {
		t.Errorf("the form's zone field: %d, %q", f.Length(), f.AttrOr("value", ""))
	}
	fixed := NewBrowser(t, up.App(t, time.Second).URL)
	if n := fixed.Get("/audit").Doc.Find(`input[name="tz"]`).Length(); n != 0 {
		t.Errorf("with DISPLAY_TZ the form sends a zone (%d fields)", n)
	}
}
