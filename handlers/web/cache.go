package web

import (
	"fmt"
	"time"
)

// Cache sizes and lifetimes.
const (
	// nameTTL bounds how stale a customer's name on an edit or record page
	// can be; the customer page refreshes it.
	NameTTL  = 5 * time.Minute
	CacheMax = 10000
)

func writtenKey(ow Owner, contactID int64) string {
	return fmt.Sprintf("%d/%d/%d", ow.CustomerID, ow.LocationID, contactID)
}
