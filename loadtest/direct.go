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

// directSaveRounds is how many list+PATCH pairs the direct baseline times.
const directSaveRounds = 60

// measureDirectSave times, on a sandbox with the same latency as the mix,
// the two calls a save makes (the contact-list read and the PATCH) made
// directly, one after the other: the upstream's own time per save, measured
// in the same run. The app's overhead per save is the save's p50 minus this
// p50.
func measureDirectSave(ctx context.Context, hc *http.Client, latency time.Duration) (time.Duration, error) {
	sb := sandbox.New(sandbox.WithLatency(latency))
	base, stop, err := sb.Start()
	if err != nil {
		return 0, err
	}
	defer stop()
	if err := checkLoopbackURL(base); err != nil {
		return 0, err
	}
	creds := sb.Credentials()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}}
	resp, err := hc.PostForm(sb.TokenURL(), form)
	if err != nil {
		return 0, fmt.Errorf("direct save baseline: token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		return 0, fmt.Errorf("direct save baseline: token: status %d, %v", resp.StatusCode, err)
	}
	call := func(method, u string, body []byte) error {
		req, _ := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("ST-App-Key", creds.AppKey)
		req.Header.Set("Accept", "application/json")
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
			return fmt.Errorf("%s %s: status %d", method, strings.TrimPrefix(u, base), resp.StatusCode)
		}
		return nil
	}
	list := fmt.Sprintf("%s/customers/%d/contacts?page=1&pageSize=100", sb.TenantURL(), sandbox.SeedCustomerID)
	patch := fmt.Sprintf("%s/customers/%d/contacts/%d", sb.TenantURL(), sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	took := make([]time.Duration, 0, directSaveRounds)
	for i := range directSaveRounds {
		start := time.Now()
		if err := call(http.MethodGet, list, nil); err != nil {
			return 0, fmt.Errorf("direct save baseline: %w", err)
		}
		body, _ := json.Marshal(map[string]string{"memo": fmt.Sprintf("direct %d", i)})
		if err := call(http.MethodPatch, patch, body); err != nil {
			return 0, fmt.Errorf("direct save baseline: %w", err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[len(took)/2], nil
}
