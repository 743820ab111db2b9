package bulk

import (
	"context"
	"fmt"
	"testing"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// A long list is matched a chunk at a time; a contact named again in a
// later chunk is still the same contact, and the rows keep their order.
func TestMatchAcrossChunks(t *testing.T) {
	idx := fakeIndex{byValue: map[string][]index.Contact{}}
	lines := []string{"ada@example.com"}
	for i := range 2*matchChunk + 10 {
		v := fmt.Sprintf("person%d@example.com", i)
		lines = append(lines, v)
		if i%3 == 0 {
			idx.byValue[v] = []index.Contact{{ID: int64(1000 + i), CustomerID: int64(5000 + i), Type: client.ContactEmail, Value: v,
				Preferences: &client.Preferences{MarketingUpdatesEnabled: true}}}
		}
	}
	idx.byValue["ada@example.com"] = []index.Contact{{ID: 7, CustomerID: 5, Type: client.ContactEmail, Value: "ada@example.com",
		Preferences: &client.Preferences{MarketingUpdatesEnabled: true}}}
	lines = append(lines, "Ada@Example.com")
	p, err := Match(context.Background(), idx, listOf(t, lines...), optOut, "")
	if err != nil {
		t.Fatal(err)
	}
	last := p.Lines[len(p.Lines)-1]
	if len(p.Lines) != len(lines) || last.Status != LineDuplicate || last.Why != "the same contact as line 1" {
		t.Errorf("%d lines, the last %+v", len(p.Lines), last)
	}
	if want := 1 + (2*matchChunk+10+2)/3; len(p.Rows) != want {
		t.Errorf("%d rows, want %d", len(p.Rows), want)
	}
	for i, r := range p.Rows {
		if r.Seq != i+1 || (i > 0 && r.Line <= p.Rows[i-1].Line) {
			t.Fatalf("row %d: seq %d, line %d after line %d", i, r.Seq, r.Line, p.Rows[max(i-1, 0)].Line)
		}
	}
	if p.Totals().Unmatched != 2*matchChunk+10-(len(p.Rows)-1) {
		t.Errorf("totals %+v", p.Totals())
	}
}
