package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/profilesync/profilesync/pkg/fault"
)

// session is one access token and the instance it is valid for. Salesforce
// tokens carry no expiry (they last as long as the org's session timeout),
// so a session is used until an API call answers 401.
type session struct {
	token       string
	instanceURL string // no trailing slash
}

// tokenSource caches one session for every goroutine of a Client and fetches
// a new one at most once per invalidation, however many callers saw the old
// one fail.
type tokenSource struct {
	creds Credentials
	hc    *http.Client

	fetching chan struct{} // one slot: held while a token request runs
	mu       sync.Mutex
	cur      *session
}

func newTokenSource(c Credentials, hc *http.Client) *tokenSource {
	return &tokenSource{creds: c, hc: hc, fetching: make(chan struct{}, 1)}
}

func (ts *tokenSource) cached() *session {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.cur
}

// get returns the cached session or fetches one. Callers that arrive while a
// fetch runs wait for it (or for their ctx) instead of starting another.
func (ts *tokenSource) get(ctx context.Context) (*session, error) {
	if s := ts.cached(); s != nil {
		return s, nil
	}
	select {
	case ts.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, fault.Wrap(fault.Transient, ctx.Err())
	}
	defer func() { <-ts.fetching }()
	if s := ts.cached(); s != nil {
		return s, nil // fetched by the caller we waited for
	}
	s, err := ts.fetch(ctx)
	if err != nil {
		return nil, err
	}
	ts.mu.Lock()
	ts.cur = s
	ts.mu.Unlock()
	return s, nil
}

// invalidate drops s if it is still the cached session. Comparing with the
// session the caller used (not just clearing) is what keeps N concurrent
// 401s on one stale token down to one refresh.
func (ts *tokenSource) invalidate(s *session) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur == s {
		ts.cur = nil
	}
}

// tokenResponse is the part of the token endpoint's answer we use.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
}

// fetch runs the OAuth 2.0 client credentials flow against the My Domain
// token endpoint.
func (ts *tokenSource) fetch(ctx context.Context) (*session, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {ts.creds.ClientID},
		"client_secret": {ts.creds.ClientSecret},
	}
	endpoint := strings.TrimRight(ts.creds.LoginURL, "/") + "/services/oauth2/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("salesforce token request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := ts.hc.Do(req)
	if err != nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("salesforce token request: %w", err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("salesforce token response: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, classifyToken(resp.StatusCode, resp.Header, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" || tr.InstanceURL == "" {
		return nil, fault.New(fault.Transient, resp.StatusCode, "", "token response without access_token or instance_url")
	}
	u, err := url.Parse(tr.InstanceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fault.New(fault.Transient, resp.StatusCode, "", "token response has an invalid instance_url")
	}
	return &session{token: tr.AccessToken, instanceURL: strings.TrimRight(tr.InstanceURL, "/")}, nil
}
