package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A memo that is a formula only after a semicolon, a comma or a line break
// reaches the audit CSV defused: a spreadsheet splitting on any of them
// (many European locales split on ;) finds no formula in any cell.
func TestAuditCSVDefusesFormulasAfterSeparators(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
	memos := []string{`gate code;=HYPERLINK("http://evil.example","open")`, "gate code, +1 217 555 0100", "gate code\n@SUM(1)"}
	for _, memo := range memos {
		form := b.openForm(7)
		form.Set("memo", memo)
		if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
			t.Fatalf("save %q: %d %q", memo, p.status, text(p, "main"))
		}
	}
	resp, err := b.c.Get(b.base + "/audit.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readCSV(t, resp.Body)
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
