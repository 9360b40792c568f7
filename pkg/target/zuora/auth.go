package zuora

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/target"
)

// expiryMargin renews a token this long before Zuora says it expires, so a
// request never leaves with a token about to lapse.
const expiryMargin = time.Minute

// token is one bearer token and when to stop using it.
type token struct {
	value   string
	expires time.Time
}

// tokenSource caches one token for every goroutine of a Client and fetches
// a new one at most once per invalidation or expiry, however many callers
// need it at once.
type tokenSource struct {
	creds Credentials
	base  string
	hc    *http.Client
	now   func() time.Time

	fetching chan struct{} // one slot: held while a token request runs
	mu       sync.Mutex
	cur      *token
}

func newTokenSource(c Credentials, base string, hc *http.Client, now func() time.Time) *tokenSource {
	return &tokenSource{creds: c, base: base, hc: hc, now: now, fetching: make(chan struct{}, 1)}
}

func (ts *tokenSource) cached() *token {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur != nil && ts.now().Before(ts.cur.expires) {
		return ts.cur
	}
	return nil
}

// get returns a live token, fetching one if needed. Callers that arrive
// while a fetch runs wait for it (or for their ctx).
func (ts *tokenSource) get(ctx context.Context) (*token, error) {
	if t := ts.cached(); t != nil {
		return t, nil
	}
	select {
	case ts.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, fault.Wrap(fault.Transient, ctx.Err())
	}
	defer func() { <-ts.fetching }()
	if t := ts.cached(); t != nil {
		return t, nil
	}
	t, err := ts.fetch(ctx)
	if err != nil {
		return nil, err
	}
	ts.mu.Lock()
	ts.cur = t
	ts.mu.Unlock()
	return t, nil
}

// invalidate drops t if it is still the cached token, so N concurrent
// rejections of one stale token cause one refresh.
func (ts *tokenSource) invalidate(t *token) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur == t {
		ts.cur = nil
	}
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// fetch runs the client credentials flow against POST /oauth/token (form
// encoded, no auth header).
func (ts *tokenSource) fetch(ctx context.Context) (*token, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {ts.creds.ClientID},
		"client_secret": {ts.creds.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("zuora token request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := ts.hc.Do(req)
	if err != nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("zuora token request: %w", target.RedactURLError(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("zuora token response: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, classifyToken(resp.StatusCode, resp.Header, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return nil, fault.New(fault.Transient, resp.StatusCode, "", "token response without access_token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 2*expiryMargin {
		life = 2 * expiryMargin // absent or tiny: use it briefly, then renew
	}
	return &token{value: tr.AccessToken, expires: ts.now().Add(life - expiryMargin)}, nil
}
