// Package bulk applies a list (an opt-out export, numbers that asked not to
// be texted, placeholders found by the hygiene reports) to many contacts:
// it reads the list, matches it against the tenant index for a preview,
// and runs the change as a durable job, one audited attempt per contact
// through the same write path as an edit.
package bulk

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/change"
)

// Limits on a list.
const (
	MaxBytes = 5 << 20
	MaxRows  = 50000
	// MaxCells and MaxLineBytes bound one line (a record: a quoted cell
	// may span lines). A list needs a value and an id or two; exports
	// from email tools have a few dozen columns.
	MaxCells     = 50
	MaxLineBytes = 4 << 10
)

// Row is one line of a list that names contacts: by contact id, or by a
// value (a phone number as its 10 digits, an email in lower case),
// optionally within one customer.
type Row struct {
	Line       int
	Text       string // the line's cells as given, for the preview and the result CSV
	Phone      string // 10 digits
	Email      string // lower case
	CustomerID int64
	ContactID  int64
}

// Value is the row's phone number or email, whichever it has.
func (r Row) Value() string {
	if r.Phone != "" {
		return r.Phone
	}
	return r.Email
}

// Invalid is a line that names nothing usable, and why.
type Invalid struct {
	Line int
	Text string
	Why  string
}

// List is a parsed list.
type List struct {
	Rows    []Row
	Invalid []Invalid
	// Columns names the columns understood, in order ("value" for a list
	// without a header).
	Columns []string
}

// ErrTooLarge and ErrTooManyRows refuse a whole list.
var (
	ErrTooLarge    = fmt.Errorf("the list is larger than %d MB", MaxBytes>>20)
	ErrTooManyRows = fmt.Errorf("the list has more than %d rows", MaxRows)
	ErrNotText     = errors.New("the list is not UTF-8 text (save it as CSV UTF-8)")
)

// headerNames maps the header cells understood (lower case, spaces and
// underscores ignored) to a column.
var headerNames = map[string]string{
	"phone": "phone", "phonenumber": "phone", "mobile": "phone", "number": "phone",
	"email": "email", "emailaddress": "email", "e-mail": "email",
	"value":      "value",
	"customerid": "customer id", "customer": "customer id",
	"contactid": "contact id", "contact": "contact id",
}

func headerKey(cell string) string {
	return strings.NewReplacer(" ", "", "_", "", "\u00a0", "").Replace(strings.ToLower(strings.TrimSpace(cell)))
}

// Parse reads a list: CSV in UTF-8 (with or without a byte-order mark),
// cells separated by commas or semicolons, quoted or not. A first line
// whose cells name columns (phone, email, value, customer id, contact id;
// any case) is a header; without one, the list is a single column of phone
// numbers and emails. Phone numbers may be written as people write them
// (region: PHONE_REGION). Each line that names nothing usable is kept in
// Invalid with its line number and why; the whole list is refused only
// when it is too large, has too many rows, or is not text.
func Parse(r io.Reader, region string) (List, error) {
	return ParseColumn(r, region, "")
}

// UnknownColumnsError: the list's first line is a header (words, no
// number or address in it) naming no column the app reads, as an SMS
// export's "From,Body,Date". Which column holds the numbers is asked, not
// guessed; ParseColumn reads the list once it is told.
type UnknownColumnsError struct {
	// Columns are the header's cells as written.
	Columns []string
}

func (e *UnknownColumnsError) Error() string {
	return "the list's header names no column the app reads (" + strings.Join(e.Columns, ", ") + ")"
}

