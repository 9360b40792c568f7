package entra

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

// Scope is the client-credentials scope of an app-only Graph token: the
// application permissions granted to the app registration.
const Scope = "https://graph.microsoft.com/.default"

// Fetcher reads (and writes back, and lists) users through Microsoft
// Graph with a cached app-only token.
type Fetcher struct {
	cfg Config
	hc  *http.Client

	token *sourcekit.ClientCredentials
}

var (
	_ source.Fetcher = (*Fetcher)(nil)
	_ source.Lister  = (*Fetcher)(nil)
	_ source.Updater = (*Fetcher)(nil)
)

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	hc = sourcekit.Client(hc)
	if err := sourcekit.CheckEgress(hc, "graph_url", cfg.GraphURL); err != nil {
		return nil, err
	}
	if err := sourcekit.CheckEgress(hc, "login_url", cfg.LoginURL); err != nil {
		return nil, err
	}
	f := &Fetcher{cfg: cfg, hc: hc}
	f.token = &sourcekit.ClientCredentials{Platform: "entra",
		TokenURL: cfg.LoginURL + "/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token",
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Extra: url.Values{"scope": {Scope}}, HTTP: hc}
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

// Fetch implements source.Fetcher: GET /v1.0/users/{id}?$select=…. A 401
// refreshes the token once.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "entra fetch: empty subject")
	}
	u := f.cfg.GraphURL + "/v1.0/users/" + url.PathEscape(subject) + "?$select=" + url.QueryEscape(f.cfg.selectQuery())
	status, h, body, err := f.call(ctx, "entra get user", http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		gu, err := decodeUser(body)
		if err != nil || gu.ID == "" {
			return nil, fault.New(fault.Permanent, status, "", "entra get user: unreadable user object")
		}
		return gu.profile(&f.cfg), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("entra user %s: %w", subject, source.ErrNotFound)
	}
	return nil, graphFault(status, h, body)
}

// call sends one Graph request with the token, and once more with a fresh
// token after a 401. body nil sends none.
func (f *Fetcher) call(ctx context.Context, what, method, u string, body []byte) (int, http.Header, []byte, error) {
	return f.token.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		if body == nil {
			return sourcekit.Get(ctx, f.hc, what, u, sourcekit.Bearer(tok))
		}
		return sourcekit.Send(ctx, f.hc, what, method, u, "application/json", body, sourcekit.Bearer(tok))
	})
}

// graphFault classifies a Graph error ({"error":{"code","message",
// "innerError"}}). A 429 (or 503) carries Retry-After in seconds, which
// fault.FromHTTP reads; without one, a throttled call waits a second.
func graphFault(status int, h http.Header, body []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	fe := fault.FromHTTP(status, h, e.Error.Code, e.Error.Message)
	if fe.Class == fault.Throttled && fe.RetryAfter == 0 {
		fe.RetryAfter = time.Second
	}
	return fe
}
