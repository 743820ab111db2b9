package handlers

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// memoMax is ServiceTitan's limit on a contact's memo, in characters.
const memoMax = 255

// emailMax is the longest email address that can be delivered to (RFC 5321).
const emailMax = 254

// Hidden form fields that carry the contact as it was when the form was
// opened: the base the save is diffed against, so only real changes are
// sent and untouched preference flags go back exactly as loaded.
const (
	fieldLoadedType        = "loaded.type"
	fieldLoadedValue       = "loaded.value"
	fieldLoadedMemo        = "loaded.memo"
	fieldLoadedPreferences = "loaded.preferences" // JSON, or "null"
	fieldLoadedDoNotText   = "loaded.doNotText"   // "true", "false", or "" without phone settings
	fieldCustomerName      = "customerName"
	fieldModifiedOn        = "modifiedOn"
	fieldNonce             = "nonce" // identifies one form instance: at most one PATCH each
)

// contactForm is what the edit form posts. Field names mirror the API.
type contactForm struct {
	Type  string
	Value string
	Memo  string
	// Flags holds every preference checkbox the form showed; a box the
	// browser did not send was unchecked.
	Flags map[string]bool

	CustomerName string
	Nonce        string
	Loaded       loadedContact
}

// loadedContact is the contact as the form was opened with it.
type loadedContact struct {
	Type        client.ContactType
	Value       string
	Memo        string
	Preferences *client.Preferences
	// DoNotText is shown read-only; nil when the contact has no phone settings.
	DoNotText  *bool
	ModifiedOn time.Time
}

// loadedFromContact is the diff base for a form opened on ct.
func loadedFromContact(ct client.Contact) loadedContact {
	l := loadedContact{Type: ct.Type, Value: ct.Value, Memo: ct.Memo, Preferences: ct.Preferences, ModifiedOn: ct.ModifiedOn}
	if ct.PhoneSettings != nil {
		l.DoNotText = new(ct.PhoneSettings.DoNotText)
	}
	return l
}

// changedIn reports whether the contact moved on since the form was opened:
// its modifiedOn, or, for a form that lacks one, any value the form shows.
func (l loadedContact) changedIn(current client.Contact) bool {
	if !l.ModifiedOn.IsZero() {
		return !l.ModifiedOn.Equal(current.ModifiedOn)
	}
	if l.Type != current.Type || l.Value != current.Value || l.Memo != current.Memo {
		return true
	}
	if (l.Preferences == nil) != (current.Preferences == nil) {
		return true
	}
	return l.Preferences != nil && !applied(client.UpdateContactRequest{Preferences: l.Preferences}, current)
}

// withBase is the form with ct as the contact it changes: the diff and
// the "untouched value" rule then judge against ct, not against the
// form's own copy.
func (f contactForm) withBase(ct client.Contact) contactForm {
	f.Loaded = loadedFromContact(ct)
	return f
}

// formFromContact fills the form for GET .../edit.
func formFromContact(customerName string, ct client.Contact) contactForm {
	f := contactForm{
		Type: string(ct.Type), Value: ct.Value, Memo: ct.Memo, Flags: map[string]bool{},
		CustomerName: customerName, Nonce: newNonce(), Loaded: loadedFromContact(ct),
	}
	var p client.Preferences
	if ct.Preferences != nil {
		p = *ct.Preferences
	}
	for _, pref := range shownFlags(ct.Preferences) {
		f.Flags[pref.Name] = pref.get(p)
	}
	return f
}

// parseContactForm reads a posted form. It never fails: whatever is
// missing or malformed is caught by validate, with the typed input kept.
func parseContactForm(v url.Values) contactForm {
	f := contactForm{
		Type:         v.Get("type"),
		Value:        v.Get("value"),
		Memo:         v.Get("memo"),
		CustomerName: v.Get(fieldCustomerName),
		Nonce:        v.Get(fieldNonce),
		Flags:        map[string]bool{},
	}
	f.Loaded.Type, _ = client.ParseContactType(v.Get(fieldLoadedType))
	f.Loaded.Value = v.Get(fieldLoadedValue)
	f.Loaded.Memo = v.Get(fieldLoadedMemo)
	if raw := v.Get(fieldLoadedPreferences); raw != "" && raw != "null" {
		var p client.Preferences
		if json.Unmarshal([]byte(raw), &p) == nil {
			f.Loaded.Preferences = &p
		}
	}
	f.Loaded.ModifiedOn, _ = time.Parse(time.RFC3339Nano, v.Get(fieldModifiedOn))
	if dnt := v.Get(fieldLoadedDoNotText); dnt != "" {
		f.Loaded.DoNotText = new(isChecked(dnt))
	}
	for _, pref := range shownFlags(f.Loaded.Preferences) {
		f.Flags[pref.Name] = isChecked(v.Get(pref.Name))
	}
	return f
}

