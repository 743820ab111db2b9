package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Sentinel errors. Every error the client returns for a ServiceTitan answer
// is an *APIError, which matches the sentinel for its status with errors.Is.
var (
	// ErrValidation: ServiceTitan rejected the request (400, or the
	// undocumented 422). The APIError's Errors map says why, per field.
	ErrValidation = errors.New("servicetitan: request rejected")
	// ErrNotFound: the customer or contact does not exist (404).
	ErrNotFound = errors.New("servicetitan: not found")
	// ErrConflict: the change conflicts with another record (409).
	ErrConflict = errors.New("servicetitan: conflict")
	// ErrRateLimited: too many requests (429); see APIError.RetryAfter.
	ErrRateLimited = errors.New("servicetitan: rate limited")
	// ErrUnavailable: ServiceTitan could not be reached or answered with a
	// server error, a timeout or a body that could not be read.
	ErrUnavailable = errors.New("servicetitan: unavailable")
	// ErrBadCredentials: the token endpoint refused the client id/secret.
	ErrBadCredentials = errors.New("servicetitan: credentials refused")
	// ErrUnauthorized: the API refused the token or app key even after a
	// fresh token (401).
	ErrUnauthorized = errors.New("servicetitan: unauthorized")
	// ErrForbidden: the app lacks the scope or the tenant has not connected
	// it (403).
	ErrForbidden = errors.New("servicetitan: forbidden")
	// ErrMalformedResponse: a success status whose body could not be
	// decoded. Also matches ErrUnavailable.
	ErrMalformedResponse = errors.New("servicetitan: malformed response")
	// ErrOutcomeUnknown: a write was sent but its answer was lost (timeout,
	// dropped connection, unreadable body); it may or may not have been
	// applied. Re-read before doing anything else.
	ErrOutcomeUnknown = errors.New("servicetitan: outcome of the write is unknown")
)

// maxErrorBody caps how much of an error body is read.
const maxErrorBody = 1 << 20

// APIError is a non-success answer from ServiceTitan. JSON bodies in the
// RFC 7807 shape fill Type, Title, TraceID, Errors and Data; other bodies
// (HTML gateway pages, plain text) leave a short plain-text excerpt in Detail.
type APIError struct {
	Operation  string
	StatusCode int
	Type       string
	Title      string
	TraceID    string
	Errors     map[string][]string
	Data       json.RawMessage
	// Detail is a short plain-text excerpt of a body that was not an
	// RFC 7807 document.
	Detail string
	// RetryAfter is how long ServiceTitan asked us to wait (429, 503).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "servicetitan: %s: %d %s", e.Operation, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Title != "" {
		fmt.Fprintf(&b, ": %s", e.Title)
	} else if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " (traceId %s)", e.TraceID)
	}
	return b.String()
}

// Is matches the sentinel that corresponds to the status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

// problem is the RFC 7807 body ServiceTitan sends with 400, 404 and 409.
type problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	TraceID string              `json:"traceId"`
	Errors  map[string][]string `json:"errors"`
	Data    json.RawMessage     `json:"data"`
}

// newAPIError builds an APIError from a non-2xx response whose body (at most
// maxErrorBody bytes) has already been read.
func newAPIError(op string, resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{Operation: op, StatusCode: resp.StatusCode}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	decodeErrorBody(e, resp.Header.Get("Content-Type"), body)
	return e
}

// decodeErrorBody fills e from an error body of any shape. It never fails:
// whatever cannot be decoded as a problem document ends up in Detail.
func decodeErrorBody(e *APIError, contentType string, body []byte) {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "{") {
		var p problem
		if err := json.Unmarshal([]byte(trimmed), &p); err == nil {
			e.Type, e.Data = cleanText(p.Type, maxTraceText), p.Data
			e.Title, e.TraceID = cleanText(p.Title, maxMessageText), traceID(p.TraceID)
			e.Errors = cleanErrors(p.Errors)
			if e.Title != "" || len(e.Errors) > 0 {
				return
			}
		}
		// Some gateways send other JSON shapes, e.g. {"message": "..."} or
		// {"errors": ["..."]}; take a readable sentence or an excerpt, for
		// logs and support only: it is not the error object's title.
		var loose map[string]any
		if err := json.Unmarshal([]byte(trimmed), &loose); err == nil {
			for _, k := range []string{"message", "error_description", "error", "detail"} {
				if s, ok := loose[k].(string); ok && s != "" {
					e.Detail = excerpt(s)
					return
				}
			}
		}
		e.Detail = excerpt(trimmed)
		return
	}
	if mediaType == "text/html" || strings.HasPrefix(strings.ToLower(trimmed), "<") {
		e.Detail = excerpt(htmlText(trimmed))
		return
	}
	e.Detail = excerpt(trimmed)
}

// htmlText returns the title of an HTML page, or its visible text when it
// has none, so a gateway's error page becomes a readable sentence.
func htmlText(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return s
	}
	var title string
	var text strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil && title == "" {
			title = n.FirstChild.Data
		}
		if n.Type == html.TextNode && (n.Parent == nil || n.Parent.Data != "title") {
			text.WriteString(n.Data)
			text.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if strings.TrimSpace(title) != "" {
		return title
	}
	return text.String()
}