// ParseColumn reads a list as Parse does; column, when set, is a cell of
// its header (as written, any case) whose column holds the phone numbers
// or email addresses, for a header naming none the app knows. A column
// the header does not have is an UnknownColumnsError again.
func ParseColumn(r io.Reader, region, column string) (List, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return List{}, fmt.Errorf("read the list: %w", err)
	}
	if len(data) > MaxBytes {
		return List{}, ErrTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return List{}, ErrNotText
	}
	comma := delimiter(data)
	// Lines too long or too wide are refused before the CSV reader splits
	// them: a 5 MB line of commas would be 5 million cells.
	data, refused := screen(data, byte(comma))
	if len(refused) > MaxRows {
		return List{}, ErrTooManyRows
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true

	var list List
	var columns []string // per cell position; "" ignores it
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				list.Invalid = append(list.Invalid, Invalid{Line: pe.StartLine, Why: "the line could not be read as CSV: " + pe.Err.Error()})
				continue
			}
			return List{}, fmt.Errorf("read the list: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if first {
			first = false
			if cols, ok := header(rec); ok {
				columns = cols
				for _, c := range cols {
					if c != "" {
						list.Columns = append(list.Columns, c)
					}
				}
				continue
			}
			if unknownHeader(rec) {
				at := slices.IndexFunc(rec, func(cell string) bool { return column != "" && headerKey(cell) == headerKey(column) })
				if at < 0 {
					cells := make([]string, 0, len(rec))
					for _, cell := range rec {
						if cell = strings.TrimSpace(cell); cell != "" {
							cells = append(cells, cell)
						}
					}
					return List{}, &UnknownColumnsError{Columns: cells}
				}
				columns = make([]string, len(rec))
				columns[at] = "value"
				list.Columns = []string{"value"}
				continue
			}
			columns = []string{"value"}
			list.Columns = []string{"value"}
		}
		if len(list.Rows)+len(list.Invalid)+len(refused) >= MaxRows {
			return List{}, ErrTooManyRows
		}
		row, why := readRow(rec, columns, region)
		row.Line, row.Text = line, strings.Join(rec, string(cr.Comma))
		if why != "" {
			list.Invalid = append(list.Invalid, Invalid{Line: line, Text: row.Text, Why: why})
			continue
		}
		list.Rows = append(list.Rows, row)
	}
	if len(refused) > 0 {
		list.Invalid = append(list.Invalid, refused...)
		slices.SortStableFunc(list.Invalid, func(a, b Invalid) int { return cmp.Compare(a.Line, b.Line) })
	}
	return list, nil
}

// screen blanks the records (lines, or several when a quoted cell spans
// them) with more than MaxCells cells or MaxLineBytes bytes, keeping their
// line breaks so every other line keeps its number, and returns them as
// Invalid. It finds records as encoding/csv does with LazyQuotes, counting
// cells without making them, and works in place.
func screen(data []byte, comma byte) ([]byte, []Invalid) {
	var refused []Invalid
	w, from := 0, 0 // data[:w] is kept; data[from:] is still to look at
	eachRecord(data, comma, func(start, end, line, cells int) {
		var why string
		switch {
		case cells > MaxCells:
			why = fmt.Sprintf("the line has more than %d cells: a list needs a phone number or an email on each line, and a customer or contact id at most", MaxCells)
		case end-start > MaxLineBytes:
			why = fmt.Sprintf("the line is longer than %d KB: put one phone number or email on each line", MaxLineBytes>>10)
		default:
			return
		}
		refused = append(refused, Invalid{Line: line, Text: excerpt(data[start:end]), Why: why})
		w += copy(data[w:], data[from:start])
		for _, b := range data[start:end] {
			if b == '\n' {
				data[w] = '\n'
				w++
			}
		}
		from = end
	})
	w += copy(data[w:], data[from:])
	return data[:w], refused
}

// excerpt is the start of a refused line, to show with it.
func excerpt(b []byte) string {
	const shown = 60
	line, _, cut := bytes.Cut(b, []byte("\n"))
	if len(line) > shown {
		line, cut = line[:shown], true
	}
	s := strings.ToValidUTF8(strings.TrimRight(string(line), "\r"), "")
	if cut {
		s += "…"
	}
	return s
}

