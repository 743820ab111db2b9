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

// tokenCache shares one access token among all callers. The oauth2 reuse
// source holds a lock while it fetches, so concurrent callers from cold wait
// for a single token request.
type tokenCache struct {
	newSource func() oauth2.TokenSource

	mu   sync.Mutex
	src  oauth2.TokenSource
	last string // the access token most recently handed out
}

func newTokenCache(authURL, clientID, clientSecret string, hc *http.Client, timeout time.Duration, userAgent string, observe Observer) *tokenCache {
	conf := &clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		TokenURL:     authURL,
		// ServiceTitan expects the id and secret in the form body.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	fetcher := credentialsFetcher{conf: conf, http: withUserAgent(hc, userAgent), timeout: timeout, observe: observe}
	tc := &tokenCache{newSource: func() oauth2.TokenSource {
		return oauth2.ReuseTokenSourceWithExpiry(nil, fetcher, renewBefore)
	}}
	tc.src = tc.newSource()
	return tc
}

// token returns a valid access token, fetching one if needed.
func (tc *tokenCache) token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("servicetitan: %s: %w", opToken, err)
	}
	tc.mu.Lock()
	src := tc.src
	tc.mu.Unlock()
	t, err := src.Token()
	if err != nil {
		return "", tokenError(err)
	}
	tc.mu.Lock()
	tc.last = t.AccessToken
	tc.mu.Unlock()
	return t.AccessToken, nil
}

// invalidate drops the cached token after the API refused it. Only the
// first of many concurrent callers that saw the same bad token replaces
// the source, so a burst of 401s still makes one token request.
func (tc *tokenCache) invalidate(bad string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.last == bad {
		tc.src = tc.newSource()
		tc.last = ""
	}
}

// credentialsFetcher asks the token endpoint for a new token on every call;
// the reuse source in front of it does the caching.
type credentialsFetcher struct {
	conf    *clientcredentials.Config
	http    *http.Client
	timeout time.Duration
	observe Observer
}

func (f credentialsFetcher) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	t, err := f.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, f.http))
	f.observe.TokenFetch(err == nil)
	return t, err
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
