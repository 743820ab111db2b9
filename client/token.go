package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// renewBefore is how long before expiry a token is replaced, so a call
// never leaves with a token that expires on the way.
const renewBefore = 60 * time.Second

// tokenCache shares one access token among all callers. Concurrent callers
// from cold wait for a single token request; each waits only as long as its
// own context allows. A failed request is remembered briefly, so a token
// endpoint that is down is not asked again by every waiting page.
type tokenCache struct {
	fetch func(ctx context.Context) (*oauth2.Token, error)
	// timeout bounds one token request, whoever is waiting for it.
	timeout time.Duration
	now     func() time.Time

	mu       sync.Mutex
	current  *oauth2.Token
	inflight *tokenCall
	failed   error
	failedAt time.Time
}

// tokenCall is one request to the token endpoint that callers wait on.
type tokenCall struct {
	done  chan struct{}
	token *oauth2.Token
	err   error
}

// failureMemory is how long a failed token request answers for the next
// callers.
const failureMemory = 2 * time.Second

func newTokenCache(authURL, clientID, clientSecret string, hc *http.Client, timeout time.Duration, userAgent string, observe Observer) *tokenCache {
	conf := &clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		TokenURL:     authURL,
		// ServiceTitan expects the id and secret in the form body.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	client := withUserAgent(hc, userAgent)
	return &tokenCache{
		timeout: timeout,
		now:     time.Now,
		fetch: func(ctx context.Context) (*oauth2.Token, error) {
			t, err := conf.Token(context.WithValue(ctx, oauth2.HTTPClient, client))
			observe.TokenFetch(err == nil)
			return t, err
		},
	}
}

// token returns a valid access token, fetching one if needed.
func (tc *tokenCache) token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("servicetitan: %s: %w", opToken, err)
	}
	tc.mu.Lock()
	now := tc.now()
	if t := tc.current; t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || now.Add(renewBefore).Before(t.Expiry)) {
		tc.mu.Unlock()
		return t.AccessToken, nil
	}
	if tc.failed != nil && now.Sub(tc.failedAt) < failureMemory {
		err := tc.failed
		tc.mu.Unlock()
		return "", err
	}
	call := tc.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		tc.inflight = call
		go tc.run(call)
	}
	tc.mu.Unlock()

	select {
	case <-call.done:
		if call.err != nil {
			return "", call.err
		}
		return call.token.AccessToken, nil
	case <-ctx.Done():
		return "", fmt.Errorf("servicetitan: %s: %w", opToken, ctx.Err())
	}
}

// run makes one token request on its own deadline: a caller that gives up
// does not cancel it for the others.
func (tc *tokenCache) run(call *tokenCall) {
	ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
	defer cancel()
	t, err := tc.fetch(ctx)
	if err == nil && (t == nil || t.AccessToken == "") {
		err = errors.New("no access token in the answer")
	}
	tc.mu.Lock()
	if err != nil {
		call.err = tokenError(err)
		tc.failed, tc.failedAt = call.err, tc.now()
	} else {
		call.token = t
		tc.current, tc.failed = t, nil
	}
	tc.inflight = nil
	tc.mu.Unlock()
	close(call.done)
}

// invalidate drops the cached token after the API refused it. Only the
// first of many concurrent callers that saw the same bad token drops it,
// so a burst of 401s still makes one token request.
func (tc *tokenCache) invalidate(bad string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.current != nil && tc.current.AccessToken == bad {
		tc.current = nil
	}
}

// tokenError maps a token failure to ErrBadCredentials (the endpoint refused
// the id/secret) or ErrUnavailable (it could not be reached or answered
// garbage). The text never includes the response body, which could echo
// what we sent.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		if status == http.StatusBadRequest || status == http.StatusUnauthorized {
			code := re.ErrorCode
			if code == "" {
				code = "refused"
			}
			return fmt.Errorf("servicetitan: %s: %d %s: %w", opToken, status, excerpt(code), ErrBadCredentials)
		}
		return fmt.Errorf("servicetitan: %s: %d %s: %w", opToken, status, http.StatusText(status), ErrUnavailable)
	}
	if re != nil {
		return fmt.Errorf("servicetitan: %s: unreadable answer: %w", opToken, ErrUnavailable)
	}
	return fmt.Errorf("servicetitan: %s: %w: %w", opToken, ErrUnavailable, err)
}

// withUserAgent returns a client that sets User-Agent on token requests,
// which the oauth2 package does not do by itself.
func withUserAgent(hc *http.Client, ua string) *http.Client {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	clone := *hc
	clone.Transport = userAgentTransport{base: base, ua: ua}
	return &clone
}

type userAgentTransport struct {
	base http.RoundTripper
	ua   string
}

func (t userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return t.base.RoundTrip(r)
}
