package bulk

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// bulkHome is GET /bulk: the list form, or why this person may not use
// it, and the recent jobs. GET /bulk?hygiene={section} fills the list with
// a hygiene report section's contacts ("Fix in bulk").
func (a *Handlers) bulkHome(c echo.Context) error {
	form := views.BulkForm{}
	if section := c.QueryParam("hygiene"); section != "" && a.hygiene != nil {
		var err error
		if form, err = a.hygieneBulkForm(c, section); err != nil {
			return err
		}
	}
	m, err := a.bulkHomePage(c, form)
	if err != nil {
		return err
	}
	return a.Render(c, http.StatusOK, views.BulkHomePage(m))
}

// bulkHomePage fills GET /bulk's page around form.
func (a *Handlers) bulkHomePage(c echo.Context, form views.BulkForm) (views.BulkHome, error) {
	ctx := c.Request().Context()
	jobs, err := a.bulk.Jobs(ctx, bulk.JobFilter{Limit: 20})
	if err != nil {
		return views.BulkHome{}, web.Unreadable("Bulk jobs", err)
	}
	m := views.BulkHome{Layout: a.Layout(c, "Bulk changes"), Allowed: a.rights.May(c), Form: form}
	if !m.Allowed {
		m.NotAllowed = a.rights.NotAllowed()
	}
	m.Form.CSRFField, m.Form.CSRFToken = web.CSRFField, a.CSRFToken(c)
	if m.Form.Flags == nil {
		m.Form.Flags = bulkFlagChoices(nil)
	}
	if m.Form.Presets == nil {
		m.Form.Presets = bulkPresetChoices(m.Form.Action)
	}
	m.Jobs = a.BulkSummaries(jobs)
	return m, nil
}

// bulkFlagChoices are the list form's preference choices, as chosen.
func bulkFlagChoices(chosen map[string]string) []views.BulkFlag {
	out := make([]views.BulkFlag, 0, len(client.Flags))
	for _, f := range client.Flags {
		out = append(out, views.BulkFlag{Name: f.Name, Label: f.Label, Value: chosen[f.Name]})
	}
	return out
}
