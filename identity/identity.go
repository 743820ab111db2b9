// Package identity says who is making a request. The app runs behind an
// authenticating proxy (SSO); identity comes only from that trusted source:
// headers set by the proxy, believed only from the proxy's own addresses, or
// a signed assertion verified against the issuer's published keys.
package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"unicode"
)

// Identity is a signed-in person.
type Identity struct {
	Email  string
	Name   string
	Groups []string
}

// Display is how the person is named on pages and in the audit trail.
func (i Identity) Display() string {
	if i.Name != "" && i.Name != i.Email {
		return i.Name + " (" + i.Email + ")"
	}
	return i.Email
}

// Errors a Source returns; all mean "not signed in" (401).
var (
	ErrNoIdentity      = errors.New("identity: the request carries no identity")
	ErrUntrustedPeer   = errors.New("identity: identity headers from a peer that is not a trusted proxy")
	ErrAmbiguous       = errors.New("identity: an identity header appears more than once")
	ErrInvalidEmail    = errors.New("identity: the email is not a single valid address")
	ErrInvalidToken    = errors.New("identity: the signed assertion is not valid")
	ErrKeysUnavailable = errors.New("identity: the signing keys could not be fetched")
)

// Source identifies the person behind a request.
type Source interface {
	Identify(ctx context.Context, r *http.Request) (Identity, error)
}

// Proxies is a set of trusted proxy address ranges.
type Proxies []netip.Prefix

// ParseProxies reads comma-separated CIDRs (a bare address is a /32 or
// /128).
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			addr, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", part)
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// TrustsEveryone reports whether the ranges together cover every IPv4 or
// every IPv6 address (0.0.0.0/0, or 0.0.0.0/1 and 128.0.0.0/1, ...): then
// anyone who reaches the port could claim any identity.
func (p Proxies) TrustsEveryone() bool {
	for _, family := range []int{32, 128} {
		var mine []netip.Prefix
		for _, prefix := range p {
			if prefix.Addr().BitLen() == family {
				mine = append(mine, prefix.Masked())
			}
		}
		// Count the addresses of the ranges that no other range contains.
		covered := new(big.Int)
		for i, a := range mine {
			inside := false
			for j, b := range mine {
				if i != j && b.Bits() <= a.Bits() && b.Contains(a.Addr()) && (b.Bits() < a.Bits() || j < i) {
					inside = true
					break
				}
			}
			if !inside {
				covered.Add(covered, new(big.Int).Lsh(big.NewInt(1), uint(family-a.Bits())))
			}
		}
		if covered.Cmp(new(big.Int).Lsh(big.NewInt(1), uint(family))) >= 0 {
			return true
		}
	}
	return false
}

