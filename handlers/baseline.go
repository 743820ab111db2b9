package handlers

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/contactdesk/contactdesk/static"
	"github.com/contactdesk/contactdesk/views"
)

// PlainEditPage is the edit page as a plain net/http handler would serve
// it: the same ServiceTitan reads (the contact; the customer's name,
// cached as the app caches it), the same view model and templ view, and
// nothing else: no Echo, session, CSRF, identity, security headers,
// logging or metrics. The app never serves it: the load test measures the
// app's edit page against it (docs/load-report.md), so the figure is what
// the app's own machinery costs per page.
func PlainEditPage(st ServiceTitan, region string) http.Handler {
	// displayValue formats numbers as the app does, with its cache.
	a := &App{region: region}
	var names sync.Map
	mux := http.NewServeMux()
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
		form := formFromContact(contact)
		form.Value = a.displayValue(contact.Type, contact.Value)
		m := form.view(customerID, contactID, name.(string))
		m.Layout = views.Layout{Title: "Edit contact · " + name.(string), CSSURL: static.URL("app.css"), JSURL: static.URL("app.js"),
			FaviconURL: static.URL("favicon.svg")}
		var buf bytes.Buffer
		if err := views.EditContact(m).Render(context.WithoutCancel(ctx), &buf); err != nil {
			http.Error(w, "render", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	})
	return mux
}
