// Package plain is the load test's baseline for the app's edit page and
// save: the same reads, writes, view models and templ views as a plain
// net/http handler would serve them, without the app's machinery. It was
// plain.EditPage; loadtest/plainpage serves it in a process of its
// own, and the handlers' benchmarks beside the app. It is not a product.
package plain

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/contacts"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/static"
	"github.com/contactdesk/contactdesk/views"
)

// EditPage is the edit page and the save (plainSave) as a plain
// net/http handler would serve them. The edit page: the same ServiceTitan reads (the contact; the customer's name,
// cached as the app caches it), the same view model and templ view, and
// nothing else: no Echo, session, CSRF, identity, security headers,
// logging or metrics. The app never serves it: the load test measures the
// app's edit page against it (docs/load-report.md), so the figure is what
// the app's own machinery costs per page.
func EditPage(st web.ServiceTitan, region string) http.Handler {
	// displayValue formats numbers as the app does, with its cache; the
	// record page's times are shown in UTC.
	a := &web.Web{Region: region, TZ: time.UTC}
	var names sync.Map
	mux := http.NewServeMux()
	plainSave(mux, st, a, &names)
	mux.HandleFunc("GET /customers/{id}/contacts/{contactId}/edit", func(w http.ResponseWriter, r *http.Request) {
		customerID, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
		contactID, err2 := strconv.ParseInt(r.PathValue("contactId"), 10, 64)
		if err1 != nil || err2 != nil {
			http.NotFound(w, r)
			return
		}
		ctx := r.Context()
		name, ok := names.Load(customerID)
		if !ok {
			customer, err := st.GetCustomer(ctx, customerID)
			if err != nil {
				http.Error(w, "ServiceTitan", http.StatusBadGateway)
				return
			}
			names.Store(customerID, customer.Name)
			name = customer.Name
		}
		contact, err := st.GetContact(ctx, customerID, contactID)
		if err != nil {
			http.Error(w, "ServiceTitan", http.StatusBadGateway)
			return
		}
		form := contacts.FormFromContact(contact)
		form.Value = a.DisplayValue(contact.Type, contact.Value)
		m := form.View(web.Owner{Owner: client.CustomerOwner(customerID)}, contactID, name.(string))
		m.Layout = plainLayout("Edit contact · " + name.(string))
		var buf bytes.Buffer
		if err := views.EditContact(m).Render(context.WithoutCancel(ctx), &buf); err != nil {
			http.Error(w, "render", http.StatusInternalServerError)
			return
		}
		writePlain(w, http.StatusOK, buf.Bytes())
	})
	return mux
}

// plainSave adds the save to a plain app's mux, with the same contract as
// the app's (the load test's baseline for a save, docs/profile-save.md):
// POST .../contacts/{id} re-reads the contact (one list call), answers 409
// when it changed since the form was opened, checks the input on the
// stored record, PATCHes once and answers 303; the record page it leads
// to shows the contact as the PATCH answered, without reading it again
// (kept in memory until that page is read). It has none of the app's
// guarantees around the write: no session, CSRF, form claim, audit trail,
// search index or history.
func plainSave(mux *http.ServeMux, st web.ServiceTitan, a *web.Web, names *sync.Map) {
	var written sync.Map // contactURL -> client.Contact
	ids := func(r *http.Request) (int64, int64, bool) {
		customerID, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
		contactID, err2 := strconv.ParseInt(r.PathValue("contactId"), 10, 64)
		return customerID, contactID, err1 == nil && err2 == nil
	}
	mux.HandleFunc("POST /customers/{id}/contacts/{contactId}", func(w http.ResponseWriter, r *http.Request) {
		customerID, contactID, ok := ids(r)
		if !ok || r.ParseForm() != nil {
			http.NotFound(w, r)
			return
		}
		form := contacts.ParseForm(r.PostForm)
		ctx := r.Context()
		current, err := st.GetContact(ctx, customerID, contactID)
		if err != nil {
			http.Error(w, "ServiceTitan", http.StatusBadGateway)
			return
		}
		if form.Opened.ChangedIn(current) {
			http.Error(w, "changed since the form was opened", http.StatusConflict)
			return
		}
		base := change.SnapshotOf(current)
		value, errs := change.Check(form.Fields, base, a.Region)
		if !errs.Empty() {
			http.Error(w, "invalid", http.StatusUnprocessableEntity)
			return
		}
		if req := change.Patch(form.Fields, base, value); !req.IsEmpty() {
			updated, err := st.UpdateContactOf(ctx, client.CustomerOwner(customerID), contactID, req)
			if err != nil {
				http.Error(w, "ServiceTitan", http.StatusBadGateway)
				return
			}
			written.Store(web.ContactURL(customerID, contactID), updated)
		}
		http.Redirect(w, r, web.ContactURL(customerID, contactID), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /customers/{id}/contacts/{contactId}", func(w http.ResponseWriter, r *http.Request) {
		customerID, contactID, ok := ids(r)
		if !ok {
			http.NotFound(w, r)
			return
		}
		ctx := r.Context()
		var contact client.Contact
		if kept, ok := written.LoadAndDelete(web.ContactURL(customerID, contactID)); ok {
			contact = kept.(client.Contact)
		} else {
			var err error
			if contact, err = st.GetContact(ctx, customerID, contactID); err != nil {
				http.Error(w, "ServiceTitan", http.StatusBadGateway)
				return
			}
		}
		name, ok := names.Load(customerID)
		if !ok {
			customer, err := st.GetCustomer(ctx, customerID)
			if err != nil {
				http.Error(w, "ServiceTitan", http.StatusBadGateway)
				return
			}
			names.Store(customerID, customer.Name)
			name = customer.Name
		}
		fields, prefs, combined := a.RecordFields(contact)
		m := views.RecordPage{
			Layout:     plainLayout(contacts.ContactTitle(contact) + " · " + name.(string)),
			CustomerID: customerID, CustomerName: name.(string), CustomerURL: web.CustomerURL(customerID), ContactID: contact.ID,
			EditURL: web.ContactURL(customerID, contact.ID) + "/edit", RemoveURL: web.ContactURL(customerID, contact.ID) + "/delete",
			Fields: fields, Preferences: prefs, CombinedFlag: combined,
			HistoryURL: "/audit?customer=" + strconv.FormatInt(customerID, 10),
		}
		var buf bytes.Buffer
		if err := views.Record(m).Render(context.WithoutCancel(ctx), &buf); err != nil {
			http.Error(w, "render", http.StatusInternalServerError)
			return
		}
		writePlain(w, http.StatusOK, buf.Bytes())
	})
}

// plainLayout is the layout the app's pages have in sandbox mode, with a
// signed-in person (the same HTML to write), without its flash messages.
func plainLayout(title string) views.Layout {
	return views.Layout{Title: title, Sandbox: true, CSSURL: static.URL("app.css"), JSURL: static.URL("app.js"),
		FaviconURL: static.URL("favicon.svg"), Version: "plain", User: "Plain Page <plain@example.com>", SignOutURL: "/signout",
		HeaderSearch: true}
}

func writePlain(w http.ResponseWriter, status int, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(page) // the client went away: nothing to tell it
}
