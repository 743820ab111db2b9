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

// TestRoundTripAgainstSandbox runs the real client against the embedded
// sandbox, which speaks ServiceTitan's wire format.
func TestRoundTripAgainstSandbox(t *testing.T) {
	sb := sandboxtest.Start(t)
	c, err := client.New(sb.ClientConfig(), clienttest.WithBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("ok, search by name and by phone", func(t *testing.T) {
		byName, err := c.SearchCustomers(ctx, client.CustomerQuery{Name: "lovelace"})
		if err != nil || len(byName.Data) != 1 || byName.Data[0].ID != sandbox.SeedCustomerID {
			t.Fatalf("by name: %+v, %v", byName, err)
		}
		byPhone, err := c.SearchCustomers(ctx, client.CustomerQuery{Phone: "(217) 555-0177"})
		if err != nil || len(byPhone.Data) == 0 || byPhone.Data[0].ID != sandbox.SeedCustomerID {
			t.Fatalf("by phone: %+v, %v", byPhone, err)
		}
	})

	t.Run("ok, all 60 contacts across pages", func(t *testing.T) {
		contacts, err := c.ListContacts(ctx, sandbox.SeedManyContactsCustomerID)
		if err != nil || len(contacts) != sandbox.SeedManyContactsCount {
			t.Fatalf("got %d contacts, %v", len(contacts), err)
		}
	})

	t.Run("ok, memo-only update moves modifiedOn and keeps the rest", func(t *testing.T) {
		before, err := c.GetContact(ctx, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		if err != nil {
			t.Fatal(err)
		}
		after, err := c.UpdateContact(ctx, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, client.UpdateContactRequest{Memo: new("Work cell")})
		if err != nil {
			t.Fatal(err)
		}
		if after.Memo != "Work cell" || after.Value != before.Value || !after.ModifiedOn.After(before.ModifiedOn) {
			t.Errorf("before %+v\nafter  %+v", before, after)
		}
		if *after.Preferences != *before.Preferences {
			t.Errorf("preferences changed: %+v -> %+v", before.Preferences, after.Preferences)
		}
	})

	t.Run("ok, five-flag preferences survive a round trip", func(t *testing.T) {
		ct, err := c.GetContact(ctx, sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID)
		if err != nil || ct.Preferences == nil || !ct.Preferences.HasSplitInvoiceFlags() {
			t.Fatalf("%+v, %v", ct, err)
		}
		p := *ct.Preferences
		p.MarketingUpdatesEnabled = !p.MarketingUpdatesEnabled
		got, err := c.UpdateContact(ctx, sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID, client.UpdateContactRequest{Preferences: &p})
		if err != nil {
			t.Fatal(err)
		}
		if *got.Preferences.InvoiceNotification != *p.InvoiceNotification || *got.Preferences.StatementNotification != *p.StatementNotification ||
			got.Preferences.MarketingUpdatesEnabled != p.MarketingUpdatesEnabled {
			t.Errorf("sent %+v, got %+v", p, got.Preferences)
		}
	})

	t.Run("nok, validation errors map to fields", func(t *testing.T) {
		_, err := c.UpdateContact(ctx, sandbox.SeedCustomerID, sandbox.SeedEmailContactID, client.UpdateContactRequest{Value: new("not an email")})
		var apiErr *client.APIError
		if !errors.Is(err, client.ErrValidation) || !errors.As(err, &apiErr) {
			t.Fatalf("err = %v", err)
		}
		fields, other := apiErr.FieldErrors()
		if len(fields[client.FieldValue]) == 0 || len(other) != 0 || apiErr.TraceID == "" {
			t.Errorf("fields = %v, other = %v, traceId %q", fields, other, apiErr.TraceID)
		}
	})

	t.Run("nok, duplicate value is a conflict", func(t *testing.T) {
		_, err := c.UpdateContact(ctx, sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID, client.UpdateContactRequest{Value: new(sandbox.SeedMobileValue)})
		if !errors.Is(err, client.ErrConflict) {
			t.Errorf("err = %v, want ErrConflict", err)
		}
	})

	t.Run("nok, unknown contact", func(t *testing.T) {
		_, err := c.UpdateContact(ctx, sandbox.SeedCustomerID, 1, client.UpdateContactRequest{Memo: new("x")})
		if !errors.Is(err, client.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("ok, revoked token is replaced transparently", func(t *testing.T) {
		sb.RevokeTokens()
		if _, err := c.GetCustomer(ctx, sandbox.SeedCustomerID); err != nil {
			t.Errorf("err = %v", err)
		}
	})
}
