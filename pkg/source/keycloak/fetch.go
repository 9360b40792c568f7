package keycloak

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Fetcher reads users from the Keycloak Admin REST API.
type Fetcher struct {
	cfg   Config
	hc    *http.Client
	token *sourcekit.ClientCredentials
}

var _ source.Fetcher = (*Fetcher)(nil)

// Option adjusts a Fetcher.
type Option func(*Fetcher)

// WithClock sets the clock that ages cached tokens (tests inject one).
func WithClock(now func() time.Time) Option { return func(f *Fetcher) { f.token.Now = now } }

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client, opts ...Option) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	hc = sourcekit.Client(hc)
	f := &Fetcher{cfg: cfg, hc: hc, token: &sourcekit.ClientCredentials{
		Platform: "keycloak",
		TokenURL: cfg.BaseURL + "/realms/" + url.PathEscape(cfg.Realm) + "/protocol/openid-connect/token",
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, HTTP: hc,
	}}
	for _, o := range opts {
		o(f)
	}
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

// Fetch implements source.Fetcher. A 401 on the user read refreshes the
// token once (an admin may revoke sessions before the token expires).
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "keycloak fetch: empty subject")
	}
	u := f.cfg.BaseURL + "/admin/realms/" + url.PathEscape(f.cfg.Realm) + "/users/" + url.PathEscape(subject)
	status, h, body, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Get(ctx, f.hc, "keycloak get user", u, sourcekit.Bearer(tok))
	})
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var u user
		if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
			return nil, fault.New(fault.Permanent, status, "", "keycloak get user: unreadable UserRepresentation")
		}
		return u.profile(), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("keycloak user %s: %w", subject, source.ErrNotFound)
	}
	// Keycloak's admin errors: {"error":"…"} or {"errorMessage":"…"}.
	var e struct {
		Error        string `json:"error"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &e)
	msg := e.Error
	if msg == "" {
		msg = e.ErrorMessage
	}
	return nil, fault.FromHTTP(status, h, "", msg)
}
