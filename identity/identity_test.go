package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestProxyHeaders(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	src := ProxyHeaders{Trusted: trusted}
	tests := []struct {
		name    string
		peer    string
		headers map[string]string
		src     ProxyHeaders
		want    Identity
		wantErr error
	}{
		{"ok, trusted peer", "10.1.2.3:5000", map[string]string{"X-Forwarded-Email": "Kelly@Example.com", "X-Forwarded-Preferred-Username": "kelly", "X-Forwarded-Groups": "csr, dispatch"},
			src, Identity{Email: "kelly@example.com", Name: "kelly", Groups: []string{"csr", "dispatch"}}, nil},
		{"ok, oauth2-proxy's opaque subject is never shown", "10.1.2.3:5000", map[string]string{"X-Forwarded-Email": "jane.doe@example.com", "X-Forwarded-User": "1234567890"},
			src, Identity{Email: "jane.doe@example.com"}, nil},
		{"ok, oauth2-proxy's preferred username is shown", "10.1.2.3:5000", map[string]string{"X-Forwarded-Email": "jane.doe@example.com", "X-Forwarded-User": "1234567890",
			"X-Forwarded-Preferred-Username": " Jane Doe\u202e "}, src, Identity{Email: "jane.doe@example.com", Name: "Jane Doe"}, nil},
		{"ok, a name that is the email is not a name", "10.1.2.3:5000", map[string]string{"X-Forwarded-Email": "jane.doe@example.com",
			"X-Forwarded-Preferred-Username": "Jane.Doe@example.com"}, src, Identity{Email: "jane.doe@example.com"}, nil},
		{"nok, user header holding an email is never the email", "127.0.0.1:1", map[string]string{"X-Forwarded-User": "kelly@example.com"}, src,
			Identity{}, ErrNoIdentity},
		{"nok, two addresses in the email header", "10.1.2.3:1", map[string]string{"X-Forwarded-Email": "m@evil.example, x@corp.example"}, src,
			Identity{}, ErrInvalidEmail},
		{"nok, an address with two @", "10.1.2.3:1", map[string]string{"X-Forwarded-Email": "m@evil.example@corp.example"}, src,
			Identity{}, ErrInvalidEmail},
		{"nok, a display name around the address", "10.1.2.3:1", map[string]string{"X-Forwarded-Email": "Boss <boss@corp.example>"}, src,
			Identity{}, ErrInvalidEmail},
		{"ok, Authelia header names", "10.0.0.9:1", map[string]string{"Remote-Email": "a@example.com", "Remote-Name": "A", "Remote-Groups": "admins"},
			ProxyHeaders{EmailHeader: "Remote-Email", NameHeader: "Remote-Name", UserHeader: "Remote-User", GroupsHeader: "Remote-Groups", Trusted: trusted},
			Identity{Email: "a@example.com", Name: "A", Groups: []string{"admins"}}, nil},
		{"nok, spoofed headers from an untrusted peer", "192.0.2.7:443", map[string]string{"X-Forwarded-Email": "boss@example.com", "X-Forwarded-For": "10.0.0.1"},
			src, Identity{}, ErrUntrustedPeer},
		{"nok, trusted peer without identity", "10.0.0.1:1", nil, src, Identity{}, ErrNoIdentity},
		{"nok, untrusted peer without identity", "192.0.2.7:1", nil, src, Identity{}, ErrNoIdentity},
		{"nok, IPv6 peer outside the list", "[2001:db8::1]:1", map[string]string{"X-Forwarded-Email": "a@example.com"}, src, Identity{}, ErrUntrustedPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			got, err := tt.src.Identify(context.Background(), r)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got.Email != tt.want.Email || got.Name != tt.want.Name || strings.Join(got.Groups, "|") != strings.Join(tt.want.Groups, "|") {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Error("nok, a bad CIDR must be refused")
	}
}

func TestPolicy(t *testing.T) {
	kelly := Identity{Email: "kelly@acme.example", Groups: []string{"csr"}}
	tests := []struct {
		name   string
		policy Policy
		want   bool
	}{
		{"ok, no lists allow everyone the proxy vouches for", Policy{}, true},
		{"ok, listed email", Policy{Emails: []string{"KELLY@acme.example"}}, true},
		{"ok, listed domain", Policy{Domains: []string{"acme.example"}}, true},
		{"ok, listed group", Policy{Groups: []string{"dispatch", "csr"}}, true},
		{"nok, other email", Policy{Emails: []string{"boss@acme.example"}}, false},
		{"nok, lookalike domain", Policy{Domains: []string{"cme.example"}}, false},
		{"nok, other group", Policy{Groups: []string{"admins"}}, false},
	}
	for _, tt := range tests {
		if got := tt.policy.Allows(kelly); got != tt.want {
			t.Errorf("%s: Allows = %v", tt.name, got)
		}
	}
}

// jwks is a local key server whose key set can change (key rotation).
type jwks struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKS(t *testing.T, keys ...jose.JSONWebKey) *jwks {
	j := &jwks{keys: keys}
	j.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.writeKeys(w)
	}))
	t.Cleanup(j.srv.Close)
	return j
}

