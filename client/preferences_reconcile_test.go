package client

import "testing"

// The combined "Invoices and statements" flag follows the separate ones
// only when both say the same (it is their AND and their OR alike then);
// while they differ it goes back as read, whichever way it was.
func TestReconcileCombinedFlag(t *testing.T) {
	split := func(invoice, statement, combined bool) Preferences {
		return Preferences{InvoiceNotification: new(invoice), StatementNotification: new(statement), InvoiceStatementNotification: combined}
	}
	for _, tt := range []struct {
		name       string
		read, asks Preferences
		want       bool
	}{
		{"ok, both turned off: off", split(true, true, true), split(false, false, true), false},
		{"ok, both turned on: on", split(false, false, false), split(true, true, false), true},
		{"ok, one turned on, the other off: as read (off)", split(false, true, false), split(true, false, false), false},
		{"ok, only invoices on: as read (off)", split(false, false, false), split(true, false, false), false},
		{"ok, only statements on: as read (off)", split(false, false, false), split(false, true, false), false},
		{"ok, only invoices off: as read (on)", split(true, true, true), split(false, true, true), true},
		{"ok, nothing changed: as read, even when it disagrees", split(true, true, false), split(true, true, false), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.asks.Clone()
			p.Reconcile(tt.read)
			if p.InvoiceStatementNotification != tt.want {
				t.Errorf("combined flag = %v, want %v", p.InvoiceStatementNotification, tt.want)
			}
		})
	}
}
