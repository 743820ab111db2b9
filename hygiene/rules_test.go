package hygiene

import (
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

func TestClassify(t *testing.T) {
	own, err := ParsePlaceholders("(555) 123-4567, nobody, office@acme.example, @example.invalid", "US")
	if err != nil {
		t.Fatal(err)
	}
	rules := Rules{Region: "US", SharedMin: 3, Placeholders: own}
	tests := []struct {
		name  string
		kind  client.ContactType
		value string
		want  Section
	}{
		{"ok, a real number", client.ContactMobilePhone, "2175550177", ""},
		{"ok, a real number that contains 1234", client.ContactPhone, "7735551234", ""},
		{"ok, a real number that is almost a run", client.ContactPhone, "2123456789", ""},
		{"ok, a real number that contains 9876", client.ContactPhone, "7039876543", ""},
		{"ok, a real number with repeated digits", client.ContactPhone, "2125555555", ""},
		{"ok, a real email", client.ContactEmail, "ada@example.com", ""},
		{"ok, a real email that starts like a placeholder", client.ContactEmail, "nonemacher@example.com", ""},
		{"ok, a real email that contains test", client.ContactEmail, "testa.rossa@example.com", ""},
		{"ok, a real email at a domain an operator listed elsewhere", client.ContactEmail, "ada@invalid.example", ""},
		{"nok, zeros", client.ContactPhone, "0000000000", PlaceholderPhone},
		{"nok, fives", client.ContactMobilePhone, "(555) 555-5555", PlaceholderPhone},
		{"nok, nines with the country code", client.ContactPhone, "+1 999 999 9999", PlaceholderPhone},
		{"nok, ascending", client.ContactPhone, "(123) 456-7890", PlaceholderPhone},
		{"nok, descending", client.ContactPhone, "987 654 3210", PlaceholderPhone},
		{"nok, a fax of ones", client.ContactFax, "1111111111", PlaceholderPhone},
		{"nok, the operator's number", client.ContactPhone, "5551234567", PlaceholderPhone},
		{"nok, noemail at gmail", client.ContactEmail, "noemail@gmail.com", PlaceholderEmail},
		{"nok, none in capitals", client.ContactEmail, "NONE@Company.com", PlaceholderEmail},
		{"nok, do-not-reply", client.ContactEmail, "do-not-reply@shop.example", PlaceholderEmail},
		{"nok, na", client.ContactEmail, "na@na.com", PlaceholderEmail},
		{"nok, the word alone", client.ContactEmail, "N/A", PlaceholderEmail},
		{"nok, the operator's local part", client.ContactEmail, "nobody@example.com", PlaceholderEmail},
		{"nok, the operator's email", client.ContactEmail, "Office@acme.example", PlaceholderEmail},
		{"nok, the operator's domain", client.ContactEmail, "ada@example.invalid", PlaceholderEmail},
		{"nok, too short", client.ContactPhone, "217555017", Invalid},
		{"nok, no such area code", client.ContactPhone, "0175550177", Invalid},
		{"nok, empty number", client.ContactPhone, "", Invalid},
		{"nok, letters", client.ContactMobilePhone, "call the office", Invalid},
		{"nok, no at", client.ContactEmail, "ada.example.com", Invalid},
		{"nok, no domain dot", client.ContactEmail, "ada@example", Invalid},
		{"nok, two ats", client.ContactEmail, "ada@@example.com", Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.Classify(tt.kind, tt.value); got != tt.want {
				t.Errorf("Classify(%s, %q) = %q, want %q", tt.kind, tt.value, got, tt.want)
			}
		})
	}
}

func TestRulesWithoutOperatorList(t *testing.T) {
	rules := Rules{Region: "US"}
	if got := rules.Classify(client.ContactPhone, "5551234567"); got == PlaceholderPhone {
		t.Errorf("5551234567 is a placeholder only when an operator lists it")
	}
	if got := rules.Classify(client.ContactEmail, "nobody@example.com"); got != "" {
		t.Errorf("nobody@example.com = %q, want no problem", got)
	}
}

func TestParsePlaceholders(t *testing.T) {
	p, err := ParsePlaceholders(" 1 (555) 010-9999 ,, NoBody , X@Y.example, @Example.Invalid ", "US")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Phones) != 1 || p.Phones[0] != "5550109999" {
		t.Errorf("phones = %q, want the national number", p.Phones)
	}
	if len(p.Locals) != 1 || p.Locals[0] != "nobody" || len(p.Emails) != 1 || p.Emails[0] != "x@y.example" ||
		len(p.Domains) != 1 || p.Domains[0] != "example.invalid" {
		t.Errorf("got %+v", p)
	}
	for _, bad := range []string{"12", "a@b@c", "x@", "@", "555-12"} {
		if _, err := ParsePlaceholders(bad, "US"); err == nil {
			t.Errorf("ParsePlaceholders(%q) took it", bad)
		}
	}
}

func TestKeyChangesWithTheRules(t *testing.T) {
	a := Rules{Region: "US"}
	b := Rules{Region: "CA"}
	own, _ := ParsePlaceholders("nobody", "US")
	c := Rules{Region: "US", Placeholders: own}
	d := Rules{Region: "US", SharedMin: 9}
	if a.Key() == b.Key() || a.Key() == c.Key() {
		t.Errorf("keys do not tell the rules apart: %q %q %q", a.Key(), b.Key(), c.Key())
	}
	if a.Key() != d.Key() {
		t.Errorf("SharedMin is read at report time; it must not make the index check everything again")
	}
}
