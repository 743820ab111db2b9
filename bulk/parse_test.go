package bulk

import (
	"encoding/csv"
	"errors"
	"fmt"
	"runtime"
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

// A header naming no column the app knows (an SMS export) is asked
// about, not read as lines that are all invalid; told the column, the
// list reads (#29, item 3).
func TestParseAsksWhichColumnOfAnUnknownHeader(t *testing.T) {
	const sms = "From,Body,Date\n+1 217 555 0123,STOP,2026-11-02\n(512) 555-0142,stop please,2026-11-03\n"
	_, err := Parse(strings.NewReader(sms), "US")
	var unknown *UnknownColumnsError
	if !errors.As(err, &unknown) || strings.Join(unknown.Columns, ",") != "From,Body,Date" {
		t.Fatalf("err = %v, want the columns asked about", err)
	}
	l, err := ParseColumn(strings.NewReader(sms), "US", "from")
	if err != nil || len(l.Rows) != 2 || l.Rows[0].Phone != "2175550123" || l.Rows[1].Phone != "5125550142" || len(l.Invalid) != 0 {
		t.Fatalf("rows %+v, invalid %+v, err %v", l.Rows, l.Invalid, err)
	}
	if _, err := ParseColumn(strings.NewReader(sms), "US", "Sender"); !errors.As(err, &unknown) {
		t.Errorf("a column the header lacks: %v", err)
	}
	// A single word is a line of the list, as before.
	if l, err := Parse(strings.NewReader("hello\n2175550177\n"), "US"); err != nil || len(l.Rows) != 1 || len(l.Invalid) != 1 {
		t.Errorf("a word and a number: %+v %v", l, err)
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
		"email,memo\na@b.co,\"x\ny\"\"z\",\n\r\n\"q\"r,\"\r\n",
		"a\"b,c\n\"\",\"\n,\"x\"\r",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// The records screen measures are the ones encoding/csv reads.
		var want, got []string
		cr := csv.NewReader(strings.NewReader(in))
		cr.LazyQuotes, cr.FieldsPerRecord = true, -1
		for {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			line, _ := cr.FieldPos(0)
			want = append(want, fmt.Sprintf("%d:%d", line, len(rec)))
		}
		eachRecord([]byte(in), ',', func(_, _, line, cells int) { got = append(got, fmt.Sprintf("%d:%d", line, cells)) })
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("records (line:cells) %v, encoding/csv reads %v", got, want)
		}

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

// A line of a few million commas is refused before it is split into cells:
// one request made the process grow by 230 MB. Parse allocates about what
// it reads, not a string per cell.
func TestParseRefusesAWideLineBeforeSplittingIt(t *testing.T) {
	commas := strings.Repeat(",", MaxBytes-100)
	in := "email\n" + commas + "\nada@example.com\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := Parse(strings.NewReader(in), "US")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// Reading the list costs a copy or two of it (ReadAll grows its
	// buffer); 5 million cells cost some 200 MB.
	grew := after.TotalAlloc - before.TotalAlloc
	if grew > 8*uint64(len(in)) {
		t.Errorf("parsing %d bytes allocated %d MB", len(in), grew>>20)
	}
	t.Logf("parsing %d bytes allocated %.1f MB", len(in), float64(grew)/(1<<20))
	if len(l.Invalid) != 1 || l.Invalid[0].Line != 2 || !strings.Contains(l.Invalid[0].Why, fmt.Sprintf("more than %d cells", MaxCells)) ||
		len(l.Invalid[0].Text) > 200 {
		t.Errorf("invalid = %.300v", l.Invalid)
	}
	if len(l.Rows) != 1 || l.Rows[0].Line != 3 || l.Rows[0].Email != "ada@example.com" {
		t.Errorf("rows = %+v", l.Rows)
	}
}

// Lines up to MaxCells cells and MaxLineBytes bytes are read; longer ones
// are refused with their line number, and the lines after them keep
// theirs, even when a quoted cell spans lines.
func TestParseLineLimits(t *testing.T) {
	wide := func(cells int) string { return "ada@example.com" + strings.Repeat(",", cells-1) }
	tests := []struct {
		name    string
		in      string
		rows    []string // "line:email"
		invalid []string // "line:why"
	}{
		{name: "ok, MaxCells cells", in: "email" + strings.Repeat(",", MaxCells-1) + "\n" + wide(MaxCells) + "\n",
			rows: []string{"2:ada@example.com"}},
		{name: "nok, one cell more", in: "email\n" + wide(MaxCells+1) + "\nbob@example.com\n",
			rows: []string{"3:bob@example.com"}, invalid: []string{fmt.Sprintf("2:more than %d cells", MaxCells)}},
		{name: "ok, commas inside quotes are not cells", in: "email,memo\nada@example.com,\"" + strings.Repeat(",", 2*MaxCells) + "\"\n",
			rows: []string{"2:ada@example.com"}},
		{name: "nok, a line longer than MaxLineBytes", in: "email\n" + strings.Repeat("a", MaxLineBytes) + "@example.com\nbob@example.com\n",
			rows: []string{"3:bob@example.com"}, invalid: []string{"2:longer than"}},
		{name: "nok, a quoted cell over several lines, then many cells", in: "email,memo\nada@example.com,\"gate\ncode\"" +
			strings.Repeat(",", MaxCells) + "\nbob@example.com,\n",
			rows: []string{"4:bob@example.com"}, invalid: []string{fmt.Sprintf("2:more than %d cells", MaxCells)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(tt.in), "US")
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, r := range l.Rows {
				rows = append(rows, fmt.Sprintf("%d:%s", r.Line, r.Email))
			}
			if strings.Join(rows, " ") != strings.Join(tt.rows, " ") {
				t.Errorf("rows = %q, want %q", rows, tt.rows)
			}
			if len(l.Invalid) != len(tt.invalid) {
				t.Fatalf("invalid = %.500v, want %q", l.Invalid, tt.invalid)
			}
			for i, want := range tt.invalid {
				line, why, _ := strings.Cut(want, ":")
				if got := l.Invalid[i]; fmt.Sprint(got.Line) != line || !strings.Contains(got.Why, why) {
					t.Errorf("invalid[%d] = %d %q, want %s %q", i, got.Line, got.Why, line, why)
				}
			}
		})
	}
}
