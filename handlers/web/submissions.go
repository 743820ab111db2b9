package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/labstack/echo/v4"
)

// SubmissionKey names one form instance for the change service's form
// registry: its nonce, for the session it was rendered in (the session's
// CSRF token, which a change of person replaces) and what it acts on (the
// path it posts to, which names the customer, the contact and the kind of
// change; plus, for an undo, the removal). The same nonce from another
// session or for another record is another form, never a replay of this
// one's outcome. A form without a nonce (from an older version) is not
// deduplicated: "".
func SubmissionKey(c echo.Context, nonce string, also ...int64) string {
	if nonce == "" {
		return ""
	}
	token, _ := c.Get(CSRFContextKey).(string)
	who, _ := Actor(c)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%v\x00%s", token, who.Email, c.Request().URL.Path, also, nonce)
	return hex.EncodeToString(h.Sum(nil))
}

// NewNonce returns a fresh form instance id.
func NewNonce() string { return rand.Text() }
