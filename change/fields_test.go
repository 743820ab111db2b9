package change

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/client"
)

func fiveFlags(invoice, statement bool) *client.Preferences {
	return &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: invoice && statement,
		InvoiceNotification: new(invoice), StatementNotification: new(statement)}
}

func TestPatch(t *testing.T) {
	mobile := Snapshot{Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell",
		Preferences: &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}}
	split := Snapshot{Type: client.ContactEmail, Value: "ada@example.com", Preferences: fiveFlags(true, true)}
	tests := []struct {
		name string
		base Snapshot
		edit func(*Fields)
		want string // the PATCH's fields, as "type value memo prefs"
		// check inspects the preferences sent
		check func(t *testing.T, p *client.Preferences)
	}{
		{"ok, memo only", mobile, func(f *Fields) { f.Memo = "Work" }, "memo", nil},
		{"ok, nothing", mobile, func(*Fields) {}, "", nil},
		{"ok, one flag sends all, untouched as stored", mobile, func(f *Fields) { f.Flags["marketingUpdatesEnabled"] = true }, "prefs",
			func(t *testing.T, p *client.Preferences) {
				if !p.JobRemindersEnabled || !p.MarketingUpdatesEnabled || !p.InvoiceStatementNotification {
					t.Errorf("prefs = %+v", p)
				}
			}},
		// A five-flag record saved with exactly one of invoices and statements
		// ticked: no value of the legacy flag agrees with both, so it goes
		// as read (#23, item 1).
		{"ok, one of the split flags ticked", split, func(f *Fields) { f.Flags["statementNotification"] = false }, "prefs",
			func(t *testing.T, p *client.Preferences) {
				if !p.InvoiceStatementNotification || !*p.InvoiceNotification || *p.StatementNotification {
					t.Errorf("prefs = %+v (invoices %v, statements %v)", p, *p.InvoiceNotification, *p.StatementNotification)
				}
			}},
		{"ok, a split flag on a record without them is not invented", mobile, func(f *Fields) { f.Flags["invoiceNotification"] = true }, "", nil},
		// A record that came with statements but not invoices (the fuzzer's
		// find): the lone flag is not sent, half of the pair.
		{"ok, a lone split flag is not sent back", Snapshot{Type: client.ContactPhone, Value: "2012000000",
			Preferences: &client.Preferences{JobRemindersEnabled: true, StatementNotification: new(true)}},
			func(f *Fields) { f.Flags["jobRemindersEnabled"] = false }, "prefs",
			func(t *testing.T, p *client.Preferences) {
				if p.JobRemindersEnabled || p.InvoiceNotification != nil || p.StatementNotification != nil {
					t.Errorf("prefs = %+v", p)
				}
			}},
		{"ok, a type change", mobile, func(f *Fields) { f.Type = "Phone" }, "type", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := FieldsOf(tt.base)
			tt.edit(&asked)
			value, errs := Check(asked, tt.base, "US")
			if !errs.Empty() {
				t.Fatalf("errors: %+v", errs)
			}
			req := Patch(asked, tt.base, value)
			var got []string
			if req.Type != nil {
				got = append(got, "type")
			}
			if req.Value != nil {
				got = append(got, "value")
			}
			if req.Memo != nil {
				got = append(got, "memo")
			}
			if req.Preferences != nil {
				got = append(got, "prefs")
				if tt.check != nil {
					tt.check(t, req.Preferences)
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("PATCH fields = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestApplied(t *testing.T) {
	memo := "Work"
	tests := []struct {
		name string
		req  client.UpdateContactRequest
		ct   client.Contact
		want bool
	}{
		{"ok, the memo is there", client.UpdateContactRequest{Memo: &memo}, client.Contact{Memo: "Work"}, true},
		{"nok, the memo is not", client.UpdateContactRequest{Memo: &memo}, client.Contact{Memo: "Cell"}, false},
		{"ok, the split flags are there", client.UpdateContactRequest{Preferences: fiveFlags(true, false)},
			client.Contact{Preferences: fiveFlags(true, false)}, true},
		// A lost answer whose re-read record lacks the split flags the PATCH
		// sent: the change is not there.
		{"nok, the record lacks the split flags sent", client.UpdateContactRequest{Preferences: fiveFlags(true, false)},
			client.Contact{Preferences: &client.Preferences{JobRemindersEnabled: true}}, false},
		{"nok, no preferences at all", client.UpdateContactRequest{Preferences: fiveFlags(true, false)}, client.Contact{}, false},
	}
	for _, tt := range tests {
		if got := Applied(tt.req, tt.ct); got != tt.want {
			t.Errorf("%s: Applied = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	phone := Snapshot{Type: client.ContactMobilePhone, Value: "2175550177"}
	stored := Snapshot{Type: client.ContactMobilePhone, Value: "not-a-number"} // as ServiceTitan holds it
	tests := []struct {
		name      string
		base      Snapshot
		asked     Fields
		wantValue string
		wantErr   string // field:substring
	}{
		{"ok, typed as people write it", phone, Fields{Type: "MobilePhone", Value: "+1 (217) 555-0199"}, "2175550199", ""},
		{"ok, a stored value our rules reject is not judged again", stored, Fields{Type: "MobilePhone", Value: "not-a-number", Memo: "x"}, "not-a-number", ""},
		{"nok, but a new value is", stored, Fields{Type: "MobilePhone", Value: "not-a-number-2"}, "", "value:10-digit"},
		{"ok, a memo of exactly 255 characters", phone, Fields{Type: "MobilePhone", Value: "2175550177", Memo: strings.Repeat("x", 255)}, "2175550177", ""},
		{"ok, line breaks in the memo", phone, Fields{Type: "MobilePhone", Value: "2175550177", Memo: "a\r\nb"}, "2175550177", ""},
		{"nok, a tab in the memo", phone, Fields{Type: "MobilePhone", Value: "2175550177", Memo: "a\tb"}, "", "memo:control character"},
		{"nok, an email of 255 characters", phone, Fields{Type: "Email", Value: strings.Repeat("a", 243) + "@example.com"}, "", "value:at most 254"},
		{"nok, a foreign number", phone, Fields{Type: "MobilePhone", Value: "+44 20 7946 0958"}, "", "value:US and Canadian"},
		{"nok, an email typed as a phone number", phone, Fields{Type: "MobilePhone", Value: "kelly@example.com"}, "", "value:looks like an email — choose Email"},
		{"nok, an unknown type", phone, Fields{Type: "Pager", Value: "1"}, "", "type:Choose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, errs := Check(tt.asked, tt.base, "US")
			if tt.wantErr == "" {
				if !errs.Empty() || value != tt.wantValue {
					t.Errorf("value %q, errors %+v; want %q", value, errs, tt.wantValue)
				}
				return
			}
			field, substr, _ := strings.Cut(tt.wantErr, ":")
			if !strings.Contains(strings.Join(errs.ByField[field], " "), substr) {
				t.Errorf("errors %+v, want %q on %s", errs, substr, field)
			}
		})
	}
}

// Rebase keeps what the person changed and takes the colleague's value of
// everything else.
func TestRebase(t *testing.T) {
	opened := Snapshot{Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell",
		Preferences: &client.Preferences{JobRemindersEnabled: true}, ModifiedOn: time.Unix(1, 0)}
	mine := FieldsOf(opened)
	mine.Memo = "Mine"
	current := client.Contact{Type: client.ContactMobilePhone, Value: "2175550199", Memo: "Cell",
		Preferences: &client.Preferences{JobRemindersEnabled: false, MarketingUpdatesEnabled: true}}
	got := Rebase(mine, opened, "2175550177", current)
	if got.Memo != "Mine" || got.Value != "2175550199" || got.Flags["jobRemindersEnabled"] || !got.Flags["marketingUpdatesEnabled"] {
		t.Errorf("rebased = %+v", got)
	}
}

// Ten digits in a North American region skip Parse (the hygiene check's
// fast path): the answer must be Parse's for every such number. Every
// area code is tried with exchanges and lines drawn from a fixed seed,
// in both regions the app is used in and one it is not.
func TestNormalisePhoneTenDigits(t *testing.T) {
	viaParse := func(s, region string) (string, string) {
		// NormalisePhone as it was before the fast path.
		num, err := phonenumbers.Parse(s, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			return "", "Enter a 10-digit phone number, like (217) 555-0177."
		}
		if num.GetCountryCode() != 1 {
			return "", "ServiceTitan takes US and Canadian phone numbers only."
		}
		return phonenumbers.GetNationalSignificantNumber(num), ""
	}
	// The shortcut past IsValidNumber's search holds for a main region
	// matched without leading digits.
	all, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all.GetMetadata() {
		if m.GetId() == nanpMain && m.GetLeadingDigits() != "" {
			t.Fatalf("%s has leading digits %q", nanpMain, m.GetLeadingDigits())
		}
	}
	r := rand.New(rand.NewPCG(30, 30))
	for _, region := range []string{"US", "CA", "GB"} {
		for area := 200; area < 1000; area++ {
			for range 4 {
				s := fmt.Sprintf("%03d%03d%04d", area, r.IntN(1000), r.IntN(10000))
				got, problem := NormalisePhone(s, region)
				want, wantProblem := viaParse(s, region)
				if got != want || problem != wantProblem {
					t.Fatalf("NormalisePhone(%q, %q) = %q, %q; Parse says %q, %q", s, region, got, problem, want, wantProblem)
				}
			}
		}
	}
}

// Numbers are read as people type them; what ServiceTitan could not keep
// as typed (letters, an extension) is said, never changed silently.
func TestNormalisePhone(t *testing.T) {
	tests := []struct {
		name, typed, want, problem string
	}{
		{"ok, dashes", "217-555-0177", "2175550177", ""},
		{"ok, brackets and spaces", "(217) 555 0177", "2175550177", ""},
		{"ok, the country code", "+1 217 555 0177", "2175550177", ""},
		{"nok, letters", "217-555-CALL", "", "A phone number is digits: 217-555-CALL would be saved as (217) 555-2255. Type the digits to save it."},
		{"nok, an extension", "2175550177 ext 12", "", "ServiceTitan keeps no extension: enter the number alone and put extension 12 in the memo."},
		{"nok, an x extension", "(217) 555-0177 x9", "", "ServiceTitan keeps no extension: enter the number alone and put extension 9 in the memo."},
		{"nok, too short", "555-01", "", "Enter a 10-digit phone number, like (217) 555-0177."},
		{"nok, not North American", "+44 20 7946 0958", "", "ServiceTitan takes US and Canadian phone numbers only."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := NormalisePhone(tt.typed, "US")
			if got != tt.want || problem != tt.problem {
				t.Errorf("NormalisePhone(%q) = %q, %q; want %q, %q", tt.typed, got, problem, tt.want, tt.problem)
			}
		})
	}
}