func isChecked(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "1", "yes":
		return true
	}
	return false
}

// fieldErrors are messages per form field name ("type", "value", "memo",
// a flag name, or "preferences" for the group), plus messages that belong
// to no field.
type fieldErrors struct {
	byField map[string][]string
	other   []string
}

func (e *fieldErrors) add(field, msg string) {
	if e.byField == nil {
		e.byField = map[string][]string{}
	}
	e.byField[field] = append(e.byField[field], msg)
}

func (e fieldErrors) empty() bool { return len(e.byField) == 0 && len(e.other) == 0 }

// validate checks the form as ServiceTitan would, so invalid input never
// reaches the API, and returns the value normalised for sending (a phone
// number as its 10-digit national number).
func (f contactForm) validate(region string) (value string, errs fieldErrors) {
	typ, ok := client.ParseContactType(f.Type)
	if !ok {
		errs.add("type", "Choose Landline, Mobile, Email or Fax.")
	}
	value = strings.TrimSpace(f.Value)
	switch {
	case !ok:
	case typ == f.Loaded.Type && f.untouchedValue(value):
		// What ServiceTitan already holds is not re-judged: a stored value
		// our rules would reject must not block a change to the memo.
		value = f.Loaded.Value
	case value == "" && typ == client.ContactEmail:
		errs.add("value", "Enter the email address.")
	case value == "":
		errs.add("value", "Enter the phone number.")
	case hasControl(value, false):
		errs.add("value", "Remove the invisible control character from the value (it may have come with a paste).")
	case typ == client.ContactEmail && utf8.RuneCountInString(value) > emailMax:
		errs.add("value", fmt.Sprintf("An email address has at most %d characters; this one has %d.", emailMax, utf8.RuneCountInString(value)))
	case typ == client.ContactEmail:
		if !isEmailAddress(value) {
			errs.add("value", "Enter an email address like name@example.com.")
		}
	default:
		national, msg := normalisePhone(value, region)
		if msg != "" {
			errs.add("value", msg)
		} else {
			value = national
		}
	}
	if n := utf8.RuneCountInString(f.Memo); n > memoMax {
		errs.add("memo", fmt.Sprintf("Memo must be %d characters or fewer; it has %d.", memoMax, n))
	} else if f.Memo != f.Loaded.Memo && hasControl(f.Memo, true) {
		errs.add("memo", "Remove the invisible control character from the memo (line breaks are fine).")
	}
	return value, errs
}

// hasControl reports whether s holds a control character (NUL, escape,
// tab, a bidirectional override that reorders what staff read, ...) or
// invalid UTF-8; line breaks pass when lineBreaks is set.
func hasControl(s string, lineBreaks bool) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.IndexFunc(s, func(r rune) bool {
		if lineBreaks && (r == '\n' || r == '\r') {
			return false
		}
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
	}) >= 0
}

func isEmailAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// normalisePhone parses a number as people type it ("(217) 555-0177",
// "+1 217 555 0177") and returns ServiceTitan's form: the national number.
// ServiceTitan takes North American numbers only.
func normalisePhone(s, region string) (national, problem string) {
	const example = "Enter a 10-digit phone number, like (217) 555-0177."
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", example
	}
	if num.GetCountryCode() != 1 {
		return "", "ServiceTitan takes US and Canadian phone numbers only."
	}
	return phonenumbers.GetNationalSignificantNumber(num), ""
}

