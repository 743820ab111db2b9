package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// againstSandbox is a client talking to a fresh sandbox made with opts.
func againstSandbox(t testing.TB, opts ...sandbox.Option) (*client.Client, *sandbox.Server) {
	t.Helper()
	sb := sandboxtest.Start(t, opts...)
	cfg := sb.ClientConfig()
	// Short enough that a hanging call's test ends soon, long enough
	// that a token fetch on a machine busy with other tests ends in time
	// (300 ms did not at a load average of 10 on 2 cores).
	cfg.Timeout = 2 * time.Second
	st, err := client.New(cfg, clienttest.WithBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return st, sb
}

func TestCreateAndDeleteContact(t *testing.T) {
	st, sb := againstSandbox(t)
	ctx := context.Background()
	prefs := &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}
	ct, err := st.CreateContact(ctx, sandbox.SeedCustomerID, client.CreateContactRequest{Type: client.ContactMobilePhone, Value: "2175550199", Memo: "Work", Preferences: prefs})
	if err != nil || ct.ID == 0 || ct.Value != "2175550199" || ct.Memo != "Work" || ct.ModifiedOn.IsZero() {
		t.Fatalf("created %+v, %v", ct, err)
	}
	if body := sb.LastBody(sandbox.OpCreateContact); body != `{"type":"MobilePhone","value":"2175550199","memo":"Work","preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}}` {
		t.Errorf("POST body = %s", body)
	}
	_, err = st.CreateContact(ctx, sandbox.SeedCustomerID, client.CreateContactRequest{Type: client.ContactFax, Value: "2175550199"})
	if !errors.Is(err, client.ErrConflict) {
		t.Errorf("the same number again: %v, want a conflict", err)
	}
	if err := st.DeleteContact(ctx, sandbox.SeedCustomerID, ct.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := st.DeleteContact(ctx, sandbox.SeedCustomerID, ct.ID); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("delete again: %v, want not found", err)
	}
}

// Creates and deletes are writes: a lost answer or a server error is
// reported as an unknown outcome and never sent again.
func TestCreateAndDeleteAreNeverResent(t *testing.T) {
	for _, tt := range []struct {
		name  string
		op    string
		fault sandbox.Fault
	}{
		{"create, connection dropped after applying", sandbox.OpCreateContact, sandbox.Fault{AfterApply: true, DropConnection: true}},
		{"create, a 502", sandbox.OpCreateContact, sandbox.Fault{Status: 502}},
		{"create, no answer in time", sandbox.OpCreateContact, sandbox.Fault{Hang: true}},
		{"delete, connection dropped after applying", sandbox.OpDeleteContact, sandbox.Fault{AfterApply: true, DropConnection: true}},
		{"delete, a 503", sandbox.OpDeleteContact, sandbox.Fault{Status: 503}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, sb := againstSandbox(t)
			tt.fault.Operation, tt.fault.Times = tt.op, 1
			sb.InjectFault(tt.fault)
			var err error
			if tt.op == sandbox.OpCreateContact {
				_, err = st.CreateContact(context.Background(), sandbox.SeedCustomerID, client.CreateContactRequest{Type: client.ContactFax, Value: "2175550100"})
			} else {
				err = st.DeleteContact(context.Background(), sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
			}
			if !errors.Is(err, client.ErrOutcomeUnknown) {
				t.Errorf("err = %v, want an unknown outcome", err)
			}
			if n := sb.Requests(tt.op); n != 1 {
				t.Errorf("%d requests, want 1 (never resent)", n)
			}
		})
	}
}

func TestCountCustomers(t *testing.T) {
	st, sb := againstSandbox(t)
	n, err := st.CountCustomers(context.Background())
	if err != nil || n != sandbox.SeedCustomerCount {
		t.Errorf("CountCustomers = %d, %v; want %d (inactive ones too)", n, err, sandbox.SeedCustomerCount)
	}
	if sb.Requests(sandbox.OpListCustomers) != 1 {
		t.Errorf("%d calls, want 1", sb.Requests(sandbox.OpListCustomers))
	}
}
