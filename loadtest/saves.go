package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Issue #30's comparison of a save: the app's own part of a save beside a
// plain net/http app's (plain.EditPage's save: the same re-read,
// checks and PATCH, the same record page, without the app's session,
// CSRF, form claim, audit trail or index), each over a sandbox answering
// after the same latency, with the two calls made directly as the
// upstream's own time, in the same rounds.

// saveCompareRounds and saveCompareSaves: each round times this many saves
// of the app, of the plain app and direct pairs, one of each in turn.
const (
	saveCompareRounds = 3
	saveCompareSaves  = 40
)

// saveComparison holds every timed save of the three kinds, all rounds.
type saveComparison struct {
	Latency            time.Duration
	App, Plain, Direct []time.Duration
	// Rounds are each round's p50s, in the order app, plain, direct.
	Rounds [][3]time.Duration
}

func p50(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// overheads are the app's and the plain app's own parts of a save at the
// median: their p50 minus the direct pairs' p50.
func (c *saveComparison) overheads() (app, plain time.Duration) {
	d := p50(c.Direct)
	return p50(c.App) - d, p50(c.Plain) - d
}

// ratio is the app's overhead over the plain app's.
func (c *saveComparison) ratio() float64 {
	app, plain := c.overheads()
	if plain <= 0 {
		return 0
	}
	return float64(app) / float64(plain)
}

// compareSaves times saves of the seed's mobile contact through the app
// (a session opened first) and through the plain app, one at a time, each
// after an untimed GET of its edit form, in rounds with direct pairs.
func compareSaves(ctx context.Context, hc *http.Client, appURL, plainURL string, latency time.Duration) (*saveComparison, error) {
	cookies, err := openSessions(ctx, hc, appURL, 1)
	if err != nil {
		return nil, fmt.Errorf("save comparison: %w", err)
	}
	c := &saveComparison{Latency: latency}
	seq := 0
	save := func(base, cookie string) (time.Duration, error) {
		ref := contactRef{sandbox.SeedCustomerID, sandbox.SeedMobileContactID}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ref.url(base)+"/edit", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("edit form: status %d, %v", resp.StatusCode, err)
		}
		form, err := parseForm(body)
		if err != nil && !(cookie == "" && errors.Is(err, errNoToken)) {
			return 0, fmt.Errorf("edit form: %w", err)
		}
		seq++
		form.Set("memo", fmt.Sprintf("Save comparison %d", seq))
		post, _ := http.NewRequestWithContext(ctx, http.MethodPost, ref.url(base), strings.NewReader(form.Encode()))
		post.Header = http.Header{
			"Content-Type":   {"application/x-www-form-urlencoded"},
			"Origin":         {base},
			"Sec-Fetch-Site": {"same-origin"},
		}
		if cookie != "" {
			post.Header.Set("Cookie", cookie)
		}
		// followSaves follows the 303 and times the POST and the page.
		page, err := hc.Do(post)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, page.Body)
		page.Body.Close()
		took, _ := strconv.ParseInt(page.Header.Get(saveTimeHeader), 10, 64)
		if page.StatusCode != http.StatusOK || took == 0 {
			return 0, fmt.Errorf("save: status %d (the record page after a 303 expected)", page.StatusCode)
		}
		return time.Duration(took), nil
	}
	direct, err := startDirectSandbox(ctx, hc, sandbox.WithLatency(latency))
	if err != nil {
		return nil, fmt.Errorf("save comparison: %w", err)
	}
	defer direct.stop()
	for range saveCompareRounds {
		// One of each in turn, so that a change in the machine's load
		// meets all three alike.
		var round [3][]time.Duration
		for range saveCompareSaves {
			took, err := save(appURL, cookies[0])
			if err != nil {
				return nil, fmt.Errorf("save comparison (app): %w", err)
			}
			round[0] = append(round[0], took)
			if took, err = save(plainURL, ""); err != nil {
				return nil, fmt.Errorf("save comparison (plain app): %w", err)
			}
			round[1] = append(round[1], took)
			seq++
			if took, err = direct.savePair(ctx, hc, seq); err != nil {
				return nil, fmt.Errorf("save comparison (direct): %w", err)
			}
			round[2] = append(round[2], took)
		}
		c.App = append(c.App, round[0]...)
		c.Plain = append(c.Plain, round[1]...)
		c.Direct = append(c.Direct, round[2]...)
		c.Rounds = append(c.Rounds, [3]time.Duration{p50(round[0]), p50(round[1]), p50(round[2])})
	}
	return c, nil
}