// changes returns the PATCH for what the person changed: only fields that
// differ from the loaded contact; preferences as a complete object when any
// flag changed, untouched flags as loaded.
func (f contactForm) changes(value string) client.UpdateContactRequest {
	var req client.UpdateContactRequest
	if typ, _ := client.ParseContactType(f.Type); typ != f.Loaded.Type {
		req.Type = &typ
	}
	if value != f.Loaded.Value {
		req.Value = &value
	}
	if f.Memo != f.Loaded.Memo {
		memo := f.Memo
		req.Memo = &memo
	}
	if prefs, changed := f.preferences(); changed {
		req.Preferences = &prefs
	}
	return req
}

// preferences applies the form's checkboxes to the loaded flags.
func (f contactForm) preferences() (client.Preferences, bool) {
	var p client.Preferences
	if f.Loaded.Preferences != nil {
		p = *f.Loaded.Preferences
		if p.HasSplitInvoiceFlags() { // copies, so the loaded record stays as it was
			p.InvoiceNotification = new(*p.InvoiceNotification)
			p.StatementNotification = new(*p.StatementNotification)
		}
	}
	changed := false
	set := func(flag *bool, checked bool) {
		if *flag != checked {
			*flag, changed = checked, true
		}
	}
	split := p.HasSplitInvoiceFlags()
	for name, checked := range f.Flags {
		switch name {
		case "jobRemindersEnabled":
			set(&p.JobRemindersEnabled, checked)
		case "marketingUpdatesEnabled":
			set(&p.MarketingUpdatesEnabled, checked)
		case "invoiceStatementNotification":
			set(&p.InvoiceStatementNotification, checked)
		case "invoiceNotification":
			if split { // a flag the record does not carry is not invented
				set(p.InvoiceNotification, checked)
			}
		case "statementNotification":
			if split {
				set(p.StatementNotification, checked)
			}
		}
	}
	if p.HasSplitInvoiceFlags() {
		// The legacy flag is required and "updates both": keep it in step.
		p.InvoiceStatementNotification = *p.InvoiceNotification && *p.StatementNotification
	}
	return p, changed
}

// apiErrors places ServiceTitan's 400/409 `errors` on the form's fields.
// Keys that name no shown field go to the summary; nothing is dropped.
func (f contactForm) apiErrors(apiErr *client.APIError) fieldErrors {
	var errs fieldErrors
	byPath, other := apiErr.FieldErrors()
	for path, msgs := range byPath {
		field := f.fieldFor(path)
		for _, m := range msgs {
			errs.add(field, m)
		}
	}
	errs.other = other
	return errs
}

// fieldFor maps a canonical API path to the form field that shows it.
func (f contactForm) fieldFor(path string) string {
	name, isPref := strings.CutPrefix(path, "preferences.")
	if !isPref {
		return path // type, value, memo, preferences
	}
	if _, shown := f.Flags[name]; shown {
		return name
	}
	return "preferences"
}

// view maps the form onto its view model.
func (f contactForm) view(customerID, contactID int64) views.ContactForm {
	typ, _ := client.ParseContactType(f.Type)
	inputType := "tel"
	if typ == client.ContactEmail {
		inputType = "email"
	}
	m := views.ContactForm{
		Action:         contactURL(customerID, contactID),
		CancelURL:      contactURL(customerID, contactID),
		CustomerName:   f.CustomerName,
		ContactID:      contactID,
		CSRFField:      csrfField,
		Type:           f.Type,
		ValueInputType: inputType,
		Value:          f.Value,
		Memo:           f.Memo,
		MemoMax:        memoMax,
		DoNotText:      f.Loaded.DoNotText,
	}
	for _, t := range client.ContactTypes() {
		m.TypeOptions = append(m.TypeOptions, views.Option{Value: string(t), Label: t.Label(), Selected: t == typ})
	}
	for _, pref := range shownFlags(f.Loaded.Preferences) {
		m.Flags = append(m.Flags, views.Flag{Name: pref.Name, Label: pref.Label, Value: f.Flags[pref.Name]})
	}
	loadedPrefs, _ := json.Marshal(f.Loaded.Preferences)
	modifiedOn := ""
	if !f.Loaded.ModifiedOn.IsZero() {
		modifiedOn = f.Loaded.ModifiedOn.UTC().Format(time.RFC3339Nano)
	}
	m.Hidden = []views.Hidden{
		{Name: fieldCustomerName, Value: f.CustomerName},
		{Name: fieldLoadedType, Value: string(f.Loaded.Type)},
		{Name: fieldLoadedValue, Value: f.Loaded.Value},
		{Name: fieldLoadedMemo, Value: f.Loaded.Memo},
		{Name: fieldLoadedPreferences, Value: string(loadedPrefs)},
		{Name: fieldModifiedOn, Value: modifiedOn},
		{Name: fieldNonce, Value: f.Nonce},
	}
	if f.Loaded.DoNotText != nil {
		m.Hidden = append(m.Hidden, views.Hidden{Name: fieldLoadedDoNotText, Value: strconv.FormatBool(*f.Loaded.DoNotText)})
	}
	return m
}

