package bulk_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
)

// A list posted with a form token from a session that no longer exists is
// not read: someone without bulk rights gets the refusal (a 5 MB file of
// commas posted that way grew the process by 230 MB), someone with them
// the form again with what they typed.
func TestBulkPreviewFromAnExpiredSession(t *testing.T) {
	commas := strings.Repeat(",", 1<<20)
	t.Run("nok, no bulk rights", func(t *testing.T) {
		_, b := BulkApp(t, func(c *handlers.Config) {
			c.BulkOpen, c.BulkPolicy = false, identity.Policy{Emails: []string{"lead@acme.example"}}
		})
		b.Get("/bulk") // a session
		p := b.Do(ListPost(b.Base, "a-token-of-another-session", map[string]string{"list": "ada@example.com", "action": "remove"}, commas))
		if p.Status != http.StatusForbidden || !strings.Contains(Text(p, "main"), "You cannot change contacts in bulk") ||
			p.Doc.Find("[data-bulk-form]").Length() != 0 {
			t.Errorf("%d %q", p.Status, Text(p, "main"))
		}
	})
	t.Run("ok, the form again", func(t *testing.T) {
		_, b := BulkApp(t, nil)
		b.Get("/bulk")
		p := b.Do(ListPost(b.Base, "a-token-of-another-session", map[string]string{"list": "ada@example.com", "action": "remove"}, commas))
		if p.Status != http.StatusForbidden || !strings.Contains(Text(p, "main"), "Your session expired, so the list was not read") ||
			p.Doc.Find("textarea[name=list]").Text() != "ada@example.com" || !strings.Contains(Text(p, "main"), "You chose optouts.csv") {
			t.Errorf("%d %q", p.Status, Text(p, "main"))
		}
	})
}

// Without bulk rights a list is refused before it is read, with a valid
// form token too.
func TestBulkPreviewRefusedBeforeTheListIsRead(t *testing.T) {
	_, b := BulkApp(t, func(c *handlers.Config) {
		c.BulkOpen, c.BulkPolicy = false, identity.Policy{Emails: []string{"lead@acme.example"}}
	})
	token := b.OpenForm(7).Get("_csrf") // the session's own
	p := b.Do(ListPost(b.Base, token, map[string]string{"action": "remove"}, strings.Repeat("2175550177\n", 1000)))
	if p.Status != http.StatusForbidden || !strings.Contains(Text(p, "main"), "You cannot change contacts in bulk") {
		t.Errorf("%d %q", p.Status, Text(p, "main"))
	}
}

// blockingIndex holds the first previews in their match until released;
// later ones go through.
type blockingIndex struct {
	bulk.Index
	held    atomic.Int32
	hold    int32
	entered chan struct{}
	release chan struct{}
}

func (b *blockingIndex) ContactsByValue(ctx context.Context, values []string) (map[string][]index.Contact, error) {
	if b.held.Add(1) <= b.hold {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.Index.ContactsByValue(ctx, values)
}

// Lists are previewed a few at a time: beyond that, a busy answer keeps
// the form as typed and says when to try again.
func TestBulkPreviewsAFewAtATime(t *testing.T) {
	const running = 2
	block := &blockingIndex{hold: running, entered: make(chan struct{}), release: make(chan struct{})}
	_, b := BulkApp(t, func(c *handlers.Config) {
		block.Index = c.Bulk.Index
		c.Bulk.Index = block
	})
	token := CSRFOf(b.Get("/bulk"))
	fields := map[string]string{"list": "ada@example.com", "action": "preferences", "marketingUpdatesEnabled": "off"}
	statuses := make(chan int, running)
	for range running {
		go func() {
			resp, err := b.HTTP.Do(ListPost(b.Base, token, fields, ""))
			if err != nil {
				statuses <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	for range running {
		<-block.entered
	}
	busy := b.Do(ListPost(b.Base, token, fields, ""))
	if busy.Status != http.StatusServiceUnavailable || busy.Header.Get("Retry-After") == "" ||
		!strings.Contains(Text(busy, "[role=alert]"), "Other lists are being previewed just now") ||
		busy.Doc.Find("textarea[name=list]").Text() != "ada@example.com" {
		t.Errorf("a third preview at once: %d %q", busy.Status, Text(busy, "main"))
	}
	close(block.release)
	for range running {
		if s := <-statuses; s != http.StatusOK {
			t.Errorf("a preview under the limit: %d", s)
		}
	}
	if p := b.Do(ListPost(b.Base, token, fields, "")); p.Status != http.StatusOK {
		t.Errorf("a preview once the others are done: %d %q", p.Status, Text(p, "main"))
	}
}
