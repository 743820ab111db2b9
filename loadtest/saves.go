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

// paired is the app's and the plain app's own parts of a save taken turn
// by turn: each save's time less the direct pair timed beside it (the same
// moment's load), then the median; lo and hi are in which of them to look
// (a round's saves).
func (c *saveComparison) paired(lo, hi int) (app, plain time.Duration, ratio float64) {
	var a, p []time.Duration
	for i := lo; i < hi && i < len(c.Direct); i++ {
		a = append(a, c.App[i]-c.Direct[i])
		p = append(p, c.Plain[i]-c.Direct[i])
	}
	app, plain = p50(a), p50(p)
	if plain > 0 {
		ratio = float64(app) / float64(plain)
	}
	return app, plain, ratio
}

// roundRatios are each round's paired ratios, for the report.
func (c *saveComparison) roundRatios() string {
	var out []string
	for i := range c.Rounds {
		_, _, r := c.paired(i*saveCompareSaves, (i+1)*saveCompareSaves)
		out = append(out, fmt.Sprintf("%.2f", r))
	}
	return strings.Join(out, ", ")
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
		for i := range saveCompareSaves {
			// The three in a turn that starts one later each time, so none
			// always follows the same one.
			for k := range 3 {
				which := (i + k) % 3
				var took time.Duration
				var err error
				switch which {
				case 0:
					took, err = save(appURL, cookies[0])
				case 1:
					took, err = save(plainURL, "")
				default:
					seq++
					took, err = direct.savePair(ctx, hc, seq)
				}
				if err != nil {
					return nil, fmt.Errorf("save comparison (%s): %w", [3]string{"app", "plain app", "direct"}[which], err)
				}
				round[which] = append(round[which], took)
			}
		}
		c.App = append(c.App, round[0]...)
		c.Plain = append(c.Plain, round[1]...)
		c.Direct = append(c.Direct, round[2]...)
		c.Rounds = append(c.Rounds, [3]time.Duration{p50(round[0]), p50(round[1]), p50(round[2])})
	}
	return c, nil
}