// eachRecord calls fn with each record of data as encoding/csv's Reader
// (LazyQuotes, this comma) reads it: its bytes [start, end), its first
// line's number and its number of cells. Blank lines between records are
// skipped, as the Reader skips them.
func eachRecord(data []byte, comma byte, fn func(start, end, line, cells int)) {
	// lineEnd is the end of the physical line starting at i, its \n
	// included.
	lineEnd := func(i int) int {
		if n := bytes.IndexByte(data[i:], '\n'); n >= 0 {
			return i + n + 1
		}
		return len(data)
	}
	// atEOL: nothing but the line break is left of the line [i, end):
	// "\n", "\r\n", "" or, at the end of the data, "\r".
	atEOL := func(i, end int) bool {
		rest := data[i:end]
		return len(rest) == 0 || string(rest) == "\n" || string(rest) == "\r\n" || (end == len(data) && string(rest) == "\r")
	}
	line := 0
	for pos := 0; pos < len(data); {
		start, end := pos, lineEnd(pos)
		line++
		first := line
		if atEOL(start, end) {
			pos = end
			continue
		}
		cells := 0
		i := start
	fields:
		for {
			cells++
			if i >= end || data[i] != '"' {
				// An unquoted cell runs to the next comma or the line's end.
				n := bytes.IndexByte(data[i:end], comma)
				if n < 0 {
					break fields
				}
				i += n + 1
				continue fields
			}
			// A quoted cell runs to a quote followed by a comma or the
			// line's end, over as many lines as it takes; any other quote
			// in it is kept as it is (LazyQuotes).
			i++
			for {
				n := bytes.IndexByte(data[i:end], '"')
				if n < 0 {
					if end >= len(data) {
						break fields // the file ends inside the quotes
					}
					i, end = end, lineEnd(end)
					line++
					continue
				}
				i += n + 1
				switch {
				case i < end && data[i] == '"':
					i++
				case i < end && data[i] == comma:
					i++
					continue fields
				case atEOL(i, end):
					break fields
				}
			}
		}
		fn(start, end, first, cells)
		pos = end
	}
}

// delimiter is ';' when the first line has more semicolons than commas
// outside quotes (spreadsheets in many locales write those), else ','.
func delimiter(data []byte) rune {
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	commas, semis, quoted := 0, 0, false
	for _, b := range firstLine {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == ',':
			commas++
		case b == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// header reads a first line as a header when its cells name at least one
// column and nothing that looks like data.
func header(rec []string) ([]string, bool) {
	cols := make([]string, len(rec))
	named := 0
	for i, cell := range rec {
		if col, ok := headerNames[headerKey(cell)]; ok {
			cols[i] = col
			named++
		} else if strings.ContainsAny(cell, "@0123456789") {
			return nil, false
		}
	}
	return cols, named > 0
}

// unknownHeader reports whether a first line is a header of columns the
// app does not know: two cells or more, each a short word or two with no
// digit or @ in it ("From,Body,Date"). A single word is read as a line
// of the list, as before.
func unknownHeader(rec []string) bool {
	named := 0
	for _, cell := range rec {
		cell = strings.TrimSpace(cell)
		switch {
		case cell == "":
		case len(cell) > 40 || strings.ContainsAny(cell, "@0123456789"):
			return false
		default:
			named++
		}
	}
	return named >= 2
}

// readRow reads the cells of a line under columns.
func readRow(rec, columns []string, region string) (Row, string) {
	var row Row
	var values []string
	for i, cell := range rec {
		cell = strings.TrimSpace(cell)
		if i >= len(columns) || columns[i] == "" || cell == "" {
			if i >= len(columns) && cell != "" && len(columns) == 1 {
				return row, "more than one value on the line: add a header row naming the columns (phone, email, customer id, contact id)"
			}
			continue
		}
		switch columns[i] {
		case "customer id", "contact id":
			id, err := strconv.ParseInt(strings.TrimPrefix(cell, "#"), 10, 64)
			if err != nil || id <= 0 {
				return row, fmt.Sprintf("%q is not a %s", cell, columns[i])
			}
			if columns[i] == "customer id" {
				row.CustomerID = id
			} else {
				row.ContactID = id
			}
		default:
			values = append(values, cell)
		}
	}
	for _, v := range values {
		switch {
		case strings.Contains(v, "@"):
			if !change.IsEmailAddress(v) {
				return row, fmt.Sprintf("%q is not an email address", v)
			}
			row.Email = strings.ToLower(v)
		default:
			national, problem := change.NormalisePhone(v, region)
			if problem != "" {
				return row, fmt.Sprintf("%q is not a phone number or an email address", v)
			}
			row.Phone = national
		}
	}
	if row.Phone != "" && row.Email != "" {
		return row, "both a phone number and an email on one line: put them on lines of their own"
	}
	if row.Value() == "" && row.ContactID == 0 {
		return row, "no phone number, email or contact id"
	}
	return row, ""
}
