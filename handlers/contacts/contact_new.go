package contacts

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactNew shows the add form: the edit form's fields and names, with a
// new contact's defaults (job reminders on, marketing off, invoices and
// statements on), as ServiceTitan's own UI has them.
func (a *Handlers) contactNew(c echo.Context) error {
	ow, err := a.PageOwner(c)
	if err != nil {
		return err
	}
	form := addForm{Fields: change.Fields{Type: string(client.ContactMobilePhone), Flags: change.NewContactFlags()}, Nonce: web.NewNonce()}
	return a.renderAddForm(c, http.StatusOK, form, ow, change.FieldErrors{}, nil, "")
}

// addForm is what the add form posts.
type addForm struct {
	change.Fields
	Nonce string
}

// parseAddForm reads a posted add form; every check is the change's.
func parseAddForm(c echo.Context) addForm {
	v := c.Request().PostForm
	f := addForm{Fields: change.Fields{Type: v.Get("type"), Value: v.Get("value"), Memo: v.Get("memo"), Flags: map[string]bool{}}, Nonce: v.Get(fieldNonce)}
	for _, flag := range client.Shown(nil) {
		f.Flags[flag.Name] = isChecked(v.Get(flag.Name))
	}
	return f
}

// renderAddForm is the one render path of the add form. existing links the
// contact that already holds the value (a duplicate).
func (a *Handlers) renderAddForm(c echo.Context, status int, f addForm, ow web.Owner, errs change.FieldErrors, alert *views.Alert, existing string) error {
	name := ow.Name
	form := Form{Fields: f.Fields, Nonce: f.Nonce}
	m := withErrors(form.View(ow, 0, name), errs)
	m.Adding = true
	m.Action = ow.URL() + "/contacts"
	m.CancelURL = ow.URL()
	m.Hidden = []views.Hidden{{Name: fieldNonce, Value: f.Nonce}}
	m.Layout = a.Layout(c, "Add contact · "+name)
	m.CSRFToken, _ = c.Get(web.CSRFContextKey).(string)
	m.Alert = alert
	m.ExistingURL = existing
	return a.Render(c, status, views.EditContact(m))
}