// writeKeys answers with the public half of the current key set.
func (j *jwks) writeKeys(w http.ResponseWriter) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var pub []jose.JSONWebKey
	for _, k := range j.keys {
		pub = append(pub, k.Public())
	}
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: pub})
}

func (j *jwks) add(k jose.JSONWebKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.keys = append(j.keys, k)
}

func rsaKey(t *testing.T, kid string) jose.JSONWebKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

func sign(t *testing.T, key jose.JSONWebKey, alg jose.SignatureAlgorithm, claims any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type claims struct {
	jwt.Claims
	Email  string   `json:"email,omitempty"`
	Name   string   `json:"name,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

func TestJWT(t *testing.T) {
	now := time.Now()
	good := rsaKey(t, "k1")
	other := rsaKey(t, "k1") // same kid, different key
	rotated := rsaKey(t, "k2")
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec := jose.JSONWebKey{Key: ecKey, KeyID: "ec1", Algorithm: string(jose.ES256)}
	server := newJWKS(t, good, ec)

	valid := func() claims {
		return claims{Claims: jwt.Claims{Issuer: "https://team.example/", Audience: jwt.Audience{"aud-1"},
			Expiry: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute))},
			Email: "Kelly@Acme.example", Name: "Kelly", Groups: []string{"csr"}}
	}
	with := func(f func(*claims)) claims { c := valid(); f(&c); return c }
	unsigned := func(c claims) string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`))
		b, _ := json.Marshal(c)
		return h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
	}
	hmacWithPublicKey := func(c claims) string {
		pub := good.Public().Key.(*rsa.PublicKey)
		secret := pub.N.Bytes()
		return sign(t, jose.JSONWebKey{Key: secret, KeyID: "k1"}, jose.HS256, c)
	}

	tests := []struct {
		name      string
		token     func() string
		wantEmail string
		wantErr   error
	}{
		{"ok, valid RS256", func() string { return sign(t, good, jose.RS256, valid()) }, "kelly@acme.example", nil},
		{"ok, valid ES256", func() string { return sign(t, ec, jose.ES256, valid()) }, "kelly@acme.example", nil},
		{"ok, within the expiry skew", func() string {
			return sign(t, good, jose.RS256, with(func(c *claims) { c.Expiry = jwt.NewNumericDate(now.Add(-10 * time.Second)) }))
		}, "kelly@acme.example", nil},
		{"ok, rotated key is fetched on an unknown kid", func() string {
			server.add(rotated)
			return sign(t, rotated, jose.RS256, valid())
		}, "kelly@acme.example", nil},
		{"nok, expired", func() string {
			return sign(t, good, jose.RS256, with(func(c *claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour)) }))
		}, "", ErrInvalidToken},
		{"nok, wrong audience", func() string {
			return sign(t, good, jose.RS256, with(func(c *claims) { c.Audience = jwt.Audience{"someone-else"} }))
		}, "", ErrInvalidToken},
		{"nok, wrong issuer", func() string {
			return sign(t, good, jose.RS256, with(func(c *claims) { c.Issuer = "https://evil.example/" }))
		}, "", ErrInvalidToken},
		{"nok, signed by another key with the same kid", func() string { return sign(t, other, jose.RS256, valid()) }, "", ErrInvalidToken},
		{"nok, unknown kid", func() string { return sign(t, rsaKey(t, "k9"), jose.RS256, valid()) }, "", ErrInvalidToken},
		{"nok, alg none", func() string { return unsigned(valid()) }, "", ErrInvalidToken},
		{"nok, HMAC keyed with the public key", func() string { return hmacWithPublicKey(valid()) }, "", ErrInvalidToken},
		{"nok, no email claim", func() string { return sign(t, good, jose.RS256, with(func(c *claims) { c.Email = "" })) }, "", ErrInvalidToken},
		{"nok, garbage", func() string { return "not.a.jwt" }, "", ErrInvalidToken},
		{"nok, missing header", func() string { return "" }, "", ErrNoIdentity},
	}
	src, err := NewJWT(JWTConfig{Header: "Cf-Access-Jwt-Assertion", JWKSURL: server.srv.URL, Issuer: "https://team.example/", Audience: "aud-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tok := tt.token(); tok != "" {
				r.Header.Set("Cf-Access-Jwt-Assertion", tok)
			}
			got, err := src.Identify(context.Background(), r)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got.Email != tt.wantEmail {
				t.Errorf("email = %q, want %q", got.Email, tt.wantEmail)
			}
		})
	}
	if n := server.fetches.Load(); n > 4 {
		t.Errorf("keys fetched %d times: they must be cached", n)
	}
	for _, bad := range []JWTConfig{
		{JWKSURL: "x", Issuer: "i", Audience: "a"},
		{Header: "h", JWKSURL: "x", Issuer: "i", Audience: "a", Algorithms: []string{"HS256"}},
		{Header: "h", JWKSURL: "x", Issuer: "i", Audience: "a", Algorithms: []string{"none"}},
	} {
		if _, err := NewJWT(bad); err == nil {
			t.Errorf("nok, config %+v must be refused", bad)
		}
	}
}

