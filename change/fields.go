package change

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/client"
)

// Limits ServiceTitan (and mail) put on a contact.
const (
	// MemoMax is ServiceTitan's limit on a memo, in characters.
	MemoMax = 255
	// EmailMax is the longest email address that can be delivered to.
	EmailMax = 254
)

// Fields are a contact as a person asks for it on a form: the type as
// chosen, the value as typed, the memo, and every preference checkbox the
// form showed (a box not sent was unchecked).
type Fields struct {
	Type  string
	Value string
	Memo  string
	Flags map[string]bool
}

// Snapshot is a contact as a form was opened with it: the browser's copy,
// which serves only to detect a conflict (ModifiedOn) and to show one. What
// a change sends, and what its audit entry says the old values were, come
// from the record as read just before the write.
type Snapshot struct {
	Type        client.ContactType
	Value       string
	Memo        string
	Preferences *client.Preferences
	// DoNotText is shown read-only; nil when the contact has no phone settings.
	DoNotText  *bool
	ModifiedOn time.Time
}

// SnapshotOf is the snapshot of a record.
func SnapshotOf(ct client.Contact) Snapshot {
	s := Snapshot{Type: ct.Type, Value: ct.Value, Memo: ct.Memo, Preferences: ct.Preferences, ModifiedOn: ct.ModifiedOn}
	if ct.PhoneSettings != nil {
		s.DoNotText = new(ct.PhoneSettings.DoNotText)
	}
	return s
}

// FieldsOf fills a form's fields from a snapshot: every flag the record
// shows, with its value.
func FieldsOf(s Snapshot) Fields {
	f := Fields{Type: string(s.Type), Value: s.Value, Memo: s.Memo, Flags: map[string]bool{}}
	var p client.Preferences
	if s.Preferences != nil {
		p = *s.Preferences
	}
	for _, flag := range client.Shown(s.Preferences) {
		f.Flags[flag.Name] = flag.Get(p)
	}
	return f
}

// ChangedIn reports whether the contact moved on since the snapshot: its
// modifiedOn, or, for a snapshot that lacks one (a form from an older
// version), any value it holds.
func (s Snapshot) ChangedIn(current client.Contact) bool {
	if !s.ModifiedOn.IsZero() {
		return !s.ModifiedOn.Equal(current.ModifiedOn)
	}
	if s.Type != current.Type || s.Value != current.Value || s.Memo != current.Memo {
		return true
	}
	if (s.Preferences == nil) != (current.Preferences == nil) {
		return true
	}
	return s.Preferences != nil && !Applied(client.UpdateContactRequest{Preferences: s.Preferences}, current)
}

