package client

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ContactType is how a contact is reached. ServiceTitan calls a landline
// "Phone"; older payloads say "LandlinePhone", which decodes to Phone.
type ContactType string

// The contact types ServiceTitan accepts.
const (
	ContactPhone       ContactType = "Phone"
	ContactMobilePhone ContactType = "MobilePhone"
	ContactEmail       ContactType = "Email"
	ContactFax         ContactType = "Fax"
)

// ContactTypes lists every type in the order staff see them in a select.
func ContactTypes() []ContactType {
	return []ContactType{ContactPhone, ContactMobilePhone, ContactEmail, ContactFax}
}

// Label is the word staff know the type by.
func (t ContactType) Label() string {
	switch t {
	case ContactPhone:
		return "Landline"
	case ContactMobilePhone:
		return "Mobile"
	case ContactEmail:
		return "Email"
	case ContactFax:
		return "Fax"
	}
	return string(t)
}

// Valid reports whether t is one of the four known types.
func (t ContactType) Valid() bool {
	switch t {
	case ContactPhone, ContactMobilePhone, ContactEmail, ContactFax:
		return true
	}
	return false
}

// IsPhoneNumber reports whether the value of a contact of this type is a
// phone number (landline, mobile and fax are).
func (t ContactType) IsPhoneNumber() bool {
	return t == ContactPhone || t == ContactMobilePhone || t == ContactFax
}

// Digits keeps only the ASCII digits of s: "(217) 555-0177" is 2175550177,
// the form ServiceTitan stores phone numbers in.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// ParseContactType reads a type case-insensitively, accepting the legacy
// "LandlinePhone" name.
func ParseContactType(s string) (ContactType, bool) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "LandlinePhone") {
		return ContactPhone, true
	}
	for _, t := range ContactTypes() {
		if strings.EqualFold(s, string(t)) {
			return t, true
		}
	}
	return ContactType(s), false
}

// UnmarshalJSON normalises the spelling of known types and keeps unknown
// ones verbatim, so a new type from ServiceTitan does not break decoding.
func (t *ContactType) UnmarshalJSON(b []byte) error {
	s, err := jsonString(b)
	if err != nil {
		return fmt.Errorf("contact type: %w", err)
	}
	*t, _ = ParseContactType(s)
	return nil
}

// PhoneSettings describes the phone number behind a contact. DoNotText is
// set when the customer texted STOP; it cannot be changed through the API.
type PhoneSettings struct {
	PhoneNumber string `json:"phoneNumber"`
	DoNotText   bool   `json:"doNotText"`
}

// FieldDoNotText is the path of PhoneSettings.DoNotText: read-only, so
// never in a request, but recorded with a removal.
const FieldDoNotText = "phoneSettings.doNotText"

// TextedStop reports whether the customer texted STOP to ct's number.
func (ct Contact) TextedStop() bool { return ct.PhoneSettings != nil && ct.PhoneSettings.DoNotText }

// Preferences are a contact's notification flags. The seed documents three;
// ServiceTitan's 2026 spec adds InvoiceNotification and StatementNotification,
// which are nil when the record does not carry them. They are sent back as
// loaded so that no flag the user did not touch is ever reset.
type Preferences struct {
	JobRemindersEnabled          bool  `json:"jobRemindersEnabled"`
	MarketingUpdatesEnabled      bool  `json:"marketingUpdatesEnabled"`
	InvoiceStatementNotification bool  `json:"invoiceStatementNotification"`
	InvoiceNotification          *bool `json:"invoiceNotification,omitempty"`
	StatementNotification        *bool `json:"statementNotification,omitempty"`
}

// HasSplitInvoiceFlags reports whether the record carries the 2026 flags
// that replace the legacy combined invoiceStatementNotification.
func (p Preferences) HasSplitInvoiceFlags() bool {
	return p.InvoiceNotification != nil && p.StatementNotification != nil
}

// Contact is a customer's contact as ServiceTitan returns it.
type Contact struct {
	ID            int64          `json:"id"`
	Type          ContactType    `json:"type"`
	Value         string         `json:"value"`
	Memo          string         `json:"memo"`
	CreatedOn     time.Time      `json:"createdOn"`
	ModifiedOn    time.Time      `json:"modifiedOn"`
	PhoneSettings *PhoneSettings `json:"phoneSettings"`
	Preferences   *Preferences   `json:"preferences"`
}

// UnmarshalJSON accepts ServiceTitan's timestamps, which may carry seven
// fractional digits and no zone designator.
func (c *Contact) UnmarshalJSON(b []byte) error {
	return decodeWire(b, c, contactWire.contact)
}

// contactWire is a Contact as ServiceTitan sends it: the same fields, its
// times read by apiTime. The client decodes answers into it directly: a
// custom UnmarshalJSON on each element of a list makes the decoder skip
// over the element, then validate and decode it again in a nested call,
// which was most of the time spent reading a contact list.
type contactWire struct {
	plainContact
	CreatedOn  apiTime `json:"createdOn"`
	ModifiedOn apiTime `json:"modifiedOn"`
}

// plainContact is Contact without its methods (its UnmarshalJSON).
type plainContact Contact