func TestJWTKeysUnavailable(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	src, _ := NewJWT(JWTConfig{Header: "X-Jwt", JWKSURL: down.URL, Issuer: "https://team.example/", Audience: "aud-1"})
	key := rsaKey(t, "k1")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Jwt", sign(t, key, jose.RS256, claims{Claims: jwt.Claims{Issuer: "https://team.example/", Audience: jwt.Audience{"aud-1"},
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}, Email: "a@example.com"}))
	_, err := src.Identify(context.Background(), r)
	if !IsUnavailable(err) {
		t.Errorf("err = %v, want keys unavailable", err)
	}
}

// A client can add its own copy of an identity header beside the proxy's;
// which one an app reads first is an accident, so two copies are refused.
func TestDuplicateIdentityHeadersAreRefused(t *testing.T) {
	trusted, _ := ParseProxies("10.0.0.0/8")
	src := ProxyHeaders{Trusted: trusted}
	for _, h := range []string{"X-Forwarded-Email", "X-Forwarded-Preferred-Username", "X-Forwarded-User", "X-Forwarded-Groups"} {
		t.Run(h, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "10.1.2.3:5000"
			r.Header.Set("X-Forwarded-Email", "kelly@corp.example")
			r.Header.Set(h, "kelly@corp.example")
			r.Header.Add(h, "boss@corp.example")
			if _, err := src.Identify(context.Background(), r); !errors.Is(err, ErrAmbiguous) {
				t.Errorf("err = %v, want ErrAmbiguous", err)
			}
		})
	}
}

func TestDomainAllowListJudgesOneValidAddress(t *testing.T) {
	policy := Policy{Domains: []string{"corp.example"}}
	for email, want := range map[string]bool{
		"kelly@corp.example":                       true,
		"m@evil.example, x@corp.example":           false,
		"m@evil.example@corp.example":              false,
		"<x@corp.example>":                         false,
		"kelly@corp.example.":                      false,
		strings.Repeat("a", 250) + "@corp.example": false,
	} {
		if got := policy.Allows(Identity{Email: email}); got != want {
			t.Errorf("Allows(%q) = %v, want %v", email, got, want)
		}
	}
}

