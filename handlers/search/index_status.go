package search

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/views"
)

// indexStatus shows how complete and fresh the tenant index is.
func (a *Handlers) indexStatus(c echo.Context) error {
	m := views.IndexPage{Layout: a.Layout(c, "Search index"), Lag: "Unknown", Serving: "ServiceTitan (there is no index)"}
	if a.index == nil {
		return a.Render(c, http.StatusOK, views.IndexStatus(m))
	}
	st, err := a.index.Status(c.Request().Context(), 3*a.indexInterval)
	if err != nil {
		return web.Unreadable("The search index", err)
	}
	m.Backfilled = st.Complete()
	m.Customers, m.Contacts, m.Total = st.Counts.Customers, st.Counts.Contacts, st.Total
	m.Value, m.Max, m.Loading = loadProgress(st)
	m.Percent = int(float64(m.Value) / float64(m.Max) * 100)
	feeds := []index.Feed{st.CustomerFeed, st.ContactFeed, st.LocationFeed, st.LocationContactFeed}
	last := st.CustomerFeed.LastSuccess
	for _, f := range feeds[1:] {
		if f.LastSuccess.Before(last) {
			last = f.LastSuccess
		}
	}
	m.LastSync = a.TimeView(last)
	if !last.IsZero() {
		m.Lag = st.Lag.Round(time.Second).String()
	}
	m.Serving = "ServiceTitan, until the index is complete"
	if st.Ready {
		m.Serving = "The index (no calls to ServiceTitan)"
	} else if m.Backfilled {
		m.Serving = "ServiceTitan, until the index catches up"
	}
	var errorAt time.Time
	for _, f := range feeds {
		if f.LastError != "" && f.LastErrorAt.After(errorAt) {
			m.LastError, errorAt = f.LastError, f.LastErrorAt
		}
	}
	m.LastErrorAt = a.TimeView(errorAt)
	for _, r := range st.Refused {
		m.Refused = append(m.Refused, views.IndexRefused{Key: r.Feed + "/" + r.Reason, What: refusedWhat(r.Feed, r.Reason),
			Rows: r.Rows, LastID: r.LastID, Last: a.TimeView(r.Last)})
	}
	m.Waiting = st.Waiting
	return a.Render(c, http.StatusOK, views.IndexStatus(m))
}

// refusedWhat words why rows of a feed were refused.
func refusedWhat(feed, reason string) string {
	what := map[string]string{index.FeedCustomers: "Customers", index.FeedContacts: "Contacts",
		index.FeedLocations: "Service locations", index.FeedLocationContacts: "Location contacts"}[feed]
	switch reason {
	case index.RefusedFuture:
		return what + " dated more than a minute ahead of this server's clock"
	case index.RefusedTooLarge:
		return what + " with a value, memo or name longer than ServiceTitan's forms allow"
	case index.RefusedIncomplete:
		return what + " without a type or a value"
	}
	return what + ": " + reason
}

// loadProgress is the load over both feeds, read one after the other: the
// customers' (its share of the tenant's customers), then the contacts'
// (whose number ServiceTitan does not say: its half counts when it has
// been read to its end). It reaches max only when both have: until then
// search is not served from the index, and an email finds nothing in it.
func loadProgress(st index.Status) (value, maxValue int64, loading string) {
	whole := max(st.Total, st.Counts.Customers, 1)
	customers := min(st.Counts.Customers, whole)
	if st.CustomerFeed.Backfilled {
		customers = whole
	} else if customers == whole {
		customers = whole - 1 // the count says all, the feed is not at its end
	}
	value = customers
	if st.Complete() {
		value = 2 * whole
	}
	return value, 2 * whole, web.LoadingWhat(st)
}
