package audit_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// wantCSVHeader is the export's first line as consumers read it: by
// position, so a new column goes last.
const wantCSVHeader = "time_utc,actor_email,actor_name,tenant_id,customer_id,contact_id,field,before,after,outcome,messages,trace_id,request_id,action,bulk_job,field_label,before_shown,after_shown,outcome_label,customer_name,contact,source"

// The export holds every attempt, however many: here several of the
// store's pages, each row in order, newest first.
func TestAuditCSVExportsEveryAttempt(t *testing.T) {
	store := OpenAudit(t)
	const n = 2600
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	actions := []audit.Action{"", audit.ActionCreate, audit.ActionDelete, audit.ActionUpdate}
	for i := range n {
		_, err := store.Begin(context.Background(), audit.Entry{
			Time: at.Add(time.Duration(i/4) * time.Second), ActorEmail: "kelly@acme.example", TenantID: 77, CustomerID: 5, ContactID: 7,
			Action:  actions[i%len(actions)],
			Changes: []audit.Change{{Field: "memo", Before: "", After: fmt.Sprintf("memo %d", i)}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, 5*time.Second, nil, WithAudit(store)).URL)
	resp, err := b.HTTP.Get(b.Base + "/audit.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := ReadCSV(t, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="contact-audit.csv"` {
		t.Errorf("Content-Disposition = %q", got)
	}
	if strings.Join(rows[0], ",") != wantCSVHeader {
		t.Errorf("header = %q", rows[0])
	}
	if len(rows) != 1+n {
		t.Fatalf("%d rows; want %d", len(rows)-1, n)
	}
	for k, row := range rows[1:] {
		i := n - 1 - k
		if want := fmt.Sprintf("memo %d", i); row[8] != want {
			t.Fatalf("row %d: after = %q; want %q", k+1, row[8], want)
		}
		// A date and time spreadsheets read as one (not RFC 3339's "T…Z").
		if _, err := time.Parse("2006-01-02 15:04:05.000", row[0]); err != nil {
			t.Fatalf("row %d: time_utc = %q, not yyyy-mm-dd hh:mm:ss.000: %v", k+1, row[0], err)
		}
		if want := string(cmp.Or(actions[i%len(actions)], audit.ActionUpdate)); row[13] != want {
			t.Fatalf("row %d: action = %q; want %q", k+1, row[13], want)
		}
	}
}

// eachFails is an audit store whose Each hands over `after` made-up
// entries, then fails.
type eachFails struct {
	audit.Store
	after int
}

func (s eachFails) Each(_ context.Context, _ audit.Filter, fn func(audit.Entry) error) error {
	for i := range s.after {
		e := audit.Entry{ID: int64(i), Time: time.Now(), ActorEmail: "kelly@acme.example", Outcome: audit.OutcomeSaved,
			Changes: []audit.Change{{Field: "memo", Before: "before", After: strings.Repeat("x", 100)}}}
		if err := fn(e); err != nil {
			return err
		}
	}
	return errors.New("disk unreadable")
}

func TestAuditCSVFailures(t *testing.T) {
	t.Run("nok, the store fails before anything is sent: the error page", func(t *testing.T) {
		up := NewUpstream(t)
		b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(eachFails{OpenAudit(t), 3})).URL)
		p := b.Get("/audit.csv")
		if p.Status != http.StatusServiceUnavailable || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") ||
			p.Header.Get("Content-Disposition") != "" || !strings.Contains(p.Body, "cannot be read just now") {
			t.Errorf("status %d, Content-Type %q, Content-Disposition %q", p.Status, p.Header.Get("Content-Type"), p.Header.Get("Content-Disposition"))
		}
	})

	t.Run("nok, the store fails midway: the download fails, the error is logged", func(t *testing.T) {
		var logs SyncBuffer
		up := NewUpstream(t)
		srv := up.AppWith(t, time.Second, slog.New(slog.NewJSONHandler(&logs, nil)), WithAudit(eachFails{OpenAudit(t), 3000}))
		b := NewBrowser(t, srv.URL)
		resp, err := b.HTTP.Get(b.Base + "/audit.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Error("a cut export read as complete")
		}
		if !strings.Contains(logs.String(), `"msg":"audit export cut short"`) || !strings.Contains(logs.String(), "disk unreadable") {
			t.Errorf("logs = %s", logs.String())
		}
	})

	t.Run("nok, a bad filter", func(t *testing.T) {
		up := NewUpstream(t)
		b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(OpenAudit(t))).URL)
		p := b.Get("/audit.csv?customer=abc")
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "type a customer ID") {
			t.Errorf("status %d", p.Status)
		}
	})
}
