package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// directSaveRounds is how many list+PATCH pairs the direct baseline times
// alone, after the mix.
const directSaveRounds = 60

// directSaveEvery paces the pairs timed beside the mix: a few per second,
// a load the mix hardly notices.
const directSaveEvery = 250 * time.Millisecond

// directSave is a direct baseline: the p50 of its pairs, and how many.
type directSave struct {
	P50   time.Duration
	Pairs int
	// Times are the pairs' times, sorted.
	Times []time.Duration
}

// measureDirectSave times, on a sandbox with the same latency as the mix,
// the two calls a save makes (the contact-list read and the PATCH) made
// directly, one after the other: the upstream's own time per save, measured
// in the same run. The app's overhead per save is the save's p50 minus this
// p50. It times n pairs, starting one every `every` (or back to back when
// every is 0).
func measureDirectSave(ctx context.Context, hc *http.Client, latency time.Duration, n int, every time.Duration) (directSave, error) {
	sb, err := startDirectSandbox(ctx, hc, sandbox.WithLatency(latency))
	if err != nil {
		return directSave{}, fmt.Errorf("direct save baseline: %w", err)
	}
	defer sb.stop()
	took := make([]time.Duration, 0, n)
	next := time.Now()
	for i := range n {
		if wait := time.Until(next); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return directSave{}, ctx.Err()
			}
		}
		next = next.Add(every)
		d, err := sb.savePair(ctx, hc, i)
		if err != nil {
			return directSave{}, fmt.Errorf("direct save baseline: %w", err)
		}
		took = append(took, d)
	}
	if len(took) == 0 {
		return directSave{}, nil
	}
	slices.Sort(took)
	return directSave{P50: took[len(took)/2], Pairs: len(took), Times: took}, nil
}

// savePair makes a save's two calls directly, one after the other (the
// contact-list read and the PATCH of the seed's mobile contact with memo
// number i), and returns how long they took.
func (d *directSandbox) savePair(ctx context.Context, hc *http.Client, i int) (time.Duration, error) {
	call := func(method, u string, body []byte) error {
		req, _ := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		req.Header = d.header()
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: status %d", method, strings.TrimPrefix(u, d.base), resp.StatusCode)
		}
		return nil
	}
	list := fmt.Sprintf("%s/customers/%d/contacts?page=1&pageSize=100", d.TenantURL(), sandbox.SeedCustomerID)
	patch := fmt.Sprintf("%s/customers/%d/contacts/%d", d.TenantURL(), sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	start := time.Now()
	if err := call(http.MethodGet, list, nil); err != nil {
		return 0, err
	}
	body, _ := json.Marshal(map[string]string{"memo": fmt.Sprintf("direct %d", i)})
	if err := call(http.MethodPatch, patch, body); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// directSandbox is a second sandbox, in the load tool's process, that the
// baselines call directly, with a token already fetched.
type directSandbox struct {
	*sandbox.Server
	base, token string
	stop        func()
}

// startDirectSandbox starts one on loopback and fetches its token.
func startDirectSandbox(ctx context.Context, hc *http.Client, opts ...sandbox.Option) (*directSandbox, error) {
	sb := sandbox.New(opts...)
	base, stop, err := sb.Start()
	if err != nil {
		return nil, err
	}
	if err := checkLoopbackURL(base); err != nil {
		stop()
		return nil, err
	}
	creds := sb.Credentials()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, sb.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		stop()
		return nil, fmt.Errorf("sandbox token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		stop()
		return nil, fmt.Errorf("sandbox token: status %d, %v", resp.StatusCode, err)
	}
	return &directSandbox{Server: sb, base: base, token: tok.AccessToken, stop: stop}, nil
}

// header is what the app's client sends with every call.
func (d *directSandbox) header() http.Header {
	return http.Header{
		"Authorization": {"Bearer " + d.token},
		"St-App-Key":    {d.Credentials().AppKey},
		"Accept":        {"application/json"},
	}
}
