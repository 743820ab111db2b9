package audit_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// A memo that is a formula only after a semicolon, a comma or a line break
// reaches the audit CSV defused: a spreadsheet splitting on any of them
// (many European locales split on ;) finds no formula in any cell.
func TestAuditCSVDefusesFormulasAfterSeparators(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	memos := []string{`gate code;=HYPERLINK("http://evil.example","open")`, "gate code, +1 217 555 0100", "gate code\n@SUM(1)"}
	for _, memo := range memos {
		form := b.OpenForm(7)
		form.Set("memo", memo)
		if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
			t.Fatalf("save %q: %d %q", memo, p.Status, Text(p, "main"))
		}
	}
	resp, err := b.HTTP.Get(b.Base + "/audit.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ReadCSV(t, resp.Body)
	resp.Body.Close()
	if err != nil || len(rows) != 1+len(memos) {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			for _, piece := range strings.FieldsFunc(cell, func(r rune) bool { return strings.ContainsRune(",;\t\r\n", r) }) {
				if p := strings.TrimLeft(piece, " "); p != "" && strings.ContainsRune("=+-@", rune(p[0])) {
					t.Errorf("cell %q holds a formula once split: %q", cell, piece)
				}
			}
		}
	}
}
