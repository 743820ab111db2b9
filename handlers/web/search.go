package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/index"
)

// MaxQuery is the longest search accepted, in characters.
const MaxQuery = 200

// SummaryConcurrency bounds the contact-list reads for one results page;
// ServiceTitan throttles parallel requests.
const SummaryConcurrency = 4

// QueryTooLong says why a search box's text is refused, when it is longer
// than MaxQuery characters: every search box has the limit.
func QueryTooLong(q string) string {
	if n := utf8.RuneCountInString(q); n > MaxQuery || len(q) > 4*MaxQuery {
		return fmt.Sprintf("That search is %d characters long; search with at most %d (a name, a phone number or an ID).", n, MaxQuery)
	}
	return ""
}

// ErrSearchTooLong: a search of the index ran out of its time.
var ErrSearchTooLong = errors.New("the search took too long")

// SearchTooLongText says so to people.
const SearchTooLongText = "That search took too long and was stopped. Search with more of a name, a whole phone number or email, or an ID."

// FindInIndex searches the index within the app's search time, so no
// query holds the database (on SQLite, its one connection) for long.
func FindInIndex(ctx context.Context, idx Searcher, timeout time.Duration, q index.Query, page, size int) (index.Results, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := idx.Search(ctx, q, page, size)
	if err != nil && ctx.Err() != nil {
		return res, fmt.Errorf("%w: %w", ErrSearchTooLong, err)
	}
	return res, err
}

// Note says behind when the index has fallen behind ServiceTitan,
// loading (with the percentage loaded) while it is still loading, and
// nothing when it is ready or cannot say.
func (n IndexNotes) Note(c echo.Context, behind, loading string) string {
	if n.Index == nil {
		return ""
	}
	ctx := c.Request().Context()
	// Ready is quick; Status counts rows (a fifth of a second at a
	// million contacts), needed only for the percentage.
	if ready, err := n.Index.Ready(ctx, 3*n.Interval); err == nil && ready {
		return ""
	}
	st, err := n.Index.Status(ctx, 3*n.Interval)
	switch {
	case err != nil:
		n.Log.WarnContext(ctx, "index status unavailable", "error", err)
		return ""
	case st.Ready:
		return ""
	case st.Complete():
		return behind
	}
	return fmt.Sprintf(loading, LoadingWhat(st))
}

// LoadingWhat says how far a loading index is: "41% of customers read;
// their contacts next", "every customer read; contacts being read, 512340
// so far".
func LoadingWhat(st index.Status) string {
	if st.ContactFeed.Backfilled {
		return fmt.Sprintf("every customer and contact read; service locations being read, %d so far", st.Counts.Locations)
	}
	if st.CustomerFeed.Backfilled {
		return fmt.Sprintf("every customer read; contacts being read, %d so far", st.Counts.Contacts)
	}
	return fmt.Sprintf("%d%% of customers read; their contacts next", int(st.Progress()*100))
}

// Searcher searches the index; *index.Store has it.
type Searcher interface {
	Search(ctx context.Context, q index.Query, page, size int) (index.Results, error)
}

// IndexState is what pages read of the index's state; *index.Store has it.
type IndexState interface {
	// Ready is Status.Ready, quickly.
	Ready(ctx context.Context, staleAfter time.Duration) (bool, error)
	Status(ctx context.Context, staleAfter time.Duration) (index.Status, error)
}

// IndexNotes words the index's state for the pages that read it (bulk
// previews, the hygiene report): nothing while it is ready.
type IndexNotes struct {
	// Index is nil when the app has none.
	Index IndexState
	// Interval is how often the index syncs: three intervals without a
	// complete read and it is behind.
	Interval time.Duration
	Log      *slog.Logger
}
