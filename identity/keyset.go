package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits on fetching the issuer's keys again. A token naming a key id the
// app does not hold may mean the issuer rotated its keys, so the set is
// fetched again; but anyone can send such tokens, so refetches are rationed:
// once per refetchPerKid for one key id, once per refetchInterval overall,
// one at a time. The initial fetch is not rationed.
const (
	refetchPerKid   = 5 * time.Minute
	refetchInterval = 10 * time.Second
	// triedKidsMax bounds the memory kept about unknown key ids.
	triedKidsMax = 1024
	// maxKeySetBody caps the issuer's answer.
	maxKeySetBody = 1 << 20
	// fetchTimeout bounds one fetch of the keys.
	fetchTimeout = 10 * time.Second
)

// errKeyFetch marks a failure to fetch the keys. Its text contains
// "fetching keys", which survives go-oidc's %v wrapping.
var errKeyFetch = errors.New("fetching keys failed")

// keySet is an oidc.KeySet over a JWKS URL whose refetches on an unknown
// key id are rate-limited (go-oidc's RemoteKeySet fetches again for every
// token it cannot verify, so each forged token costs a request to the
// issuer).
type keySet struct {
	url    string
	client *http.Client
	algs   []jose.SignatureAlgorithm
	now    func() time.Time

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	loaded      bool
	inflight    chan struct{} // closed when the fetch under way ends
	lastRefetch time.Time
	triedKids   map[string]time.Time // unknown key id -> its last refetch
	// failed and failedAt keep a failed first fetch for failedRetry, so a
	// down issuer is not asked again for every request.
	failed   error
	failedAt time.Time
	fetches  int // for tests
}

// failedRetry is how long a failed first fetch is answered from memory.
const failedRetry = 2 * time.Second

func newKeySet(url string, client *http.Client, algs []string, now func() time.Time) *keySet {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	k := &keySet{url: url, client: client, now: now, triedKids: map[string]time.Time{}}
	for _, a := range algs {
		k.algs = append(k.algs, jose.SignatureAlgorithm(a))
	}
	return k
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, k.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := k.keysFor(ctx, kid)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		if kid == "" || keys[i].KeyID == kid {
			if payload, err := jws.Verify(&keys[i]); err == nil {
				return payload, nil
			}
		}
	}
	return nil, errors.New("no key verifies the signature")
}

// keysFor returns the keys to try for kid, fetching the set when it was
// never loaded, or again when kid is unknown and the ration allows. A kid
// the set holds never waits for a fetch under way. The fetch runs on its
// own context: a caller who hangs up must not fail it for the others.
func (k *keySet) keysFor(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	for {
		if k.loaded && k.has(kid) {
			keys := k.keys
			k.mu.Unlock()
			return keys, nil
		}
		if k.inflight != nil {
			wait := k.inflight
			k.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			k.mu.Lock()
			if k.loaded && !k.has(kid) {
				keys := k.keys // that fetch did not bring kid: no second one now
				k.mu.Unlock()
				return keys, nil
			}
			continue
		}
		if k.loaded && !k.mayRefetch(kid) {
			keys := k.keys
			k.mu.Unlock()
			return keys, nil
		}
		if !k.loaded && k.failed != nil && k.now().Sub(k.failedAt) < failedRetry {
			err := k.failed
			k.mu.Unlock()
			return nil, err
		}
		break
	}
	// Start the fetch for everyone, then wait for it like everyone.
	refetch := k.loaded
	if refetch {
		k.lastRefetch = k.now()
	}
	done := make(chan struct{})
	k.inflight = done
	k.fetches++
	k.mu.Unlock()
	go k.fetchInBackground(kid, refetch, done)
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.loaded {
		return nil, k.failed
	}
	return k.keys, nil
}

// fetchInBackground fetches the keys on a context of its own and records
// the result, then closes done.
func (k *keySet) fetchInBackground(kid string, refetch bool, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	keys, err := k.fetch(ctx)
	cancel()

	k.mu.Lock()
	defer k.mu.Unlock()
	k.inflight = nil
	close(done)
	switch {
	case err != nil && !k.loaded:
		k.failed, k.failedAt = err, k.now()
	case err != nil:
		// Keep the keys held; tokens are judged on them.
	default:
		k.keys, k.loaded, k.failed = keys, true, nil
		if refetch {
			// Only a fetch that answered uses up kid's allowance: an
			// issuer's blip must not lock a new key out for minutes.
			k.rememberTried(kid, k.now())
		}
	}
}

func (k *keySet) has(kid string) bool {
	for _, key := range k.keys {
		if kid == "" || key.KeyID == kid {
			return true
		}
	}
	return false
}

// mayRefetch reports whether an unknown kid may cause a fetch now.
func (k *keySet) mayRefetch(kid string) bool {
	now := k.now()
	if now.Sub(k.lastRefetch) < refetchInterval {
		return false
	}
	last, tried := k.triedKids[kid]
	return !tried || now.Sub(last) >= refetchPerKid
}

// rememberTried notes a refetch for kid, forgetting old entries first so an
// endless stream of made-up key ids cannot grow the map.
func (k *keySet) rememberTried(kid string, now time.Time) {
	if len(k.triedKids) >= triedKidsMax {
		for id, at := range k.triedKids {
			if now.Sub(at) >= refetchPerKid {
				delete(k.triedKids, id)
			}
		}
	}
	if len(k.triedKids) < triedKidsMax {
		k.triedKids[kid] = now
	}
}

// fetch reads the key set, keeping the keys it can use and skipping the
// rest (an algorithm go-jose does not know must not hide the others).
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyFetch, err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyFetch, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBody))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyFetch, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", errKeyFetch, resp.StatusCode)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("%w: %w", errKeyFetch, err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) == nil && key.Valid() && key.IsPublic() {
			keys = append(keys, key)
		}
	}
	return keys, nil
}
