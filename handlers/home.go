package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/views"
)

// home is the search box and the customers this person opened recently.
func (a *App) home(c echo.Context) error {
	m := views.SearchPage{Layout: a.layout(c, "Find a customer"), Recent: a.recentLinks(c)}
	return a.render(c, http.StatusOK, views.Search(m))
}

func (a *App) recentLinks(c echo.Context) []views.CustomerLink {
	var out []views.CustomerLink
	for _, r := range a.recentCustomers(c) {
		out = append(out, views.CustomerLink{ID: r.ID, URL: customerURL(r.ID), Name: r.Name})
	}
	return out
}
