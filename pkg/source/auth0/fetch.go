package auth0

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Fetcher reads users from the Auth0 Management API with a cached
// client-credentials token.
type Fetcher struct {
	cfg Config
	hc  *http.Client
	now func() time.Time

	token *sourcekit.ClientCredentials
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	f := &Fetcher{cfg: cfg, hc: sourcekit.Client(hc), now: time.Now}
	f.token = &sourcekit.ClientCredentials{Platform: "auth0", TokenURL: cfg.Domain + "/oauth/token",
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Extra: url.Values{"audience": {cfg.Audience}},
		AuthCodes: []string{"access_denied"}, HTTP: f.hc, Now: func() time.Time { return f.now() }}
	return f, nil
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
	u := f.cfg.Domain + "/api/v2/users/" + url.PathEscape(subject)
	status, h, body, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Get(ctx, f.hc, "auth0 get user", u, sourcekit.Bearer(tok))
	})
	if err != nil {
		return nil, err
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
