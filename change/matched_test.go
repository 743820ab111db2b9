package change

import (
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

// A bulk row changes its contact only while it holds what the preview
// matched: a number by its digits, an email whatever its case, and a
// "number" without a digit (an invalid value from the hygiene report) as
// written.
func TestMatchedHeldBy(t *testing.T) {
	phone := func(kind client.ContactType, v string) client.Contact { return client.Contact{Type: kind, Value: v} }
	for _, tt := range []struct {
		name    string
		matched *Matched
		now     client.Contact
		want    bool
	}{
		{"ok, no match asked", nil, phone(client.ContactPhone, "x"), true},
		{"ok, the same digits written otherwise", &Matched{client.ContactPhone, "2175550177"}, phone(client.ContactPhone, "(217) 555-0177"), true},
		{"ok, an email in another case", &Matched{client.ContactEmail, "ada@example.com"}, phone(client.ContactEmail, "Ada@Example.com"), true},
		{"ok, a number without digits as written", &Matched{client.ContactMobilePhone, "call office"}, phone(client.ContactMobilePhone, "call office"), true},
		{"ok, without digits, case and spaces aside", &Matched{client.ContactMobilePhone, "call office"}, phone(client.ContactMobilePhone, " Call Office "), true},
		{"nok, without digits, now another text", &Matched{client.ContactMobilePhone, "call office"}, phone(client.ContactMobilePhone, "ask at desk"), false},
		{"nok, without digits, now a number", &Matched{client.ContactMobilePhone, "call office"}, phone(client.ContactMobilePhone, "2175550177"), false},
		{"nok, other digits", &Matched{client.ContactPhone, "2175550177"}, phone(client.ContactPhone, "2175550178"), false},
		{"nok, another type", &Matched{client.ContactPhone, "2175550177"}, phone(client.ContactMobilePhone, "2175550177"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.matched.heldBy(tt.now); got != tt.want {
				t.Errorf("heldBy(%+v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}
