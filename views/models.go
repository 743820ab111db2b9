// Package views holds the app's templ components and the typed view models
// they take. Views never call ServiceTitan: handlers map client results
// onto these models, already formatted for people.
package views

// Layout is what every page needs around its content.
type Layout struct {
	Title string
	// Sandbox shows the "Sandbox — not connected to ServiceTitan" banner.
	Sandbox bool
	// Asset URLs are fingerprinted, e.g. /static/app.3f2a9c1b.css.
	CSSURL     string
	JSURL      string
	FaviconURL string
	// PageJSURL is a script of this page's own, after JSURL (a bulk job's
	// live progress); empty for most pages.
	PageJSURL string
	// Flash is a one-time success message ("Contact updated").
	Flash string
	// Notice is a one-time informational message ("No changes to save").
	Notice string
	// OptOut is a one-time warning that a number's texting opt-out was not
	// carried over (data-warning="texting-opt-out").
	OptOut string
	// HygieneNext, after a contact listed on the hygiene report was fixed
	// (saved or removed), goes back to the report's page it was on:
	// "Fixed — next".
	HygieneNext string
	Version     string
	// User is the signed-in person's display name or email, when known.
	User       string
	SignOutURL string
	// RefreshSeconds reloads the page this often when JavaScript is off
	// (a running job's progress); 0: never.
	RefreshSeconds int
	// HeaderSearch shows the search box in the header (every page but
	// the search page, which has its own).
	HeaderSearch bool
	// LocalTimes: no DISPLAY_TZ is set, so a script shows every
	// <time datetime> in the browser's own zone (written in UTC, which
	// says so, for a browser without JavaScript).
	LocalTimes bool
}

// Time is a moment shown to people in the display zone. ISO is UTC RFC 3339
// with at most millisecond precision, for <time datetime> and data-value.
type Time struct {
	ISO     string
	Display string
}

// IsZero reports whether there is no time to show.
func (t Time) IsZero() bool { return t.ISO == "" }

// CustomerLink is a customer in a list (recently opened, search results).
type CustomerLink struct {
	ID      int64
	URL     string
	Name    string
	Address string
	// Inactive marks a customer ServiceTitan keeps as inactive.
	Inactive bool
	// NameMarks is the name with the words that matched marked (empty: the
	// name did not match).
	NameMarks []Segment
	// Match is the contact that matched, its matching text marked;
	// MatchLabel says what it is ("Mobile"), MatchURL opens it.
	Match      []Segment
	MatchLabel string
	MatchURL   string
	// ContactSummary is e.g. "(217) 555-0177 · ada@example.com · 1 more".
	ContactSummary string
	// Phone is the customer's first phone number, formatted, when the
	// contact that matched is not it: three "Aarav Smith" told apart.
	Phone string
	// Location is the customer's service location that matched, or
	// whose contact matched (data-location-id): its name and address,
	// with the matching words marked when it matched itself.
	Location *LocationMatch
}

// LocationMatch is the location a search result matched.
type LocationMatch struct {
	ID   int64
	URL  string
	Text []Segment
}

// Segment is a piece of text; Mark says it matched a search.
type Segment struct {
	Text string
	Mark bool
}

// SearchPage is GET / and GET /customers.
type SearchPage struct {
	Layout
	Query string
	// Searched is true when a query was run (GET /customers).
	Searched bool
	Results  []CustomerLink
	Recent   []CustomerLink
	Page     int
	PrevURL  string
	NextURL  string
	// Problem explains an empty or rejected query, e.g. "Type a name,
	// phone number or customer ID."
	Problem string
	// Coverage says the tenant index is not complete (or behind) and the
	// search went to ServiceTitan instead.
	Coverage string
	// Total counts the customers found, when known.
	Total int
	// Near: no name holds the words as typed; the results' names are
	// close to them ("lovlace": Lovelace).
	Near bool
}

// Flag is one preference checkbox or value.
type Flag struct {
	// Name is the form field name and the API name, e.g. jobRemindersEnabled.
	Name  string
	Label string
	Value bool
}

// ContactRow is one contact on the customer page.
type ContactRow struct {
	// First: the first row, whose Edit link takes the page's first focus
	// (the next step after opening a customer).
	First bool
	// Matched: the contact the search matched (data-matched); its Edit
	// takes the first focus instead.
	Matched bool
	// More: beyond the first ten of a long list, folded away on a phone's
	// width until "Show the other N contacts" (a #fragment: no script).
	More       bool
	ID         int64
	TypeLabel  string
	Value      string // formatted for people
	Memo       string
	IsPhone    bool
	DoNotText  bool
	Flags      []Flag // empty when the record has no preferences
	ModifiedOn Time
	URL        string
	EditURL    string
	RemoveURL  string
}

