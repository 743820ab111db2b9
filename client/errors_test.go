package client

import (
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestNormalizeFieldKey(t *testing.T) {
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"Value", FieldValue, true},
		{"value", FieldValue, true},
		{"$.value", FieldValue, true},
		{"$.Memo", FieldMemo, true},
		{"request.value", FieldValue, true},
		{"model.Type", FieldType, true},
		{"/value", FieldValue, true},
		{"$['memo']", FieldMemo, true},
		{"Preferences", FieldPreferences, true},
		{"Preferences.JobRemindersEnabled", FieldJobRemindersEnabled, true},
		{"preferences.marketingUpdatesEnabled", FieldMarketingUpdatesEnabled, true},
		{"$.preferences.invoiceStatementNotification", FieldInvoiceStatementNotification, true},
		{"request.Preferences.InvoiceNotification", FieldInvoiceNotification, true},
		{"StatementNotification", FieldStatementNotification, true},
		{" value ", FieldValue, true},
		{"", "", false},
		{"$", "", false},
		{"CustomerId", "", false},
		{"value.extra", "", false},
		{"preferences.unknownFlag", "", false},
		{"phoneSettings.doNotText", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeFieldKey(tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeFieldKey(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestFieldErrorsDropsNothing(t *testing.T) {
	e := &APIError{Errors: map[string][]string{
		"Value":                           {"Phone must be 10 digits."},
		"$.value":                         {"Value is required."},
		"Preferences.JobRemindersEnabled": {"The JobRemindersEnabled field is required."},
		"":                                {"The request is invalid."},
		"CustomerId":                      {"Customer is inactive.", "Try again."},
	}}
	fields, other := e.FieldErrors()
	wantFields := map[string][]string{
		FieldValue:               {"Value is required.", "Phone must be 10 digits."},
		FieldJobRemindersEnabled: {"The JobRemindersEnabled field is required."},
	}
	for k := range fields {
		sort.Strings(fields[k])
	}
	for k := range wantFields {
		sort.Strings(wantFields[k])
	}
	if !reflect.DeepEqual(fields, wantFields) {
		t.Errorf("fields = %v, want %v", fields, wantFields)
	}
	wantOther := []string{"The request is invalid.", "CustomerId: Customer is inactive.", "CustomerId: Try again."}
	if !reflect.DeepEqual(other, wantOther) {
		t.Errorf("unmatched = %q, want %q", other, wantOther)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 30 ", 30 * time.Second},
		{"-1", 0},
		{"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Text from an error body reaches pages, logs and the audit trail: it is
// capped and carries no control characters, whatever ServiceTitan (or a
// gateway in its place) sends.
func TestErrorBodyTextIsCleanedAndCapped(t *testing.T) {
	long := strings.Repeat("x", 5000)
	body := `{"title":"Bad\u0000 request\r\nSet-Cookie: a=b\u001b[31m` + long + `","traceId":"t\u0007-` + long + `","errors":{"Value\u0000":["one\u0000two"],"k":[` +
		strings.TrimSuffix(strings.Repeat(`"m",`, 80), ",") + `]}}`
	e := &APIError{StatusCode: 400}
	decodeErrorBody(e, "application/json", []byte(body))
	all := []string{e.Title, e.TraceID}
	n := 0
	for k, msgs := range e.Errors {
		all = append(all, k)
		all = append(all, msgs...)
		n += len(msgs)
	}
	for _, s := range all {
		if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Errorf("control character kept in %q", s)
		}
		if len(s) > maxMessageText+len("…") {
			t.Errorf("text of %d bytes kept", len(s))
		}
	}
	if n > maxMessages+1 {
		t.Errorf("%d messages kept, want at most %d and a count of the rest", n, maxMessages+1)
	}
	if e.TraceID != "" {
		t.Errorf("a traceId that is not an id was kept: %q", e.TraceID)
	}
	decodeErrorBody(e, "application/json", []byte(`{"title":"x","traceId":"00-4bf92f3577b34da6-00f067aa0ba902b7-01"}`))
	if e.TraceID != "00-4bf92f3577b34da6-00f067aa0ba902b7-01" {
		t.Errorf("TraceID = %q", e.TraceID)
	}
	if !strings.HasPrefix(e.Title, "x") {
		t.Errorf("Title = %q", e.Title)
	}
	e = &APIError{StatusCode: 400}
	decodeErrorBody(e, "application/json", []byte(body))
	if !strings.HasPrefix(e.Title, "Bad request Set-Cookie") {
		t.Errorf("Title = %q", e.Title)
	}
}

func TestAPIErrorMessage(t *testing.T) {
	e := &APIError{Operation: OpUpdateContact, StatusCode: 400, Title: "One or more validation errors occurred.", TraceID: "t-1"}
	want := "servicetitan: Customers_UpdateContact: 400 Bad Request: One or more validation errors occurred. (traceId t-1)"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	long := &APIError{Operation: "op", StatusCode: 502, Detail: excerpt(strings.Repeat("é", 500))}
	if !strings.HasSuffix(long.Error(), "…") || len(long.Detail) > 210 {
		t.Errorf("long detail not capped: %d bytes", len(long.Detail))
	}
}

func TestContactTypeLabels(t *testing.T) {
	want := map[ContactType]string{ContactPhone: "Landline", ContactMobilePhone: "Mobile", ContactEmail: "Email", ContactFax: "Fax"}
	for _, ct := range ContactTypes() {
		if ct.Label() != want[ct] || !ct.Valid() {
			t.Errorf("%s: label %q valid %v", ct, ct.Label(), ct.Valid())
		}
	}
	if ct, ok := ParseContactType("mobilephone"); !ok || ct != ContactMobilePhone {
		t.Errorf("ParseContactType(mobilephone) = %q, %v", ct, ok)
	}
	if _, ok := ParseContactType("Pager"); ok {
		t.Error("Pager must not parse")
	}
	if ContactEmail.IsPhoneNumber() || !ContactFax.IsPhoneNumber() {
		t.Error("IsPhoneNumber wrong")
	}
}

// FuzzErrorBody checks that any error body decodes without panicking and
// that FieldErrors accounts for every message.
func FuzzErrorBody(f *testing.F) {
	for _, seed := range []string{
		`{"type":"x","title":"One or more validation errors occurred.","status":400,"traceId":"t","errors":{"Value":["bad"],"":["req"],"$.preferences.jobRemindersEnabled":["x"]},"data":{}}`,
		`<html><head><title>502 Bad Gateway</title></head></html>`,
		`{"errors":["a","b"]}`,
		`{"message":"nope"}`,
		`{"title":"trunc`,
		"plain text\x00\xff",
		``,
	} {
		f.Add(seed, "application/json")
	}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		e := &APIError{StatusCode: 400}
		decodeErrorBody(e, contentType, []byte(body))
		total := 0
		for _, msgs := range e.Errors {
			total += len(msgs)
		}
		fields, other := e.FieldErrors()
		got := len(other)
		for _, msgs := range fields {
			got += len(msgs)
		}
		if got != total {
			t.Fatalf("FieldErrors returned %d messages, body had %d", got, total)
		}
		_ = e.Error()
	})
}
