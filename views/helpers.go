package views

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// appName is the product name shown in the header, titles and footer.
const appName = "Contact desk"

// pageTitle is the <title> text: "Find a customer · Contact desk".
func pageTitle(l Layout) string {
	if strings.TrimSpace(l.Title) == "" {
		return appName
	}
	return l.Title + " · " + appName
}

// withTitle fills in a default title when the handler left it empty.
func withTitle(l Layout, title string) Layout {
	if strings.TrimSpace(l.Title) == "" {
		l.Title = title
	}
	return l
}

// footerText is "Contact desk v1.2.3", or just the name without a version.
func footerText(l Layout) string {
	if l.Version == "" {
		return appName
	}
	return appName + " " + l.Version
}

// hintID and errorID are the ids a control's aria-describedby points at.
func hintID(name string) string  { return name + "-hint" }
func errorID(name string) string { return name + "-error" }

// fieldID is the id of the control for form field name: "field-value".
func fieldID(name string) string { return "field-" + name }

// errorsFor returns the messages for form field name.
func (f Problems) errorsFor(name string) []string {
	if f.FieldErrors == nil {
		return nil
	}
	return f.FieldErrors[name]
}

// hasError reports whether form field name has at least one message.
func (f Problems) hasError(name string) bool { return len(f.errorsFor(name)) > 0 }

// describedBy joins the hint id (when the control has a hint) and the error
// id (when the field has errors) for aria-describedby.
func (f Problems) describedBy(name string, hasHint bool) string {
	var ids []string
	if hasHint {
		ids = append(ids, hintID(name))
	}
	if f.hasError(name) {
		ids = append(ids, errorID(name))
	}
	return strings.Join(ids, " ")
}

// controlAttrs are the accessibility attributes of the control for form
// field name: aria-invalid when it has errors, aria-describedby naming its
// hint and error message.
func (f Problems) controlAttrs(name string, hasHint bool) templ.Attributes {
	a := templ.Attributes{}
	if f.hasError(name) {
		a["aria-invalid"] = "true"
	}
	if d := f.describedBy(name, hasHint); d != "" {
		a["aria-describedby"] = d
	}
	return a
}

// groupAttrs are controlAttrs for a fieldset: aria-describedby only, since
// aria-invalid does not belong on a group.
func (f Problems) groupAttrs(name string, hasHint bool) templ.Attributes {
	a := templ.Attributes{}
	if d := f.describedBy(name, hasHint); d != "" {
		a["aria-describedby"] = d
	}
	return a
}

// fieldClass is the wrapper class of a field, marked when it has errors.
func (f Problems) fieldClass(name string) string {
	if f.hasError(name) {
		return "field field-has-error"
	}
	return "field"
}

// valueInputType is the value input's type, "text" when unset.
func (f ContactForm) valueInputType() string {
	switch f.ValueInputType {
	case "tel", "email", "text":
		return f.ValueInputType
	default:
		return "text"
	}
}

// traceID is the reference shown with a failed save: ServiceTitan's
// traceId, carried by the alert.
func (f ContactForm) traceID() string {
	if f.Alert == nil {
		return ""
	}
	return f.Alert.TraceID
}

// hasAlert reports whether the alert says more than ServiceTitan's
// reference; a reference alone goes under the error summary.
func (f ContactForm) hasAlert() bool {
	a := f.Alert
	return a != nil && (a.Title != "" || a.Body != "" || a.NotSaved || a.Retry)
}

// alertRole is "alert" unless the error summary already is the alert.
func (f ContactForm) alertRole() string {
	if f.HasErrors() {
		return "status"
	}
	return "alert"
}

// memoHint is the memo field's hint text.
func (f ContactForm) memoHint() string {
	const examples = "e.g. “work #” or “Owner’s daughter - Kelly”"
	if f.MemoMax > 0 {
		return "Optional, up to " + strconv.Itoa(f.MemoMax) + " characters, " + examples
	}
	return "Optional, " + examples
}

// formTitle is the default <title> of the contact form; "Error: " first
// when there are errors, so screen readers hear it on load.
// heading is the form's h1.
func (f ContactForm) heading() string {
	if f.Adding {
		return "Add contact"
	}
	return "Edit contact"
}

