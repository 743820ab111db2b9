package web

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// isoMillis is RFC 3339 in UTC with at most three fractional digits: HTML's
// <time datetime> allows no more.
const isoMillis = "2006-01-02T15:04:05.999Z07:00"

// displayTime is how people read a time: local to the office, zone named.
const displayTime = "Jan 2, 2006, 3:04 PM MST"

func (a *Web) TimeView(t time.Time) views.Time {
	if t.IsZero() {
		return views.Time{}
	}
	return views.Time{ISO: isoTime(t), Display: t.In(a.TZ).Format(displayTime)}
}

func isoTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format(isoMillis)
}

// DisplayValue formats a phone number for people ("(217) 555-0177") and
// leaves anything else as stored.
func (a *Web) DisplayValue(t client.ContactType, value string) string {
	if !t.IsPhoneNumber() {
		return value
	}
	if shown, ok := a.phones.get(value); ok {
		return shown
	}
	shown := a.formatPhone(value)
	a.phones.put(value, shown)
	return shown
}

func (a *Web) formatPhone(value string) string {
	num, err := phonenumbers.Parse(value, a.Region)
	if err != nil {
		return value
	}
	if phonenumbers.GetRegionCodeForNumber(num) == a.Region || num.GetCountryCode() == int32(phonenumbers.GetCountryCodeForRegion(a.Region)) {
		shown := phonenumbers.Format(num, phonenumbers.NATIONAL)
		if shown == value && num.GetCountryCode() == 1 && len(value) == 10 && client.Digits(value) == value {
			// Ten digits no area code has (a placeholder: 0000000000) are
			// still read as a number is: (000) 000-0000.
			return "(" + value[:3] + ") " + value[3:6] + "-" + value[6:]
		}
		return shown
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

func flagViews(p *client.Preferences) []views.Flag {
	if p == nil {
		return nil
	}
	var out []views.Flag
	for _, flag := range client.Shown(p) {
		out = append(out, views.Flag{Name: flag.Name, Label: flag.Label, Value: flag.Get(*p)})
	}
	return out
}

func CustomerURL(id int64) string { return fmt.Sprintf("/customers/%d", id) }
func ContactURL(customerID, contactID int64) string {
	return fmt.Sprintf("/customers/%d/contacts/%d", customerID, contactID)
}

func (a *Web) ContactRow(ow Owner, ct client.Contact) views.ContactRow {
	return views.ContactRow{
		ID:         ct.ID,
		TypeLabel:  ct.Type.Label(),
		Value:      a.DisplayValue(ct.Type, ct.Value),
		Memo:       ct.Memo,
		IsPhone:    ct.Type.IsPhoneNumber(),
		DoNotText:  ct.PhoneSettings != nil && ct.PhoneSettings.DoNotText,
		Flags:      flagViews(ct.Preferences),
		ModifiedOn: a.TimeView(ct.ModifiedOn),
		URL:        ow.ContactURL(ct.ID),
		EditURL:    ow.ContactURL(ct.ID) + "/edit",
		RemoveURL:  ow.ContactURL(ct.ID) + "/delete",
	}
}

// RecordFields lays out a contact as the record page shows it, each field
// with its API path and raw value. A record with separate invoice and
// statement flags shows them among its preferences, and its legacy
// combined flag apart (combined), explained once: three rows that may
// disagree would say nothing clear.
func (a *Web) RecordFields(ct client.Contact) (fields, prefs []views.RecordField, combined *views.RecordField) {
	fields = []views.RecordField{
		{Label: "Contact ID", Field: "id", Raw: strconv.FormatInt(ct.ID, 10), Text: strconv.FormatInt(ct.ID, 10)},
		{Label: "Type", Field: "type", Raw: string(ct.Type), Text: ct.Type.Label()},
		{Label: "Value", Field: "value", Raw: ct.Value, Text: a.DisplayValue(ct.Type, ct.Value)},
		{Label: "Memo", Field: "memo", Raw: ct.Memo, Text: OrNone(ct.Memo)},
		{Label: "Created", Field: "createdOn", Raw: isoTimeOrEmpty(ct.CreatedOn), Time: a.TimeView(ct.CreatedOn)},
		{Label: "Last changed", Field: "modifiedOn", Raw: isoTimeOrEmpty(ct.ModifiedOn), Time: a.TimeView(ct.ModifiedOn)},
	}
	if ps := ct.PhoneSettings; ps != nil {
		fields = append(fields,
			views.RecordField{Label: "Phone number", Field: "phoneSettings.phoneNumber", Raw: ps.PhoneNumber,
				Text: a.DisplayValue(client.ContactPhone, ps.PhoneNumber)},
			views.RecordField{Label: "Texting", Field: "phoneSettings.doNotText", Raw: strconv.FormatBool(ps.DoNotText),
				Text: doNotTextText(ps.DoNotText), Hint: doNotTextHint(ps.DoNotText)},
		)
	}
	if p := ct.Preferences; p != nil {
		for _, flag := range client.Carried(*p) {
			v := flag.Get(*p)
			f := views.RecordField{Label: flag.Label, Field: flag.Path(), Raw: strconv.FormatBool(v), Text: client.OnOff(v)}
			if flag.Name == "invoiceStatementNotification" && p.HasSplitInvoiceFlags() {
				f.Text = views.CombinedFlagNote(v)
				combined = &f
				continue
			}
			prefs = append(prefs, f)
		}
	}
	return fields, prefs, combined
}

func isoTimeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return isoTime(t)
}

func OrNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "None"
	}
	return s
}

func doNotTextText(v bool) string {
	if v {
		return "Opted out (texted STOP)"
	}
	return "Allowed"
}

func doNotTextHint(v bool) string {
	if v {
		return "The customer texted STOP to this number, so ServiceTitan will not send it texts. Only the customer can opt back in, by texting START."
	}
	return "If the customer texts STOP to this number, ServiceTitan stops texting it. Staff cannot change this."
}

// ContactSummary is a one-line digest of a customer's contacts for search
// results.
func (a *Web) ContactSummary(contacts []client.Contact) string {
	const shown = 2
	var parts []string
	for i, ct := range contacts {
		if i == shown {
			parts = append(parts, fmt.Sprintf("%d more", len(contacts)-shown))
			break
		}
		parts = append(parts, a.DisplayValue(ct.Type, ct.Value))
	}
	if len(parts) == 0 {
		return "No contacts"
	}
	return strings.Join(parts, " · ")
}

// phoneCache remembers how numbers are shown: parsing one is the costliest
// step of a small page, and staff see the same customers' numbers again and
// again. It is bounded; when full it starts over.
type phoneCache struct {
	mu sync.Mutex
	m  map[string]string
}

const phoneCacheSize = 4096

func (p *phoneCache) get(raw string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.m[raw]
	return s, ok
}

func (p *phoneCache) put(raw, shown string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= phoneCacheSize {
		p.m = make(map[string]string, 256)
	}
	p.m[raw] = shown
}
