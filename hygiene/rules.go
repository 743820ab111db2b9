// Package hygiene finds the contact details that need care across the
// tenant: placeholder phone numbers and emails (which ServiceTitan's own
// help calls a security risk), values the edit form would refuse, one
// value on several customers, and customers who cannot be reached. It
// reads the tenant index only; fixing goes through bulk jobs.
package hygiene

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// Section names a part of the report; they are the page's
// data-hygiene values and /hygiene.csv's section parameter.
type Section string

const (
	PlaceholderPhone Section = "placeholder-phone"
	PlaceholderEmail Section = "placeholder-email"
	Invalid          Section = "invalid"
	Shared           Section = "shared"
	Unreachable      Section = "unreachable"
)

// Sections are the report's sections, in the page's order.
var Sections = []Section{PlaceholderPhone, PlaceholderEmail, Invalid, Shared, Unreachable}

// ParseSection reads a section name.
func ParseSection(s string) (Section, bool) {
	if slices.Contains(Sections, Section(s)) {
		return Section(s), true
	}
	return "", false
}

// Rules are what counts as a problem: the region phone numbers are read
// for, the operator's own placeholders (HYGIENE_PLACEHOLDERS), and how
// many customers may share one value (HYGIENE_SHARED_MIN).
type Rules struct {
	Region    string
	SharedMin int
	// Placeholders are the operator's, as ParsePlaceholders reads them.
	Placeholders Placeholders
}

// Placeholders are values an operator names as placeholders: phone
// numbers (by their digits), whole emails, email local parts ("nobody")
// and email domains ("@example.invalid").
type Placeholders struct {
	Phones, Emails, Locals, Domains []string
}

// ParsePlaceholders reads HYGIENE_PLACEHOLDERS: comma-separated phone
// numbers ("(555) 123-4567"), emails ("none@company.com"), local parts
// ("nobody") and domains ("@example.invalid").
func ParsePlaceholders(list, region string) (Placeholders, error) {
	var p Placeholders
	for item := range strings.SplitSeq(list, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch at := strings.IndexByte(item, '@'); {
		case item == "":
		case at == 0 && len(item) > 1 && !strings.Contains(item[1:], "@"):
			p.Domains = append(p.Domains, item[1:])
		case at > 0 && strings.Count(item, "@") == 1 && at < len(item)-1:
			p.Emails = append(p.Emails, item)
		case at < 0 && strings.IndexFunc(item, unicode.IsLetter) >= 0:
			p.Locals = append(p.Locals, localKey(item))
		case at < 0 && len(client.Digits(item)) >= 7 && strings.Trim(item, "0123456789()-. +") == "":
			p.Phones = append(p.Phones, nationalDigits(client.Digits(item), region))
		default:
			return p, fmt.Errorf("%q is not a phone number, an email, an email's local part or an @domain", item)
		}
	}
	return p, nil
}

// Key names the rules as far as they decide a contact's problem: the
// index checks every contact again when it changes.
func (r Rules) Key() string {
	p := r.Placeholders
	return strings.Join([]string{"v1", r.Region, strings.Join(p.Phones, " "), strings.Join(p.Emails, " "),
		strings.Join(p.Locals, " "), strings.Join(p.Domains, " ")}, "|")
}

// placeholderLocals are the local parts people type when a customer has
// no email, compared without dots, dashes and underscores ("do-not-reply").
var placeholderLocals = []string{"noemail", "nomail", "none", "na", "no", "test", "unknown", "donotreply", "noreply", "null"}

// Classify says which section a contact's value belongs to, if any:
// a placeholder first, then a value the edit form would refuse. Shared
// values and unreachable customers are found across contacts, not here.
func (r Rules) Classify(t client.ContactType, value string) Section {
	value = strings.TrimSpace(value)
	if t.IsPhoneNumber() {
		switch {
		case r.placeholderPhone(client.Digits(value)):
			return PlaceholderPhone
		case value == "":
			return Invalid
		}
		if _, problem := change.NormalisePhone(value, r.Region); problem != "" {
			return Invalid
		}
		return ""
	}
	if t != client.ContactEmail {
		return ""
	}
	if r.placeholderEmail(strings.ToLower(value)) {
		return PlaceholderEmail
	}
	if !change.IsEmailAddress(value) {
		return Invalid
	}
	return ""
}

// placeholderPhone: one digit repeated, an ascending or descending run
// of digits (1234567890, 9876543210), or one of the operator's, as the
// whole national number: a real number that contains 1234 is not one.
func (r Rules) placeholderPhone(digits string) bool {
	national := nationalDigits(digits, r.Region)
	if len(national) < 7 {
		return false
	}
	return repeated(national) || run(national, 1) || run(national, -1) || slices.Contains(r.Placeholders.Phones, national)
}

// nationalDigits drops the region's country code from a number written
// with it ("1 555 555 5555" in the US).
func nationalDigits(digits, region string) string {
	cc := fmt.Sprint(phonenumbers.GetCountryCodeForRegion(region))
	if rest, ok := strings.CutPrefix(digits, cc); ok && cc != "0" && len(rest) >= 10 {
		return rest
	}
	return digits
}

func repeated(s string) bool { return strings.Count(s, s[:1]) == len(s) }

// run: each digit is the one before it plus step, modulo 10 (so
// 1234567890 and 0987654321 are runs).
func run(s string, step int) bool {
	for i := 1; i < len(s); i++ {
		if int(s[i]-'0') != (int(s[i-1]-'0')+step+10)%10 {
			return false
		}
	}
	return true
}

// placeholderEmail: a placeholder local part at any domain (or the word
// alone, "none"), or one of the operator's emails, local parts or domains.
func (r Rules) placeholderEmail(email string) bool {
	local, domain, _ := strings.Cut(email, "@")
	key := localKey(local)
	p := r.Placeholders
	return slices.Contains(placeholderLocals, key) || slices.Contains(p.Locals, key) ||
		slices.Contains(p.Emails, email) || (domain != "" && slices.Contains(p.Domains, domain))
}

// localKey is a local part without the dots, dashes and underscores that
// vary between spellings of one word, and without a "+tag".
func localKey(local string) string {
	local, _, _ = strings.Cut(local, "+")
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '-', '_', '/', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, local)
}

// Explain says in words why a value is in section s (what Classify
// found; the index stores it, so it is not worked out again here).
func (r Rules) Explain(s Section, t client.ContactType, value string) string {
	value = strings.TrimSpace(value)
	switch s {
	case PlaceholderPhone:
		national := nationalDigits(client.Digits(value), r.Region)
		switch {
		case repeated(national):
			return "one digit repeated"
		case run(national, 1) || run(national, -1):
			return "a run of digits"
		}
		return "listed in HYGIENE_PLACEHOLDERS"
	case PlaceholderEmail:
		local, _, _ := strings.Cut(strings.ToLower(value), "@")
		if slices.Contains(placeholderLocals, localKey(local)) {
			return "a placeholder, not a person's address"
		}
		return "listed in HYGIENE_PLACEHOLDERS"
	case Invalid:
		if t.IsPhoneNumber() {
			return fmt.Sprintf("not a valid phone number for %s", r.Region)
		}
		return "not an email address"
	}
	return ""
}

// Checker is the rules as the index applies them to each contact.
func (r Rules) Checker() index.Checker {
	return index.Checker{Key: r.Key(), Classify: func(t client.ContactType, value string) string {
		return string(r.Classify(t, value))
	}}
}
