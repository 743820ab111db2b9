package hygiene

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
)

// hygieneCSVHeader names /hygiene.csv's columns; new ones go last.
var hygieneCSVHeader = []string{"section", "customer_id", "customer_name", "customer_active", "contact_id", "type", "value", "problem",
	"location_id", "location_name"}

// hygieneCSV is GET /hygiene.csv?section=…: every row of one section.
func (a *Handlers) hygieneCSV(c echo.Context) error {
	s, _, err := hygieneSectionParam(c, true)
	if err != nil {
		return err
	}
	return a.StreamCSV(c, web.CSVDownload{Name: "hygiene", File: "hygiene-" + string(s) + ".csv", Header: hygieneCSVHeader,
		Unreadable: "The hygiene report"},
		func(write func(...[]string) error) error {
			return a.report.Each(c.Request().Context(), s, func(r hygiene.Row) error {
				return write([]string{string(r.Section), web.IDOrEmpty(r.CustomerID), r.CustomerName, strconv.FormatBool(r.CustomerActive),
					web.IDOrEmpty(r.ContactID), string(r.Type), r.Value, r.Why, web.IDOrEmpty(r.LocationID), r.LocationName})
			})
		})
}
