package contacts

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactDeleteConfirm asks to confirm a removal: the contact as it is (type,
// value, memo, flags, texting status), with a warning when it is the
// customer's last phone number or last email.
func (a *Handlers) contactDeleteConfirm(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	name, contact, err := a.LoadContact(c, ow, contactID)
	if err != nil {
		return err
	}
	contacts, err := a.st.ListContactsOf(c.Request().Context(), ow.Owner)
	if err != nil {
		return web.UpstreamError(err, "contact list of "+name)
	}
	return a.renderDeleteConfirm(c, http.StatusOK, ow, name, contact, lastOfItsKind(contacts, contact), web.NewNonce(), nil)
}

// renderDeleteConfirm is the one render path of the confirmation page.
func (a *Handlers) renderDeleteConfirm(c echo.Context, status int, ow web.Owner, name string, ct client.Contact, last, nonce string, alert *views.Alert) error {
	fields, prefs, combined := a.RecordFields(ct)
	m := views.RemovePage{
		Layout:        a.Layout(c, "Remove contact · "+name),
		CustomerName:  name,
		Action:        ow.ContactURL(ct.ID) + "/delete",
		CancelURL:     ow.ContactURL(ct.ID),
		CSRFField:     web.CSRFField,
		ModifiedOn:    ct.ModifiedOn.UTC().Format(time.RFC3339Nano),
		Nonce:         nonce,
		Fields:        fields,
		Preferences:   prefs,
		CombinedFlag:  combined,
		LastOfItsKind: last,
		TextedStop:    ct.TextedStop(),
		Alert:         alert,
	}
	m.CSRFToken, _ = c.Get(web.CSRFContextKey).(string)
	return a.Render(c, status, views.RemoveContact(m))
}

// lastOfItsKind is "phone number" or "email address" when ct is the only
// one of its kind among the customer's contacts, else "".
func lastOfItsKind(contacts []client.Contact, ct client.Contact) string {
	for _, other := range contacts {
		if other.ID != ct.ID && (other.Type.IsPhoneNumber() && ct.Type.IsPhoneNumber() && other.Type != client.ContactFax && ct.Type != client.ContactFax ||
			other.Type == client.ContactEmail && ct.Type == client.ContactEmail) {
			return ""
		}
	}
	switch {
	case ct.Type == client.ContactEmail:
		return "email address"
	case ct.Type == client.ContactPhone || ct.Type == client.ContactMobilePhone:
		return "phone number"
	}
	return ""
}
