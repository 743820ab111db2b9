package search

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// home is the search box and the customers this person opened recently.
func (a *Handlers) home(c echo.Context) error {
	m := views.SearchPage{Layout: a.Layout(c, "Find a customer"), Recent: a.recentLinks(c)}
	return a.Render(c, http.StatusOK, views.Search(m))
}

// recentLinks names the customers this person opened recently: from the
// cache of names, and the rest in one read of ServiceTitan. A name that
// cannot be read leaves the customer's id.
func (a *Handlers) recentLinks(c echo.Context) []views.CustomerLink {
	ids := a.RecentCustomers(c)
	var missing []int64
	for _, id := range ids {
		if _, ok := a.Names.Get(id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		page, err := a.st.SearchCustomers(c.Request().Context(), client.CustomerQuery{IDs: missing, PageSize: len(missing)})
		if err != nil {
			a.Log.WarnContext(c.Request().Context(), "recent customers' names not read", "error", err)
		}
		for _, cu := range page.Data {
			a.Names.Put(cu.ID, cu.Name)
		}
	}
	out := make([]views.CustomerLink, 0, len(ids))
	for _, id := range ids {
		name, ok := a.Names.Get(id)
		if !ok {
			name = fmt.Sprintf("Customer %d", id)
		}
		out = append(out, views.CustomerLink{ID: id, URL: web.CustomerURL(id), Name: name})
	}
	return out
}