// Caps on text taken from an error body: it is shown to staff (title and
// errors), written to logs and stored in the audit trail, and ServiceTitan,
// or whatever answers in its place, decides how long it is.
const (
	maxMessageText = 300 // a title or one message
	maxTraceText   = 100 // a traceId, a type, an errors key
	maxMessages    = 50  // messages kept from an errors object
)

// traceIDPattern is what a traceId looks like; anything else is dropped,
// since pages show it as a reference for support.
var traceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:|/+=-]{1,100}$`)

func traceID(s string) string {
	if !traceIDPattern.MatchString(s) {
		return ""
	}
	return s
}

// cleanText strips control characters (collapsing whitespace) and caps s.
func cleanText(s string, max int) string {
	if s == "" {
		return ""
	}
	return capText(strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
	}), " "), max)
}

// cleanErrors cleans every key and message of an errors object and keeps
// at most maxMessages messages, saying how many more there were.
func cleanErrors(in map[string][]string) map[string][]string {
	if len(in) == 0 {
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string][]string, len(in))
	kept, dropped := 0, 0
	for _, k := range keys {
		key := cleanText(k, maxTraceText)
		for _, m := range in[k] {
			if kept == maxMessages {
				dropped++
				continue
			}
			out[key] = append(out[key], cleanText(m, maxMessageText))
			kept++
		}
	}
	if dropped > 0 {
		out[""] = append(out[""], fmt.Sprintf("ServiceTitan sent %d more messages.", dropped))
	}
	return out
}

// excerpt collapses whitespace and control characters and caps the length,
// so an error body can go in a log line or a message.
func excerpt(s string) string {
	return cleanText(s, 200)
}

// capText keeps s valid UTF-8 and at most max bytes, marking a cut with "…".
func capText(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Canonical field paths of UpdateContactRequest, as FieldErrors returns them.
const (
	FieldType                         = "type"
	FieldValue                        = "value"
	FieldMemo                         = "memo"
	FieldPreferences                  = "preferences"
	FieldJobRemindersEnabled          = "preferences.jobRemindersEnabled"
	FieldMarketingUpdatesEnabled      = "preferences.marketingUpdatesEnabled"
	FieldInvoiceStatementNotification = "preferences.invoiceStatementNotification"
	FieldInvoiceNotification          = "preferences.invoiceNotification"
	FieldStatementNotification        = "preferences.statementNotification"
)

var topLevelFields = []string{FieldType, FieldValue, FieldMemo, FieldPreferences}

// preferenceFields are the field paths of every preference flag.
var preferenceFields = func() []string {
	out := make([]string, len(Flags))
	for i, f := range Flags {
		out[i] = f.Path()
	}
	return out
}()

// NormalizeFieldKey maps a key of a 400 `errors` object to a canonical field
// path of UpdateContactRequest. It accepts the spellings ServiceTitan might
// use: any case, a leading "$." or "$", JSON-pointer slashes, bracketed
// names, and wrapper prefixes such as "request." or "model.". Keys that name
// no request field return ok == false.
func NormalizeFieldKey(key string) (field string, ok bool) {
	k := strings.TrimSpace(key)
	k = strings.TrimPrefix(k, "$")
	k = strings.NewReplacer("/", ".", "['", ".", "']", "", "[\"", ".", "\"]", "", "[", ".", "]", "").Replace(k)
	var segs []string
	for _, s := range strings.Split(k, ".") {
		if s = strings.TrimSpace(s); s != "" {
			segs = append(segs, strings.ToLower(s))
		}
	}
	// Drop wrapper segments ("request", "model", "body", "dto") in front of
	// the first segment that names a field.
	for len(segs) > 0 && !namesField(segs[0]) {
		segs = segs[1:]
	}
	switch len(segs) {
	case 1:
		for _, f := range topLevelFields {
			if segs[0] == strings.ToLower(f) {
				return f, true
			}
		}
		for _, f := range preferenceFields {
			if "preferences."+segs[0] == strings.ToLower(f) {
				return f, true
			}
		}
	case 2:
		if segs[0] == FieldPreferences {
			for _, f := range preferenceFields {
				if "preferences."+segs[1] == strings.ToLower(f) {
					return f, true
				}
			}
		}
	}
	return "", false
}

func namesField(seg string) bool {
	for _, f := range topLevelFields {
		if seg == f {
			return true
		}
	}
	for _, f := range preferenceFields {
		if "preferences."+seg == strings.ToLower(f) {
			return true
		}
	}
	return false
}

// FieldErrors splits the `errors` object into messages per canonical field
// path and the rest. Messages under a key that names no field (including the
// empty, request-level key) come back in unmatched, prefixed with their key
// when it has one; no message is dropped. Unmatched messages are sorted by
// key so the order is stable.
func (e *APIError) FieldErrors() (byField map[string][]string, unmatched []string) {
	byField = map[string][]string{}
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msgs := e.Errors[k]
		if field, ok := NormalizeFieldKey(k); ok {
			byField[field] = append(byField[field], msgs...)
			continue
		}
		label := strings.TrimSpace(k)
		for _, m := range msgs {
			if label == "" {
				unmatched = append(unmatched, m)
			} else {
				unmatched = append(unmatched, label+": "+m)
			}
		}
	}
	return byField, unmatched
}