func (w contactWire) contact() Contact {
	c := Contact(w.plainContact)
	c.CreatedOn, c.ModifiedOn = time.Time(w.CreatedOn), time.Time(w.ModifiedOn)
	return c
}

// UpdateContactRequest is the body of Customers_UpdateContact. A nil field
// is "not set" and is left out of the PATCH, so a memo-only change sends
// only {"memo": "..."}.
type UpdateContactRequest struct {
	Type        *ContactType `json:"type,omitempty"`
	Value       *string      `json:"value,omitempty"`
	Memo        *string      `json:"memo,omitempty"`
	Preferences *Preferences `json:"preferences,omitempty"`
}

// CreateContactRequest is the body of Customers_CreateContact.
type CreateContactRequest struct {
	Type        ContactType  `json:"type"`
	Value       string       `json:"value"`
	Memo        string       `json:"memo,omitempty"`
	Preferences *Preferences `json:"preferences,omitempty"`
}

// IsEmpty reports whether the request would change nothing.
func (r UpdateContactRequest) IsEmpty() bool {
	return r.Type == nil && r.Value == nil && r.Memo == nil && r.Preferences == nil
}

// Address is a customer's bill-to address.
type Address struct {
	Street  string `json:"street"`
	Unit    string `json:"unit"`
	City    string `json:"city"`
	State   string `json:"state"`
	Zip     string `json:"zip"`
	Country string `json:"country"`
}

// String renders the address on one line, skipping empty parts.
func (a Address) String() string {
	var parts []string
	street := strings.TrimSpace(strings.Join(nonEmpty(a.Street, a.Unit), " "))
	if street != "" {
		parts = append(parts, street)
	}
	if a.City != "" {
		parts = append(parts, a.City)
	}
	if stateZip := strings.Join(nonEmpty(a.State, a.Zip), " "); stateZip != "" {
		parts = append(parts, stateZip)
	}
	return strings.Join(parts, ", ")
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Customer is a ServiceTitan customer record (the fields this app uses).
type Customer struct {
	ID         int64     `json:"id"`
	Active     bool      `json:"active"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Address    Address   `json:"address"`
	CreatedOn  time.Time `json:"createdOn"`
	ModifiedOn time.Time `json:"modifiedOn"`
}

// UnmarshalJSON accepts ServiceTitan's zone-less timestamps.
func (c *Customer) UnmarshalJSON(b []byte) error {
	return decodeWire(b, c, customerWire.customer)
}

// customerWire is to Customer what contactWire is to Contact.
type customerWire struct {
	plainCustomer
	CreatedOn  apiTime `json:"createdOn"`
	ModifiedOn apiTime `json:"modifiedOn"`
}

// plainCustomer is Customer without its methods.
type plainCustomer Customer

func (w customerWire) customer() Customer {
	c := Customer(w.plainCustomer)
	c.CreatedOn, c.ModifiedOn = time.Time(w.CreatedOn), time.Time(w.ModifiedOn)
	return c
}

// Page is one page of a paged list.
type Page[T any] struct {
	Page       int  `json:"page"`
	PageSize   int  `json:"pageSize"`
	HasMore    bool `json:"hasMore"`
	TotalCount *int `json:"totalCount"`
	Data       []T  `json:"data"`
}

// CustomerQuery filters SearchCustomers. Zero fields are not sent.
type CustomerQuery struct {
	Name     string
	Phone    string
	IDs      []int64
	Page     int // from 1; 0 means 1
	PageSize int // 0 means the server default (50)
}

// decodeWire decodes b as W, the form ServiceTitan sends a record in, and
// stores in dst the record that record makes of it.
func decodeWire[W, T any](b []byte, dst *T, record func(W) T) error {
	var w W
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*dst = record(w)
	return nil
}

// apiTime decodes ServiceTitan's date-times: RFC 3339, or the same without a
// zone designator (documented as UTC), with up to nine fractional digits.
type apiTime time.Time

var zonelessLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

func (t *apiTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = apiTime{}
		return nil
	}
	s, err := jsonString(b)
	if err != nil {
		return fmt.Errorf("date-time: %w", err)
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = apiTime(parsed)
	return nil
}

// ParseTime parses a ServiceTitan date-time, treating a missing zone as UTC.
// The result is always in UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	// ServiceTitan's usual form has no zone: try RFC 3339 only when s ends
	// with one, as a failed time.Parse costs an error value.
	if hasZone(s) {
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ts.UTC(), nil
		}
	}
	for _, layout := range zonelessLayouts {
		if ts, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return ts, nil
		}
	}
	return time.Time{}, fmt.Errorf("date-time %q is not in a known format", s)
}

// hasZone reports whether a date-time ends with a zone designator: "Z" or
// an offset such as "+02:00" after the time of day.
func hasZone(s string) bool {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return true
	}
	const dateAndHour = len("2006-01-02T15")
	return len(s) > dateAndHour && strings.ContainsAny(s[dateAndHour:], "+-")
}

// jsonString returns the string a JSON string literal holds. A literal
// with no escapes, quotes or control characters, in valid UTF-8, is its
// own content; only the rest goes through a nested json.Unmarshal, which
// validates and allocates again (a cost paid for every time and type of
// every contact otherwise).
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
		plain := utf8.Valid(inner)
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}
