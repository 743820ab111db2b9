package change

import (
	"fmt"
	"net/http"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Explanation is what people are told about a problem: the HTTP status
// of the page that says it, a heading and a plain sentence. It never
// carries an error's text.
type Explanation struct {
	Status  int
	Title   string
	Body    string
	TraceID string
}

// Explain words a problem with ServiceTitan for people. what names the
// thing that was asked for, e.g. "contact with ID 7". Pages and the audit
// trail both use it, so a failure reads the same in both.
func Explain(p client.Problem, what string) Explanation {
	e := Explanation{TraceID: p.TraceID}
	switch p.Kind {
	case client.ProblemCredentials:
		e.Status, e.Title = http.StatusServiceUnavailable, "The app cannot sign in to ServiceTitan"
		e.Body = "ServiceTitan refused the app's credentials. Tell your administrator; nothing you did caused this."
	case client.ProblemNotFound:
		e.Status, e.Title = http.StatusNotFound, "Not found"
		e.Body = fmt.Sprintf("ServiceTitan has no %s. It may have been deleted or merged into another record.", what)
	case client.ProblemRateLimited:
		e.Status, e.Title = http.StatusServiceUnavailable, "ServiceTitan is busy"
		e.Body = "ServiceTitan asked us to slow down. Wait a moment and try again."
		if p.RetryAfter > 0 {
			e.Status = http.StatusTooManyRequests
			e.Body = fmt.Sprintf("ServiceTitan asked us to slow down. Try again in %s.", WaitText(p.RetryAfter))
		}
	case client.ProblemConflict:
		e.Status, e.Title = http.StatusConflict, "ServiceTitan refused the change"
		e.Body = "The change conflicts with another record."
		if p.Title != "" {
			e.Body = p.Title
		}
	case client.ProblemTimeout:
		e.Status, e.Title = http.StatusGatewayTimeout, "ServiceTitan did not answer in time"
		e.Body = "ServiceTitan is slow or unreachable right now. Try again in a minute."
	case client.ProblemRefused:
		e.Status, e.Title = http.StatusBadGateway, "ServiceTitan refused the app's access"
		e.Body = "The app is not allowed to do this in ServiceTitan. Tell your administrator."
	case client.ProblemUnavailable, client.ProblemUnreachable:
		e.Status, e.Title = http.StatusBadGateway, "ServiceTitan is unavailable"
		e.Body = "ServiceTitan did not answer properly. Try again in a minute."
		if p.Kind == client.ProblemUnreachable {
			e.Status = http.StatusServiceUnavailable // could not connect at all
		}
	case client.ProblemCancelled:
		e.Status, e.Title = 499, "Request cancelled"
		e.Body = "The request was cancelled."
	case client.ProblemUnexpected, client.ProblemInvalid:
		// Any other answer from ServiceTitan (a 414, a 405 from a gateway)
		// is its failure to answer, not this app's.
		e.Status, e.Title = http.StatusBadGateway, "ServiceTitan could not answer"
		e.Body = fmt.Sprintf("ServiceTitan answered %d %s. Try again; if it keeps happening, tell your administrator.", p.Status, http.StatusText(p.Status))
	default:
		e.Status, e.Title = http.StatusInternalServerError, "Something went wrong"
		e.Body = "The app hit an unexpected problem. Try again; if it keeps happening, tell your administrator."
	}
	return e
}

// WaitText says a Retry-After in words people read quickly.
func WaitText(d time.Duration) string {
	secs := int(d.Round(time.Second) / time.Second)
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 90:
		return fmt.Sprintf("%d seconds", secs)
	default:
		return fmt.Sprintf("%d minutes", (secs+59)/60)
	}
}