func TestTrustsEveryone(t *testing.T) {
	for in, want := range map[string]bool{
		"0.0.0.0/0": true, "10.0.0.0/8, ::/0": true, "0.0.0.0/1, 128.0.0.0/1": true, "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2": true,
		"0.0.0.0/1, 0.0.0.0/1": false, "0.0.0.0/1, 0.0.0.0/2, 128.0.0.0/2": false, "::/1, 8000::/1": true,
		"10.0.0.0/8,127.0.0.1": false, "": false,
	} {
		p, err := ParseProxies(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.TrustsEveryone(); got != want {
			t.Errorf("%q: TrustsEveryone = %v, want %v", in, got, want)
		}
	}
}

// Each token naming a key id the app does not hold used to cost a request
// to the issuer; anyone can send such tokens.
func TestUnknownKeyIDsDoNotFetchTheKeysEachTime(t *testing.T) {
	good := rsaKey(t, "k1")
	server := newJWKS(t, good)
	clock := time.Now()
	var clockMu sync.Mutex
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	advance := func(d time.Duration) { clockMu.Lock(); clock = clock.Add(d); clockMu.Unlock() }
	src, err := NewJWT(JWTConfig{Header: "X-Jwt", JWKSURL: server.srv.URL, Issuer: "https://team.example/", Audience: "aud-1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	claimsNow := func() claims {
		return claims{Claims: jwt.Claims{Issuer: "https://team.example/", Audience: jwt.Audience{"aud-1"},
			Expiry: jwt.NewNumericDate(now().Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now())}, Email: "kelly@acme.example"}
	}
	identify := func(tok string) error {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Jwt", tok)
		_, err := src.Identify(context.Background(), r)
		return err
	}
	if err := identify(sign(t, good, jose.RS256, claimsNow())); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	stranger := rsaKey(t, "k9")
	forged := sign(t, stranger, jose.RS256, claimsNow())
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := identify(forged); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("forged token: err = %v, want invalid", err)
			}
		})
	}
	wg.Wait()
	if n := server.fetches.Load(); n != 2 {
		t.Errorf("after 50 tokens with an unknown kid: %d fetches, want 2 (the first load and one refetch)", n)
	}
	// Made-up key ids, one per request: still rationed overall.
	for i := range 20 {
		identify(sign(t, rsaKey(t, fmt.Sprintf("made-up-%d", i)), jose.RS256, claimsNow()))
	}
	if n := server.fetches.Load(); n != 2 {
		t.Errorf("after 20 made-up kids within seconds: %d fetches, want still 2", n)
	}
	// A real rotation later is still picked up.
	advance(refetchInterval + time.Second)
	rotated := rsaKey(t, "k2")
	server.add(rotated)
	if err := identify(sign(t, rotated, jose.RS256, claimsNow())); err != nil {
		t.Errorf("rotated key: %v", err)
	}
	// The same unknown kid again within 5 minutes: no fetch.
	advance(refetchInterval + time.Second)
	before := server.fetches.Load()
	identify(forged)
	if n := server.fetches.Load(); n != before {
		t.Errorf("k9 again within 5 minutes fetched the keys (%d -> %d)", before, n)
	}
}

func TestTokensFromTheFutureAreRefused(t *testing.T) {
	key := rsaKey(t, "k1")
	server := newJWKS(t, key)
	now := time.Now()
	src, _ := NewJWT(JWTConfig{Header: "X-Jwt", JWKSURL: server.srv.URL, Issuer: "https://team.example/", Audience: "aud-1"})
	for name, c := range map[string]jwt.Claims{
		"issued in an hour":       {IssuedAt: jwt.NewNumericDate(now.Add(time.Hour))},
		"valid from in 2 minutes": {IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(2 * time.Minute))},
	} {
		c.Issuer, c.Audience, c.Expiry = "https://team.example/", jwt.Audience{"aud-1"}, jwt.NewNumericDate(now.Add(2*time.Hour))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Jwt", sign(t, key, jose.RS256, claims{Claims: c, Email: "a@example.com"}))
		if _, err := src.Identify(context.Background(), r); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Add("X-Jwt", "a")
	r.Header.Add("X-Jwt", "b")
	if _, err := src.Identify(context.Background(), r); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two assertions: err = %v, want ErrAmbiguous", err)
	}
}

// blockingJWKS serves keys, holding each answer while hold is set until
// release is closed.
type blockingJWKS struct {
	*jwks
	hold    atomic.Bool
	started chan struct{}
	release chan struct{}
}

