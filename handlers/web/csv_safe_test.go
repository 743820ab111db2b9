package web

import (
	"strings"
	"testing"
)

// formulaCells are the pieces of a cell a spreadsheet could read as cells
// of their own (split at a comma, a semicolon, a tab or a line break, as
// locales and import settings differ) that it would run as formulas.
func formulaCells(cell string) []string {
	var out []string
	for _, piece := range strings.FieldsFunc(cell, func(r rune) bool { return strings.ContainsRune(",;\t\r\n", r) }) {
		if p := strings.TrimLeft(piece, " "); p != "" && strings.ContainsRune("=+-@", rune(p[0])) {
			out = append(out, piece)
		}
	}
	return out
}

// Every CSV's cells are safe however a spreadsheet splits them: a memo
// `gate code;=HYPERLINK(...)` became a formula where spreadsheets split on
// `;` (many European locales), as its first character was checked only.
func TestCSVSafeNeutralisesFormulasAfterEverySeparator(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"Gate code 4411", "Gate code 4411"},
		{"(217) 555-0177", "(217) 555-0177"},
		{"ada@example.com", "ada@example.com"},
		{"2026-12-01 19:40:00.000", "2026-12-01 19:40:00.000"},
		{"=1+1", "'=1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t'=1"},
		{`gate code;=HYPERLINK("http://evil.example","open")`, `gate code;'=HYPERLINK("http://evil.example","open")`},
		{"gate code, =1+1", "gate code, '=1+1"},
		{"a\t+1;-2,@3\n=4\r=5", "a\t'+1;'-2,'@3\n'=4\r'=5"},
		{"ok; fine, really", "ok; fine, really"},
	} {
		got := CSVSafe(tt.in)
		if got != tt.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if f := formulaCells(got); len(f) > 0 {
			t.Errorf("csvSafe(%q) leaves formulas %q", tt.in, f)
		}
	}
}