// CustomerPage is GET /customers/{id}.
type CustomerPage struct {
	Layout
	ID       int64
	Name     string
	Address  string
	Active   bool
	Contacts []ContactRow
	BackURL  string
	AddURL   string
	// HistoryURL is the customer's History: every change to its contacts,
	// made through the app or in ServiceTitan.
	HistoryURL string
	// Undo offers to bring back the contact just removed.
	Undo *UndoForm
	// Locations are the customer's service locations, each with its
	// contacts (data-location-id); LocationsNote says why some are not
	// shown (ServiceTitan could not be read).
	Locations     []LocationSection
	LocationsNote string
	// Of is the location's customer when the page is a location's
	// (GET /locations/{id}); its ID is then the location's.
	Of *OwnerLink
}

// IsLocation reports whether the page is a service location's.
func (m CustomerPage) IsLocation() bool { return m.Of != nil }

// OwnerLink links a customer or a location by its name.
type OwnerLink struct {
	Name string
	URL  string
}

// LocationSection is one service location on its customer's page: its
// name, address and contacts.
type LocationSection struct {
	ID       int64
	Name     string
	Address  string
	Active   bool
	URL      string
	AddURL   string
	Contacts []ContactRow
	// Unread: its contacts could not be read (or were not, past the
	// first few locations); the link shows them.
	Unread bool
}

// UndoForm is the "Undo" button after a removal: a POST naming the
// removal's audit entry.
type UndoForm struct {
	Action    string
	CSRFField string
	CSRFToken string
	Removal   int64
	Nonce     string
	// What names the removed contact, e.g. "Mobile (217) 555-0177".
	What string
	// ContactID is the removed contact's id (not shown).
	ContactID int64
}

// RecordField is one line of the contact record. Field is the API path
// (data-field) and Raw the raw API value (data-value).
type RecordField struct {
	Label string
	Field string
	Raw   string
	// Text is what people read; Time is set instead for date-times.
	Text string
	Time Time
	// Hint is a plain explanation shown under the value.
	Hint string
}

// RecordPage is GET /customers/{id}/contacts/{contactId}.
type RecordPage struct {
	Layout
	CustomerID   int64
	CustomerName string
	CustomerURL  string
	ContactID    int64
	EditURL      string
	RemoveURL    string
	Fields       []RecordField
	// Preferences are shown as their own list; nil when the record has none.
	Preferences []RecordField
	// CombinedFlag is the legacy "Invoices and statements" flag of a record
	// that carries the separate ones, explained in a line of its own.
	CombinedFlag *RecordField
	// History is the contact's audit trail, newest first.
	History []HistoryEntry
	// HistoryURL lists the whole trail of this customer (or location).
	HistoryURL string
	// OwnerKind is whose contact it is: "customer" or "location".
	OwnerKind string
	// HistoryUnavailable: the audit trail could not be read.
	HistoryUnavailable bool
}

// HistoryEntry is one save attempt from the audit trail, or one change
// made in ServiceTitan itself.
type HistoryEntry struct {
	Time Time
	// Source is where the change was made: "app" or "servicetitan"
	// (data-source). A change made in ServiceTitan names nobody: its
	// ActorName says so and ActorEmail is empty.
	Source       string
	ActorEmail   string
	ActorName    string
	Outcome      string // saved, rejected, conflict, not_found, failed, unknown
	OutcomeLabel string
	// Action is what the attempt did: update, create or delete.
	Action      string
	ActionLabel string
	CustomerID  int64
	ContactID   int64
	ContactURL  string
	// CustomerName and ContactText name them when the app knows them
	// ("Grace Hopper", "Mobile (217) 555-0123"); ids otherwise.
	CustomerName, ContactText string
	// LocationID is the service location whose contact it was (0: the
	// customer's own); LocationName names it when the app knows it, and
	// LocationAuditURL lists its changes (/audit?location=).
	LocationID       int64
	LocationName     string
	LocationAuditURL string
	Changes          []ChangeView
	Messages         []string
	TraceID          string
	// Job is the bulk job that made the attempt (0: a person's own edit),
	// JobURL its page.
	Job    int64
	JobURL string
	// Undoes is the removal an add brought back (Undo or Restore), 0 for
	// any other attempt.
	Undoes int64
	// RestoreURL asks to restore what a removal took away; RestoredURL,
	// instead, is the contact it was restored as (restored already).
	RestoreURL, RestoredURL string
}

