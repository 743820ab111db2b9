package bulk

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		rows    []string // "line:phone|email|customer|contact"
		invalid []string // "line:why substring"
		columns string
	}{
		{name: "ok, one column without a header", in: "(217) 555-0177\nada@example.com\n\n+1 217 555 0123\n",
			rows: []string{"1:2175550177|||", "2:|ada@example.com||", "4:2175550123|||"}, columns: "value"},
		{name: "ok, a byte-order mark and CRLF", in: "\xef\xbb\xbfPhone\r\n217-555-0177\r\n",
			rows: []string{"2:2175550177|||"}, columns: "phone"},
		{name: "ok, semicolons and quoted fields", in: "Email;Customer ID\n\"Ada@Example.com\";10000001\n\"x.y@example.com\";\n",
			rows: []string{"2:|ada@example.com|10000001|", "3:|x.y@example.com||"}, columns: "email,customer id"},
		{name: "ok, header names in any case and spelling", in: "CONTACT_ID,customer id,value\n20000001,,\n,10000002,5125550142\n",
			rows: []string{"2:|||20000001", "3:5125550142||10000002|"}, columns: "contact id,customer id,value"},
		{name: "ok, unknown columns are ignored", in: "Name,Email,Notes\nAda,ada@example.com,unsubscribed 2026-11-02\n",
			rows: []string{"2:|ada@example.com||"}, columns: "email"},
		{name: "nok, bad lines are kept with their line and why", in: "email\nada@\n\nnot-an-email@@x\nada@example.com\n",
			rows: []string{"5:|ada@example.com||"}, invalid: []string{"2:not an email", "4:not an email"}, columns: "email"},
		{name: "nok, a phone number that is not one", in: "555-01\nhello\n",
			invalid: []string{"1:not a phone number", "2:not a phone number"}, columns: "value"},
		{name: "nok, two values without a header", in: "2175550177,ada@example.com\n",
			invalid: []string{"1:more than one value"}, columns: "value"},
		{name: "nok, a contact id that is not a number", in: "contact id\nabc\n",
			invalid: []string{"2:not a contact id"}, columns: "contact id"},
		{name: "nok, an unterminated quote", in: "email\n\"ada@example.com\nbob@example.com\n",
			invalid: []string{"2:not an email"}, columns: "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(tt.in), "US")
			if err != nil {
				t.Fatal(err)
			}
			var rows, invalid []string
			for _, r := range l.Rows {
				rows = append(rows, fmt.Sprintf("%d:%s|%s|%s|%s", r.Line, r.Phone, r.Email, idText(r.CustomerID), idText(r.ContactID)))
			}
			for _, iv := range l.Invalid {
				invalid = append(invalid, fmt.Sprintf("%d:%s", iv.Line, iv.Why))
			}
			if tt.rows != nil && strings.Join(rows, " ") != strings.Join(tt.rows, " ") {
				t.Errorf("rows = %q, want %q", rows, tt.rows)
			}
			if len(invalid) != len(tt.invalid) {
				t.Errorf("invalid = %q, want %q", invalid, tt.invalid)
			}
			for i := range min(len(invalid), len(tt.invalid)) {
				line, why, _ := strings.Cut(tt.invalid[i], ":")
				if !strings.HasPrefix(invalid[i], line+":") || !strings.Contains(invalid[i], why) {
					t.Errorf("invalid[%d] = %q, want line %s saying %q", i, invalid[i], line, why)
				}
			}
			if strings.Join(l.Columns, ",") != tt.columns {
				t.Errorf("columns = %q, want %q", l.Columns, tt.columns)
			}
		})
	}
}

func idText(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("phone\n")
	for i := range MaxRows {
		fmt.Fprintf(&b, "217555%04d\n", i%10000)
	}
	l, err := Parse(strings.NewReader(b.String()), "US")
	if err != nil || len(l.Rows) != MaxRows {
		t.Fatalf("%d rows, %v; want %d", len(l.Rows), err, MaxRows)
	}
	b.WriteString("2175550000\n")
	if _, err := Parse(strings.NewReader(b.String()), "US"); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("one row too many: %v", err)
	}
	if _, err := Parse(strings.NewReader(strings.Repeat("x", MaxBytes+1)), "US"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, err := Parse(strings.NewReader("phone\n\xff\xfe2175550177\n"), "US"); !errors.Is(err, ErrNotText) {
		t.Errorf("not UTF-8: %v", err)
	}
}

// FuzzParse: any input parses without panicking, every line accounted for
// once, and every row names something usable.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"(217) 555-0177\nada@example.com\n",
		"\xef\xbb\xbfEmail;Customer ID\n\"a@b.co\";1\n",
		"contact id,value\n1,\n,2175550177\n",
		"\"unterminated\n",
		"phone\n\x00\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		l, err := Parse(strings.NewReader(in), "US")
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, r := range l.Rows {
			if r.Value() == "" && r.ContactID == 0 {
				t.Fatalf("row %+v names nothing", r)
			}
			if r.Phone != "" && (len(r.Phone) != 10 || strings.Trim(r.Phone, "0123456789") != "") {
				t.Fatalf("phone %q is not 10 digits", r.Phone)
			}
			if seen[r.Line] {
				t.Fatalf("line %d twice", r.Line)
			}
			seen[r.Line] = true
		}
	})
}