// submitLabel is the text of the form's main button.
func (f ContactForm) submitLabel() string {
	if f.Adding {
		return "Add contact"
	}
	return "Save"
}

func formTitle(f ContactForm) Layout {
	l := withTitle(f.Layout, f.heading())
	switch {
	case f.HasErrors() && !strings.HasPrefix(l.Title, "Error: "):
		l.Title = "Error: " + l.Title
	case (f.Conflict != nil || f.Alert != nil && f.Alert.NotSaved) && !strings.HasPrefix(l.Title, "Not saved: "):
		l.Title = "Not saved: " + l.Title
	}
	return l
}

// recordTitle is the contact's value for the record page heading: the
// value field's text, when there is one.
func (r RecordPage) recordTitle() string {
	for _, f := range r.Fields {
		if f.Field == "value" {
			if f.Text != "" {
				return f.Text
			}
			return f.Raw
		}
	}
	return ""
}

// recordLayout fills in the record page's default title.
func recordLayout(r RecordPage) Layout {
	title := "Contact"
	if v := r.recordTitle(); v != "" {
		title = "Contact " + v
	}
	return withTitle(r.Layout, title)
}

// backText is the error page's back link text, "Back to search" by default.
func (e ErrorPage) backText() string {
	if e.Back == "" {
		return "Back to search"
	}
	return e.Back
}

// backURL is the error page's back link target, "/" by default.
func (e ErrorPage) backURL() string {
	if e.BackURL == "" {
		return "/"
	}
	return e.BackURL
}

// heading is the error page's h1, with a fallback for a bare status.
func (e ErrorPage) heading() string {
	if e.Heading != "" {
		return e.Heading
	}
	switch e.Status {
	case 403:
		return "You do not have access to this page"
	case 404:
		return "Page not found"
	default:
		return "Sorry, something went wrong"
	}
}

// texting is the customer page's Texting cell for a row.
func (c ContactRow) texting() string {
	if !c.IsPhone {
		return ""
	}
	if c.DoNotText {
		return "Opted out (texted STOP)"
	}
	return "Allowed"
}

// boolString is the data-value of a bool: "true" or "false".
func boolString(v bool) string { return strconv.FormatBool(v) }

// withoutHeaderSearch leaves the header's search box out: the page has
// its own.
func withoutHeaderSearch(l Layout) Layout {
	l.HeaderSearch = false
	return l
}

// resultsHeading is "Results", or "Results, page 2" after the first page.
func (s SearchPage) resultsHeading() string {
	if s.Page > 1 {
		return "Results, page " + strconv.Itoa(s.Page)
	}
	return "Results"
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func removeTitle(m RemovePage) Layout {
	l := withTitle(m.Layout, "Remove contact")
	if m.Alert != nil && m.Alert.NotSaved && !strings.HasPrefix(l.Title, "Not removed: ") {
		l.Title = "Not removed: " + l.Title
	}
	return l
}

// auditActorURL filters the audit trail by one person.
func auditActorURL(email string) string { return "/audit?actor=" + url.QueryEscape(email) }

// auditSourceURL filters the audit trail by where changes were made.
func auditSourceURL(source string) string { return "/audit?source=" + url.QueryEscape(source) }

// auditCustomerURL filters the audit trail by one customer.
func auditCustomerURL(id int64) string { return "/audit?customer=" + strconv.FormatInt(id, 10) }

// CombinedFlagNote explains the legacy "Invoices and statements" flag of a
// record that carries separate Invoices and Statements flags, with its
// value.
func CombinedFlagNote(on bool) string {
	state := "Off"
	if on {
		state = "On"
	}
	return "ServiceTitan also keeps an older setting for invoices and statements together, now " + state +
		". It stays as it is unless Invoices and Statements are set the same way; then it follows them."
}

// collapsed counts the rows a phone's width folds away (ContactRow.More).
func collapsed(rows []ContactRow) int {
	n := 0
	for _, r := range rows {
		if r.More {
			n++
		}
	}
	return n
}