// ChangeView is one changed field, formatted for people.
type ChangeView struct {
	Label  string
	Before string
	After  string
}

// AuditPage is GET /audit: the whole trail, filtered and paged.
type AuditPage struct {
	Layout
	Actor    string
	Customer string
	From     string // YYYY-MM-DD
	To       string // YYYY-MM-DD, inclusive
	// Job narrows the list to one bulk job's attempts.
	Job string
	// BulkJobs are the bulk jobs the filter selects (who ran which list,
	// when, how it went), above the attempts.
	BulkJobs []BulkJobSummary
	// ActionOptions choose what kind of change is listed (all, edits,
	// additions, removals).
	ActionOptions []Option
	// SourceOptions choose where the changes listed were made (anywhere,
	// through contactdesk, in ServiceTitan).
	SourceOptions []Option
	// Shortcuts are date ranges a click away ("Today", "Last 7 days").
	Shortcuts []DateShortcut
	// Zone says which zone the dates are days in ("Dates in Central time
	// (America/Chicago)."), ZoneID names it (data-audit-zone).
	Zone, ZoneID string
	// SendsZone: no DISPLAY_TZ, so the form sends the browser's zone in a
	// hidden field (tz) the page's script fills; TZ is the one received.
	SendsZone bool
	TZ        string
	Entries   []HistoryEntry
	Total     int
	Problem   string
	PrevURL   string
	NextURL   string
	CSVURL    string
}

// DateShortcut is a date range a click away: DaysBack days before today
// to today (a script sets them in the browser's zone when it says it).
type DateShortcut struct {
	Link
	DaysBack int
}

// Link is a link among others; Current marks the one the page is on.
type Link struct {
	Label, URL string
	Current    bool
}

// Option is an <option> of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Hidden is a hidden form field.
type Hidden struct {
	Name  string
	Value string
}

// SummaryItem is one line of the error summary; Href points at the field
// ("#field-value") or is empty for request-level messages.
type SummaryItem struct {
	Message string
	Href    string
}

// Alert is a page-level message about a failed save.
type Alert struct {
	Title string
	Body  string
	// Saved says plainly whether anything was saved; shown in bold.
	NotSaved bool
	// Retry shows a "Try again" button that resubmits the form.
	Retry   bool
	TraceID string
	// CheckURL, when whether anything was saved is unknown, is the
	// contact (or customer) to look at: "Check the contact", a new tab.
	CheckURL string
}

// ContactForm is GET .../edit, GET .../contacts/new and every re-render of
// their POSTs.
type ContactForm struct {
	Layout
	// Adding makes it the add form: its heading and button say so.
	Adding bool
	// FocusMemo puts the first focus in the memo, the field staff edit
	// most, its text selected (the edit form as opened; an error or an
	// alert takes the focus instead).
	FocusMemo    bool
	Action       string
	CancelURL    string
	CustomerName string
	ContactID    int64
	CSRFToken    string
	CSRFField    string

	Type        string
	TypeOptions []Option
	// ValueInputType is "tel" or "email", following Type.
	ValueInputType string
	Value          string
	Memo           string
	MemoMax        int
	Flags          []Flag
	// CombinedFlag is the legacy "Invoices and statements" flag of a record
	// that carries the separate ones (not a checkbox: explained); nil
	// otherwise.
	CombinedFlag *bool
	// DoNotText is read-only; nil for a contact without phone settings.
	DoNotText *bool

	// Hidden carries the values the form was loaded with (the diff base),
	// modifiedOn and the form instance nonce.
	Hidden []Hidden

	// Problems are messages per form field name (type, value, memo, a
	// flag name, or "preferences" for the group) and their summary.
	Problems
	Alert *Alert
	// Conflict is set when someone else changed the contact since the form
	// was opened; the form then saves against the current record.
	Conflict *Conflict
	// ExistingURL links the contact that already holds the value typed (a
	// duplicate), next to the value's message.
	ExistingURL string
}

// Conflict compares, per field that changed on either side, the value when
// the form was opened, the value in ServiceTitan now, and the person's own.
type Conflict struct {
	Rows []ConflictRow
	// By names who made the change, when the audit trail knows (a save
	// through this app), and At when; empty: someone, somewhere.
	By string
	At Time
	// DiscardURL reloads the form from the current record.
	DiscardURL string
}

