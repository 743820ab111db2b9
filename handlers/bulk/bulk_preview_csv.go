package bulk

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// bulkPreviewCSVHeader names the preview CSV's columns; new ones go last.
var bulkPreviewCSVHeader = []string{"line", "value", "customer", "contact", "expected", "now", "after", "why", "customer_name", "contact_value",
	"location", "location_name"}

// bulkPreviewCSV is GET /bulk/{job}/preview.csv: every line of the list
// and each contact it matched, with what the preview expects.
func (a *Handlers) bulkPreviewCSV(c echo.Context) error {
	id, _, err := bulkJobParam(c)
	if err != nil {
		return err
	}
	if _, err := a.loadBulkJob(c, id); err != nil {
		return err
	}
	return a.StreamCSV(c, web.CSVDownload{Name: "bulk preview", File: fmt.Sprintf("bulk-%d-preview.csv", id), Header: bulkPreviewCSVHeader,
		Unreadable: "The preview"},
		func(write func(...[]string) error) error {
			return a.bulk.EachResult(c.Request().Context(), id, func(r bulk.Result) error {
				row := []string{strconv.Itoa(r.Line.Line), r.Line.Value, web.IDOrEmpty(r.Line.CustomerID), web.IDOrEmpty(r.Line.ContactID),
					string(r.Line.Status), "", "", r.Line.Why, "", "", "", ""}
				if t := r.Target; t != nil {
					row[2], row[3], row[4], row[5], row[6], row[7] = web.IDOrEmpty(t.CustomerID), web.IDOrEmpty(t.ContactID), string(t.Planned), t.Before, t.After, ""
					row[8], row[9], row[10], row[11] = t.CustomerName, t.Value, web.IDOrEmpty(t.LocationID), t.LocationName
				}
				return write(row)
			})
		})
}
