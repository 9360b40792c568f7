package logto

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

// Fetcher reads users from the Logto Management API.
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
		Platform: "logto", TokenURL: cfg.Endpoint + "/oidc/token", ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Basic: true, Extra: url.Values{"resource": {cfg.Resource}, "scope": {"all"}}, HTTP: hc,
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
// token once.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "logto fetch: empty subject")
	}
	u := f.cfg.Endpoint + "/api/users/" + url.PathEscape(subject)
	status, h, body, err := f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return sourcekit.Get(ctx, f.hc, "logto get user", u, sourcekit.Bearer(tok))
	})
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var u user
		if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
			return nil, fault.New(fault.Permanent, status, "", "logto get user: unreadable user")
		}
		return u.profile(), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("logto user %s: %w", subject, source.ErrNotFound)
	}
	var e struct{ Message, Code string } // Logto's {"message","code"}
	_ = json.Unmarshal(body, &e)
	return nil, fault.FromHTTP(status, h, e.Code, e.Message)
}
