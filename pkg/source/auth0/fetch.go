package auth0

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// tokenMargin is how long before its expiry a cached token is replaced.
const tokenMargin = 60 * time.Second

// Fetcher reads users from the Auth0 Management API with a cached
// client-credentials token.
type Fetcher struct {
	cfg Config
	hc  *http.Client
	now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg, hc: sourcekit.Client(hc), now: time.Now}, nil
}

// New returns the Parser and Fetcher of the source instance name.
func New(name string, cfg Config, hc *http.Client) (*Parser, *Fetcher, error) {
	p, err := NewParser(name, cfg)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFetcher(cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// Fetch implements source.Fetcher: GET /api/v2/users/{id}. A 401 refreshes
// the token once (a token can be revoked before it expires).
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "auth0 fetch: empty subject")
	}
	tok, err := f.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	status, h, body, err := f.getUser(ctx, tok, subject)
	if err == nil && status == http.StatusUnauthorized {
		f.invalidate(tok)
		if tok, err = f.accessToken(ctx); err != nil {
			return nil, err
		}
		status, h, body, err = f.getUser(ctx, tok, subject)
	}
	if err != nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("auth0 get user: %w", err))
	}
	switch status {
	case http.StatusOK:
		var u auth0User
		if err := json.Unmarshal(body, &u); err != nil || u.UserID == "" {
			return nil, fault.New(fault.Permanent, status, "", "auth0 get user: unreadable user object")
		}
		return u.profile(), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("auth0 user %s: %w", subject, source.ErrNotFound)
	}
	code, msg := errorBody(body)
	fe := fault.FromHTTP(status, h, code, msg)
	if status == http.StatusTooManyRequests && fe.RetryAfter == 0 {
		fe.RetryAfter = f.untilReset(h)
	}
	return nil, fe
}

func (f *Fetcher) getUser(ctx context.Context, tok, subject string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.Domain+"/api/v2/users/"+url.PathEscape(subject), nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	body, err := sourcekit.ReadBody(resp)
	return resp.StatusCode, resp.Header, body, err
}

// accessToken returns the cached token or asks POST /oauth/token for one.
// The lock is held across the call so concurrent fetches share it.
func (f *Fetcher) accessToken(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" && f.now().Before(f.expires) {
		return f.token, nil
	}
	reqBody, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": f.cfg.ClientID,
		"client_secret": f.cfg.ClientSecret, "audience": f.cfg.Audience})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.cfg.Domain+"/oauth/token", bytes.NewReader(reqBody))
	if err != nil {
		return "", fault.Wrap(fault.Permanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return "", fault.Wrap(fault.Transient, fmt.Errorf("auth0 token: %w", err))
	}
	body, err := sourcekit.ReadBody(resp)
	if err != nil {
		return "", fault.Wrap(fault.Transient, fmt.Errorf("auth0 token: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		code, msg := errorBody(body)
		fe := fault.FromHTTP(resp.StatusCode, resp.Header, code, msg)
		switch code {
		case "access_denied", "invalid_client", "unauthorized_client":
			fe.Class = fault.Auth // refused credentials, whatever the status
		}
		return "", fe
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fault.New(fault.Transient, resp.StatusCode, "", "auth0 token: response without access_token")
	}
	f.token = tr.AccessToken
	f.expires = f.now().Add(time.Duration(tr.ExpiresIn)*time.Second - tokenMargin)
	return f.token, nil
}

// invalidate drops tok unless a concurrent caller already replaced it.
func (f *Fetcher) invalidate(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token == tok {
		f.token = ""
	}
}

// untilReset reads x-ratelimit-reset (epoch seconds) when a 429 has no
// Retry-After.
func (f *Fetcher) untilReset(h http.Header) time.Duration {
	secs, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	if err != nil {
		return 0
	}
	if d := secs - f.now().Unix(); d > 0 {
		return time.Duration(d) * time.Second
	}
	return time.Second
}

// errorBody reads a Management API error ({"statusCode","error","message",
// "errorCode"}) or an OAuth one ({"error","error_description"}).
func errorBody(b []byte) (code, msg string) {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Message          string `json:"message"`
		ErrorCode        string `json:"errorCode"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", ""
	}
	if e.ErrorDescription != "" {
		return e.Error, e.ErrorDescription
	}
	if e.ErrorCode != "" {
		return e.ErrorCode, e.Message
	}
	return e.Error, e.Message
}
