package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// PathID reads a positive int64 id from the path. Anything else is a 404
// before any upstream call: no such record can exist.
func PathID(c echo.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, FailPage(http.StatusNotFound, "Not found", fmt.Sprintf("There is no %s with the ID %q.", what, c.Param(name)),
			fmt.Errorf("bad %s id %q", what, c.Param(name)))
	}
	return id, nil
}

// maxPage is the highest page number a list takes: far past the end of any
// list people page through, and small enough that no offset made from it
// overflows.
const maxPage = 100_000

// PageParam reads ?page=. Empty, not a number or below 1 is the first
// page; a number past maxPage is refused with a message (a huge one once
// overflowed an offset into a panic).
func PageParam(c echo.Context) (int, error) {
	raw := strings.TrimSpace(c.QueryParam("page"))
	page, err := strconv.Atoi(raw)
	tooBig := errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(raw, "-") || err == nil && page > maxPage
	switch {
	case tooBig:
		return 0, FailPage(http.StatusBadRequest, "No such page",
			fmt.Sprintf("There is no such page: pages are numbered from 1 to %d. Go back to the first page of the list.", maxPage),
			fmt.Errorf("page %.30q out of range", raw))
	case err != nil:
		return 1, nil // not a page number, or below every one
	}
	return max(page, 1), nil
}