func newBlockingJWKS(t *testing.T, keys ...jose.JSONWebKey) *blockingJWKS {
	b := &blockingJWKS{jwks: &jwks{keys: keys}, started: make(chan struct{}, 16), release: make(chan struct{})}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.fetches.Add(1)
		if b.hold.Load() {
			b.started <- struct{}{}
			<-b.release
		}
		b.writeKeys(w)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// A refetch caused by an unknown key id (anyone can send one) must not
// hold up people whose tokens name a key the app already has.
func TestKnownKeysDoNotWaitForARefetch(t *testing.T) {
	good := rsaKey(t, "k1")
	server := newBlockingJWKS(t, good)
	src, _ := NewJWT(JWTConfig{Header: "X-Jwt", JWKSURL: server.srv.URL, Issuer: "https://team.example/", Audience: "aud-1"})
	c := func() claims {
		return claims{Claims: jwt.Claims{Issuer: "https://team.example/", Audience: jwt.Audience{"aud-1"},
			Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}, Email: "kelly@acme.example"}
	}
	identify := func(ctx context.Context, tok string) error {
		r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		r.Header.Set("X-Jwt", tok)
		_, err := src.Identify(ctx, r)
		return err
	}
	if err := identify(context.Background(), sign(t, good, jose.RS256, c())); err != nil {
		t.Fatal(err)
	}
	server.hold.Store(true)
	forged := make(chan error, 1)
	go func() { forged <- identify(context.Background(), sign(t, rsaKey(t, "k9"), jose.RS256, c())) }()
	<-server.started // the refetch is under way, and held
	valid := make(chan error, 1)
	go func() { valid <- identify(context.Background(), sign(t, good, jose.RS256, c())) }()
	select {
	case err := <-valid:
		if err != nil {
			t.Errorf("valid token during a refetch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("a valid token waited for the refetch of an unknown key id")
	}
	close(server.release)
	if err := <-forged; !errors.Is(err, ErrInvalidToken) {
		t.Errorf("forged token: %v", err)
	}
}

// The first fetch of the keys runs for everyone waiting: the caller who
// started it hanging up must not fail it for the others.
func TestAbandonedFirstFetchStillServesTheOthers(t *testing.T) {
	good := rsaKey(t, "k1")
	server := newBlockingJWKS(t, good)
	server.hold.Store(true)
	src, _ := NewJWT(JWTConfig{Header: "X-Jwt", JWKSURL: server.srv.URL, Issuer: "https://team.example/", Audience: "aud-1"})
	tok := sign(t, good, jose.RS256, claims{Claims: jwt.Claims{Issuer: "https://team.example/", Audience: jwt.Audience{"aud-1"},
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}, Email: "kelly@acme.example"})
	identify := func(ctx context.Context) error {
		r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		r.Header.Set("X-Jwt", tok)
		_, err := src.Identify(ctx, r)
		return err
	}
	ctx, hangUp := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- identify(ctx) }()
	<-server.started
	second := make(chan error, 1)
	go func() { second <- identify(context.Background()) }()
	hangUp()
	<-first
	close(server.release)
	if err := <-second; err != nil {
		t.Errorf("the second caller failed with the first one's hang-up: %v", err)
	}
}

// The name claim of a JWT is shown on every page and kept in the audit
// trail: it is cleaned and capped exactly as proxy mode's name header (a
// 5,000-character name with U+202E, BEL and ESC was shown and stored raw).
func TestJWTNameIsCleanedAsProxyModeCleansIt(t *testing.T) {
	key := rsaKey(t, "k1")
	server := newJWKS(t, key)
	src, err := NewJWT(JWTConfig{Header: "Cf-Access-Jwt-Assertion", JWKSURL: server.srv.URL, Issuer: "https://team.example/", Audience: "aud-1"})
	if err != nil {
		t.Fatal(err)
	}
	trusted, _ := ParseProxies("10.0.0.0/8")
	proxy := ProxyHeaders{Trusted: trusted}
	now := time.Now()
	for _, name := range []string{
		"Kelly",
		" Jordan\u202e\x07\x1b[31m Lee ",
		"\u202eAda" + strings.Repeat("é", 5000),
		"KELLY@acme.example",
		"\u2066\u2069\x00",
	} {
		c := claims{Claims: jwt.Claims{Issuer: "https://team.example/", Audience: jwt.Audience{"aud-1"},
			Expiry: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now)},
			Email: "kelly@acme.example", Name: name}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cf-Access-Jwt-Assertion", sign(t, key, jose.RS256, c))
		got, err := src.Identify(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		p := httptest.NewRequest(http.MethodGet, "/", nil)
		p.RemoteAddr = "10.0.0.1:1"
		p.Header.Set("X-Forwarded-Email", "kelly@acme.example")
		p.Header.Set("X-Forwarded-Preferred-Username", name)
		want, err := proxy.Identify(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || utf8.RuneCountInString(got.Name) > 100 || strings.ContainsAny(got.Name, "\u202e\x07\x1b\x00\u2066") {
			t.Errorf("name %.40q: jwt mode shows %.40q (%d characters), proxy mode %.40q", name, got.Name, utf8.RuneCountInString(got.Name), want.Name)
		}
	}
}
