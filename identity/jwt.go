package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// JWTConfig configures verification of a signed assertion that an
// identity-aware proxy (Cloudflare Access, Google IAP, Pomerium, ...)
// attaches to each request.
type JWTConfig struct {
	Header     string // e.g. Cf-Access-Jwt-Assertion
	JWKSURL    string
	Issuer     string
	Audience   string
	EmailClaim string // default "email"
	// Algorithms allowed; default RS256, ES256, PS256, EdDSA. "none" and
	// HMAC algorithms are never accepted: the keys are public.
	Algorithms []string
	// Skew tolerated on expiry (default 30 s).
	Skew       time.Duration
	HTTPClient *http.Client
	Now        func() time.Time
}

// JWT verifies assertions with github.com/coreos/go-oidc: keys come from
// the JWKS URL, are cached, and are fetched again when a token names an
// unknown key id, at most once per ~5 minutes per key id and one fetch at
// a time (see keySet). Tokens issued or valid only in the future (beyond
// the skew) are refused.
type JWT struct {
	header     string
	emailClaim string
	verifier   *oidc.IDTokenVerifier
	keys       *keySet
	skew       time.Duration
	now        func() time.Time
}

var publicKeyAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// NewJWT checks the configuration; it fetches no keys until the first
// request.
func NewJWT(cfg JWTConfig) (*JWT, error) {
	for name, v := range map[string]string{"header": cfg.Header, "JWKS URL": cfg.JWKSURL, "issuer": cfg.Issuer, "audience": cfg.Audience} {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("jwt: missing %s", name)
		}
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{oidc.RS256, oidc.ES256, oidc.PS256, oidc.EdDSA}
	}
	for _, a := range algs {
		if !slices.Contains(publicKeyAlgs, a) {
			return nil, fmt.Errorf("jwt: algorithm %q is not allowed (want public-key algorithms such as RS256 or ES256)", a)
		}
	}
	skew := cfg.Skew
	if skew == 0 {
		skew = 30 * time.Second
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	keys := newKeySet(cfg.JWKSURL, cfg.HTTPClient, algs, now)
	verifier := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: algs,
		// Judge expiry as of a little earlier, so a clock slightly ahead of
		// the issuer's does not reject fresh tokens.
		Now: func() time.Time { return now().Add(-skew) },
	})
	return &JWT{header: cfg.Header, emailClaim: cmp.Or(cfg.EmailClaim, "email"), verifier: verifier, keys: keys, skew: skew, now: now}, nil
}

// Identify verifies the assertion and reads the person's email (and name
// and groups when present).
func (j *JWT) Identify(ctx context.Context, r *http.Request) (Identity, error) {
	if len(r.Header.Values(j.header)) > 1 {
		return Identity{}, fmt.Errorf("%w: %s", ErrAmbiguous, j.header)
	}
	raw := strings.TrimSpace(r.Header.Get(j.header))
	if raw == "" {
		return Identity{}, ErrNoIdentity
	}
	tok, err := j.verifier.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "fetching keys") {
			return Identity{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
		}
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	// go-oidc checks expiry but not iat, and allows nbf five minutes ahead:
	// a token from the future is a forged or mis-clocked one.
	latest := float64(j.now().Add(j.skew).Unix())
	for _, name := range []string{"iat", "nbf"} {
		v, present := claims[name]
		if !present {
			continue
		}
		if at, ok := v.(float64); !ok || at > latest {
			return Identity{}, fmt.Errorf("%w: %s is not a time in the past", ErrInvalidToken, name)
		}
	}
	email, _ := claims[j.emailClaim].(string)
	if email == "" {
		return Identity{}, fmt.Errorf("%w: no %q claim", ErrInvalidToken, j.emailClaim)
	}
	if !ValidEmail(email) {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, ErrInvalidEmail)
	}
	id := Identity{Email: strings.ToLower(email)}
	// Shown on every page and kept in the audit trail: cleaned and capped
	// as proxy mode's name header is.
	name, _ := claims["name"].(string)
	id.Name = displayName(name, id.Email)
	if groups, ok := claims["groups"].([]any); ok {
		for _, g := range groups {
			if s, ok := g.(string); ok {
				id.Groups = append(id.Groups, s)
			}
		}
	}
	return id, nil
}

// IsUnavailable reports whether err means the keys could not be fetched
// (a 503, not the person's fault) rather than a bad token.
func IsUnavailable(err error) bool { return errors.Is(err, ErrKeysUnavailable) }