// ConflictRow is one field of a Conflict, formatted for people.
type ConflictRow struct {
	Field   string // form field name
	Label   string
	Opened  string
	Current string
	Mine    string
}

// Problems are a form's messages: per field name, and the summary that
// links each to its field.
type Problems struct {
	FieldErrors map[string][]string
	Summary     []SummaryItem
}

// HasErrors reports whether the summary should be shown.
func (p Problems) HasErrors() bool { return len(p.Summary) > 0 }

// Add puts a message on field (its control's id is href's target) and in
// the summary.
func (p *Problems) Add(field, href, msg string) {
	if p.FieldErrors == nil {
		p.FieldErrors = map[string][]string{}
	}
	p.FieldErrors[field] = append(p.FieldErrors[field], msg)
	p.Summary = append(p.Summary, SummaryItem{Message: msg, Href: href})
}

// ErrorPage is every error: 403, 404, 5xx.
type ErrorPage struct {
	Layout
	Status  int
	Heading string
	Message string
	BackURL string
	Back    string
	TraceID string
}

// RemovePage is the confirmation before a contact is removed, and its
// re-renders: 409 when the contact changed since, or a failure.
type RemovePage struct {
	Layout
	CustomerName string
	Action       string
	CancelURL    string
	CSRFField    string
	CSRFToken    string
	// ModifiedOn is the contact's as shown: the removal's conflict check.
	ModifiedOn  string
	Nonce       string
	Fields      []RecordField
	Preferences []RecordField
	// CombinedFlag: as on the record page.
	CombinedFlag *RecordField
	// LastOfItsKind is "phone number" or "email address" when this is the
	// customer's last one.
	LastOfItsKind string
	// TextedStop: the customer texted STOP to this number; the opt-out
	// does not survive a removal (data-warning="texting-opt-out").
	TextedStop bool
	Alert      *Alert
}

// IndexPage is GET /index.
type IndexPage struct {
	Layout
	Backfilled bool
	// Value and Max drive the <progress> over both feeds (the customers',
	// then the contacts'); Percent is the same in words, Loading where
	// the load stands ("41% of customers read; their contacts next").
	Value, Max int64
	Percent    int
	Loading    string
	Customers  int64
	Contacts   int64
	Total      int64
	LastSync   Time
	// Lag is how far behind ServiceTitan the index is, in words.
	Lag string
	// Serving says what search uses now: the index or ServiceTitan.
	Serving     string
	LastError   string
	LastErrorAt Time
	// Refused counts the feed rows refused as poison; Waiting the contacts
	// kept aside until their customer comes.
	Refused []IndexRefused
	Waiting int64
}

// IndexRefused is how many rows of a feed were refused for one reason.
type IndexRefused struct {
	// Key is "<feed>/<reason>" (data-index-refused), What says it in words.
	Key, What string
	Rows      int64
	// LastID is the last row refused (a customer's or a contact's id).
	LastID int64
	Last   Time
}

// RestorePage is GET /customers/{id}/removals/{removal}/restore and the
// re-renders of its POST: a removed contact as its removal recorded it,
// who removed it, and the confirmation to add it back, or that it was
// restored already.
type RestorePage struct {
	Layout
	CustomerName string
	CustomerURL  string
	// Removal is the removal's audit entry id.
	Removal   int64
	Action    string
	CancelURL string
	CSRFField string
	CSRFToken string
	Nonce     string
	// RemovedBy and RemovedAt say who removed it and when; JobURL the bulk
	// job that did, if one did. RemovedInServiceTitan: it was removed in
	// ServiceTitan itself, by nobody the app knows (RemovedBy is empty).
	RemovedInServiceTitan bool
	RemovedBy             string
	RemovedAt             Time
	Job                   int64
	JobURL                string
	// Fields, Preferences and CombinedFlag are the contact as removed.
	Fields       []RecordField
	Preferences  []RecordField
	CombinedFlag *RecordField
	// TextedStop: the number had texted STOP; the opt-out does not come
	// back with it (data-warning="texting-opt-out").
	TextedStop bool
	// Restored is set when the removal was restored already: no form.
	Restored *Restoration
	Alert    *Alert
}

// Restoration is the undo that brought a removed contact back.
type Restoration struct {
	By         string
	At         Time
	ContactURL string
}
