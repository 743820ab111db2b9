package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// CountCustomers asks ServiceTitan how many customers the tenant has,
// active or not: one call (a page of one, with its total).
func (c *Client) CountCustomers(ctx context.Context) (int, error) {
	q := url.Values{"page": {"1"}, "pageSize": {"1"}, "includeTotal": {"true"}, "active": {"Any"}}
	var p Page[customerWire]
	if err := c.do(ctx, OpGetCustomers, http.MethodGet, "/customers", q, nil, &p); err != nil {
		return 0, err
	}
	if p.TotalCount == nil {
		return 0, fmt.Errorf("servicetitan: %s: no totalCount in the answer: %w", OpGetCustomers, ErrMalformedResponse)
	}
	return *p.TotalCount, nil
}