// Check validates asked as ServiceTitan would, against base (the record it
// changes), so invalid input never reaches the API. It returns the value as
// it is sent (a phone number as its 10-digit national number). A value
// that is base's own is not judged again: a stored value our rules would
// reject must not block a change to the memo. region is where phone
// numbers are read as typed (PHONE_REGION).
func Check(asked Fields, base Snapshot, region string) (value string, errs FieldErrors) {
	typ, ok := client.ParseContactType(asked.Type)
	if !ok {
		errs.Add("type", "Choose Landline, Mobile, Email or Fax.")
	}
	value = strings.TrimSpace(asked.Value)
	switch {
	case !ok:
	case typ == base.Type && untouchedValue(value, base):
		value = base.Value
	case value == "" && typ == client.ContactEmail:
		errs.Add("value", "Enter the email address.")
	case value == "":
		errs.Add("value", "Enter the phone number.")
	case hasControl(value, false):
		errs.Add("value", "Remove the invisible control character from the value (it may have come with a paste).")
	case typ == client.ContactEmail && utf8.RuneCountInString(value) > EmailMax:
		errs.Add("value", fmt.Sprintf("An email address has at most %d characters; this one has %d.", EmailMax, utf8.RuneCountInString(value)))
	case typ == client.ContactEmail:
		if !IsEmailAddress(value) {
			errs.Add("value", "Enter an email address like name@example.com.")
		}
	case strings.Contains(value, "@"):
		errs.Add("value", "This looks like an email — choose Email as the type, or enter a phone number.")
	default:
		national, msg := NormalisePhone(value, region)
		if msg != "" {
			errs.Add("value", msg)
		} else {
			value = national
		}
	}
	if n := utf8.RuneCountInString(asked.Memo); n > MemoMax {
		errs.Add("memo", fmt.Sprintf("Memo must be %d characters or fewer; it has %d.", MemoMax, n))
	} else if asked.Memo != base.Memo && hasControl(asked.Memo, true) {
		errs.Add("memo", "Remove the invisible control character from the memo (line breaks are fine).")
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

// IsEmailAddress reports whether s is one bare address with a dotted domain.
func IsEmailAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// NormalisePhone parses a number as people type it ("(217) 555-0177",
// "+1 217 555 0177") and returns ServiceTitan's form: the national number.
// ServiceTitan takes North American numbers only.
func NormalisePhone(s, region string) (national, problem string) {
	const example = "Enter a 10-digit phone number, like (217) 555-0177."
	if national, ok := tenDigits(s, region); ok {
		// The form ServiceTitan stores, in a North American region: what
		// Parse would make of it, without its regular expressions (the
		// hygiene check reads a million of these).
		countryCode := int32(1)
		num := &phonenumbers.PhoneNumber{CountryCode: &countryCode, NationalNumber: &national}
		// IsValidNumber finds the number's region by matching it against
		// each region's numbers in turn, the main region (GetRegionCodeForCountryCode(1), no
		// leading digits) first, then matches it again for the region it
		// found: a number of the main region is valid after the first.
		if !phonenumbers.IsValidNumberForRegion(num, nanpMain) && !phonenumbers.IsValidNumber(num) {
			return "", example
		}
		return s, ""
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", example
	}
	if num.GetCountryCode() != 1 {
		return "", "ServiceTitan takes US and Canadian phone numbers only."
	}
	// ServiceTitan stores ten digits: an extension would be dropped (and
	// the number then matches the one without it), and letters would turn
	// into digits nobody read. Both are said, not done silently.
	if num.GetExtension() != "" {
		return "", fmt.Sprintf("ServiceTitan keeps no extension: enter the number alone and put extension %s in the memo.", num.GetExtension())
	}
	if strings.IndexFunc(s, unicode.IsLetter) >= 0 {
		return "", fmt.Sprintf("A phone number is digits: %s would be saved as %s. Type the digits to save it.",
			strings.TrimSpace(s), phonenumbers.Format(num, phonenumbers.NATIONAL))
	}
	return phonenumbers.GetNationalSignificantNumber(num), ""
}

// nanpMain is the main region of country code 1 (the US).
var nanpMain = phonenumbers.GetRegionCodeForCountryCode(1)

// tenDigits reads s as a national number when it is ten ASCII digits, the
// first 2 to 9, and region is North American (country code 1): Parse
// would take s as it is, with no country code, national prefix or
// extension to strip (TestNormalisePhoneTenDigits holds the two equal).
func tenDigits(s, region string) (uint64, bool) {
	if len(s) != 10 || s[0] < '2' || s[0] > '9' || phonenumbers.GetCountryCodeForRegion(region) != 1 {
		return 0, false
	}
	var n uint64
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}

// untouchedValue reports whether the typed value is base's, as stored or
// as a form shows it (a phone number formatted for people).
func untouchedValue(typed string, base Snapshot) bool {
	if typed == base.Value {
		return true
	}
	if !base.Type.IsPhoneNumber() || base.Value == "" {
		return false
	}
	return client.Digits(typed) == client.Digits(base.Value) && strings.Trim(typed, "0123456789()-. +") == ""
}

// Patch is the PATCH that makes base what was asked: only fields that
// differ, and the preferences as a complete object when any flag changed
// (untouched flags as base has them). value is asked.Value as Check
// returned it.
func Patch(asked Fields, base Snapshot, value string) client.UpdateContactRequest {
	var req client.UpdateContactRequest
	if typ, _ := client.ParseContactType(asked.Type); typ != base.Type {
		req.Type = &typ
	}
	if value != base.Value {
		req.Value = &value
	}
	if asked.Memo != base.Memo {
		req.Memo = &asked.Memo
	}
	if prefs, changed := preferencesFor(asked, base); changed {
		req.Preferences = &prefs
	}
	return req
}

// preferencesFor applies the asked checkboxes to base's flags. A flag base
// does not carry is not invented; one the form did not show (the combined
// flag of a record with separate ones) goes back as read.
func preferencesFor(asked Fields, base Snapshot) (client.Preferences, bool) {
	var read client.Preferences
	if base.Preferences != nil {
		read = *base.Preferences
	}
	p := read.Clone()
	if !p.HasSplitInvoiceFlags() {
		// A record carrying one of invoices and statements without the
		// other is read as carrying neither (the form shows the combined
		// flag, the audit trail records it): sending the lone one back
		// would be half of a pair ServiceTitan takes whole.
		p.InvoiceNotification, p.StatementNotification = nil, nil
	}
	changed := false
	for _, flag := range client.Flags {
		if checked, shown := asked.Flags[flag.Name]; shown && flag.Set(&p, checked) {
			changed = true
		}
	}
	p.Reconcile(read)
	return p, changed
}

// Rebase moves what a person asked onto the current record after a
// conflict: their own changes (fields that differ from what they opened)
// are kept, every field they did not touch takes the current value, so
// saving theirs never undoes someone else's change to another field.
// value is the person's value as Check returned it against opened.
func Rebase(asked Fields, opened Snapshot, value string, current client.Contact) Fields {
	out := asked
	if typ, _ := client.ParseContactType(asked.Type); typ == opened.Type {
		out.Type = string(current.Type)
	}
	if value == opened.Value {
		out.Value = current.Value
	}
	if asked.Memo == opened.Memo {
		out.Memo = current.Memo
	}
	var was, now client.Preferences
	if opened.Preferences != nil {
		was = *opened.Preferences
	}
	if current.Preferences != nil {
		now = *current.Preferences
	}
	out.Flags = map[string]bool{}
	for _, flag := range client.Shown(current.Preferences) {
		mine, touched := asked.Flags[flag.Name]
		if touched && mine != flag.Get(was) {
			out.Flags[flag.Name] = mine
		} else {
			out.Flags[flag.Name] = flag.Get(now)
		}
	}
	return out
}

// Applied reports whether every field of req already has its value in ct.
func Applied(req client.UpdateContactRequest, ct client.Contact) bool {
	if req.Type != nil && *req.Type != ct.Type ||
		req.Value != nil && *req.Value != ct.Value ||
		req.Memo != nil && *req.Memo != ct.Memo {
		return false
	}
	if req.Preferences == nil {
		return true
	}
	if ct.Preferences == nil {
		return false
	}
	want, got := *req.Preferences, *ct.Preferences
	for _, flag := range client.Flags {
		if !flag.In(want) {
			continue
		}
		if !flag.In(got) || flag.Get(want) != flag.Get(got) {
			return false
		}
	}
	return true
}