// withErrors adds field messages and the summary that links to them, in
// the order the fields appear on the page.
func withErrors(m views.ContactForm, errs fieldErrors) views.ContactForm {
	m.FieldErrors = errs.byField
	order := []string{"type", "value", "memo"}
	for _, fl := range m.Flags {
		order = append(order, fl.Name)
	}
	order = append(order, "preferences")
	for _, field := range order {
		href := "#field-" + field
		if field == "preferences" && len(m.Flags) > 0 {
			href = "#field-" + m.Flags[0].Name
		}
		for _, msg := range errs.byField[field] {
			m.Summary = append(m.Summary, views.SummaryItem{Message: msg, Href: href})
		}
	}
	for _, msg := range errs.other {
		m.Summary = append(m.Summary, views.SummaryItem{Message: msg})
	}
	return m
}

// conflictRows lists each field that changed on either side since the form
// was opened, formatted for people.
func (a *App) conflictRows(opened loadedContact, current client.Contact, mine contactForm) []views.ConflictRow {
	var rows []views.ConflictRow
	add := func(field, label, was, now, yours string) {
		if was != now || was != yours {
			rows = append(rows, views.ConflictRow{Field: field, Label: label, Opened: was, Current: now, Mine: yours})
		}
	}
	mineType, _ := client.ParseContactType(mine.Type)
	add("type", "Type", opened.Type.Label(), current.Type.Label(), mineType.Label())
	add("value", "Value", a.displayValue(opened.Type, opened.Value), a.displayValue(current.Type, current.Value), mine.Value)
	add("memo", "Memo", orNone(opened.Memo), orNone(current.Memo), orNone(mine.Memo))
	var was, now client.Preferences
	if opened.Preferences != nil {
		was = *opened.Preferences
	}
	if current.Preferences != nil {
		now = *current.Preferences
	}
	for _, pref := range shownFlags(opened.Preferences) {
		add(pref.Name, pref.Label, onOff(pref.get(was)), onOff(pref.get(now)), onOff(mine.Flags[pref.Name]))
	}
	return rows
}

// rebase moves the form onto the current record: the diff base becomes
// current, the person's own changes (fields that differ from what they
// opened) are kept, and every field they did not touch takes the current
// value. value is the person's value as normalised by validate.
func (f contactForm) rebase(value string, current client.Contact) contactForm {
	out := f
	out.Loaded = loadedFromContact(current)
	if typ, _ := client.ParseContactType(f.Type); typ == f.Loaded.Type {
		out.Type = string(current.Type)
	}
	if value == f.Loaded.Value {
		out.Value = current.Value
	}
	if f.Memo == f.Loaded.Memo {
		out.Memo = current.Memo
	}
	var opened, now client.Preferences
	if f.Loaded.Preferences != nil {
		opened = *f.Loaded.Preferences
	}
	if current.Preferences != nil {
		now = *current.Preferences
	}
	out.Flags = map[string]bool{}
	for _, pref := range shownFlags(current.Preferences) {
		mine, touched := f.Flags[pref.Name]
		if touched && mine != pref.get(opened) {
			out.Flags[pref.Name] = mine
		} else {
			out.Flags[pref.Name] = pref.get(now)
		}
	}
	return out
}

// untouchedValue reports whether the typed value is the loaded one, as
// loaded or as the form showed it (a phone number formatted for people).
func (f contactForm) untouchedValue(typed string) bool {
	if typed == f.Loaded.Value {
		return true
	}
	if !f.Loaded.Type.IsPhoneNumber() {
		return false
	}
	return f.Loaded.Value != "" && digitsOf(typed) == digitsOf(f.Loaded.Value) && strings.Trim(typed, "0123456789()-. +") == ""
}