// Trusts reports whether the direct peer of r is a trusted proxy. Only the
// TCP peer counts: X-Forwarded-For is whatever the client wrote.
func (p Proxies) Trusts(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, prefix := range p {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// ProxyHeaders reads the identity an authenticating proxy (oauth2-proxy,
// Authelia, ...) put in request headers.
type ProxyHeaders struct {
	EmailHeader string // default X-Forwarded-Email
	// NameHeader holds the name shown (default
	// X-Forwarded-Preferred-Username, oauth2-proxy's); without it pages
	// show the email.
	NameHeader string
	// UserHeader is the proxy's user id (default X-Forwarded-User), which
	// oauth2-proxy fills with the OIDC subject, an opaque id: it is never
	// shown, and never taken as the email. A doubled one is refused like
	// the others.
	UserHeader   string
	GroupsHeader string // default X-Forwarded-Groups
	Trusted      Proxies
}

// Identify believes the headers only when the request comes straight from
// a trusted proxy; it never falls back to anonymous. The email must be one
// valid address in one header: a second copy of a header (one from the
// client, one from the proxy) or a list of addresses is refused rather
// than guessed at. The name header is a display name only, never the
// email; the user header is neither.
func (p ProxyHeaders) Identify(_ context.Context, r *http.Request) (Identity, error) {
	emailHeader := cmp.Or(p.EmailHeader, "X-Forwarded-Email")
	nameHeader := cmp.Or(p.NameHeader, "X-Forwarded-Preferred-Username")
	userHeader := cmp.Or(p.UserHeader, "X-Forwarded-User")
	groupsHeader := cmp.Or(p.GroupsHeader, "X-Forwarded-Groups")
	present := false
	for _, h := range []string{emailHeader, nameHeader, userHeader, groupsHeader} {
		if n := len(r.Header.Values(h)); n > 1 {
			return Identity{}, fmt.Errorf("%w: %s", ErrAmbiguous, h)
		} else if n == 1 {
			present = true
		}
	}
	if !p.Trusted.Trusts(r) {
		if present {
			return Identity{}, ErrUntrustedPeer
		}
		return Identity{}, ErrNoIdentity
	}
	email := strings.TrimSpace(r.Header.Get(emailHeader))
	if email == "" {
		return Identity{}, ErrNoIdentity
	}
	if !ValidEmail(email) {
		return Identity{}, ErrInvalidEmail
	}
	email = strings.ToLower(email)
	return Identity{Email: email, Name: displayName(r.Header.Get(nameHeader), email), Groups: splitList(r.Header.Get(groupsHeader))}, nil
}

// maxNameRunes bounds a name shown on every page and kept in the trail.
const maxNameRunes = 100

// displayName is a name header's value as pages may show it: trimmed, at
// most maxNameRunes, without control or bidirectional-override
// characters; "" when that leaves nothing or it is the email again.
func displayName(v, email string) string {
	v = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, v))
	if n := []rune(v); len(n) > maxNameRunes {
		v = strings.TrimSpace(string(n[:maxNameRunes]))
	}
	if strings.EqualFold(v, email) {
		return ""
	}
	return v
}

// ValidEmail reports whether s is exactly one bare address (no display
// name, no list, one "@", a domain after it), so an allow-list of domains
// judges the domain the address really has.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.Count(s, "@") != 1 {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	return local != "" && domain != "" && !strings.ContainsAny(domain, "[]") && strings.Trim(domain, ".") == domain
}

// Fixed is a constant identity: the clearly fake sandbox user.
type Fixed Identity

// SandboxUser is who makes changes when AUTH_MODE=none (sandbox only).
var SandboxUser = Fixed{Email: "sandbox.user@example.invalid", Name: "Sandbox user"}

// Identify returns the fixed identity.
func (f Fixed) Identify(context.Context, *http.Request) (Identity, error) { return Identity(f), nil }

// Policy is who may use the app. An empty policy allows everyone the
// identity source vouches for (the proxy decides who gets in).
type Policy struct {
	Emails  []string
	Domains []string
	Groups  []string
}

// Empty reports whether no allow-list is configured.
func (p Policy) Empty() bool { return len(p.Emails) == 0 && len(p.Domains) == 0 && len(p.Groups) == 0 }

// Allows reports whether id may use the app: listed by email, by the
// email's domain, or by one of its groups.
func (p Policy) Allows(id Identity) bool {
	if p.Empty() {
		return true
	}
	email := strings.ToLower(id.Email)
	for _, e := range p.Emails {
		if strings.EqualFold(e, email) {
			return true
		}
	}
	if at := strings.LastIndexByte(email, '@'); at >= 0 && ValidEmail(email) {
		for _, d := range p.Domains {
			if strings.EqualFold(strings.TrimPrefix(d, "@"), email[at+1:]) {
				return true
			}
		}
	}
	for _, g := range p.Groups {
		if slices.Contains(id.Groups, g) {
			return true
		}
	}
	return false
}

// SplitList splits a comma-separated setting, dropping blanks.
func SplitList(s string) []string { return splitList(s) }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
