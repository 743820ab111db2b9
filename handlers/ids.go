package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// pathID reads a positive int64 id from the path. Anything else is a 404
// before any upstream call: no such record can exist.
func pathID(c echo.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, failPage(http.StatusNotFound, "Not found", fmt.Sprintf("There is no %s with the ID %q.", what, c.Param(name)),
			fmt.Errorf("bad %s id %q", what, c.Param(name)))
	}
	return id, nil
}

// contactIDs reads the customer and contact ids of a contact URL.
func contactIDs(c echo.Context) (customerID, contactID int64, err error) {
	if customerID, err = pathID(c, "id", "customer"); err != nil {
		return 0, 0, err
	}
	if contactID, err = pathID(c, "contactId", "contact"); err != nil {
		return 0, 0, err
	}
	return customerID, contactID, nil
}
