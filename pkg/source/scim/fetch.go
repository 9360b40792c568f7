package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/source/webhook"
)

// Fetcher reads, writes back and lists users over SCIM /Users. It is safe
// for concurrent use.
type Fetcher struct {
	name string
	cfg  Config
	hc   *http.Client
}

var (
	_ source.Fetcher = (*Fetcher)(nil)
	_ source.Updater = (*Fetcher)(nil)
	_ source.Lister  = (*Fetcher)(nil)
)

// New returns the Parser (the generic web hook's) and the Fetcher of the
// source instance name. hc nil means the production egress client with a
// 10 s timeout; base_url must meet hc's egress policy.
func New(name string, cfg Config, hc *http.Client) (*webhook.Parser, *Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, nil, err
	}
	p, err := webhook.NewParser(name, cfg.hook())
	if err != nil {
		return nil, nil, err
	}
	hc = sourcekit.Client(hc)
	if err := sourcekit.CheckEgress(hc, "base_url", cfg.BaseURL); err != nil {
		return nil, nil, err
	}
	return p, &Fetcher{name: name, cfg: cfg, hc: hc}, nil
}

// Fetch implements source.Fetcher with GET {base_url}/Users/{id}.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "scim get user: empty subject")
	}
	status, h, body, err := sourcekit.Get(ctx, f.hc, "scim get user", f.userURL(subject), f.auth())
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, f.answerError(status, h, body)
	}
	p, err := toProfile(body, f.cfg.Extension)
	if err != nil {
		return nil, fault.New(fault.Permanent, status, "", "scim get user: "+err.Error())
	}
	return p, nil
}

func (f *Fetcher) userURL(id string) string { return f.cfg.BaseURL + "/Users/" + url.PathEscape(id) }

func (f *Fetcher) auth() http.Header { return sourcekit.Bearer(f.cfg.Token) }

// answerError classifies a non-2xx answer: 404 is ErrNotFound, the rest
// by status (401 auth, 429 throttled with Retry-After, 5xx transient).
// Only the RFC 7644 §3.12 scimType is kept: detail may quote the user.
func (f *Fetcher) answerError(status int, h http.Header, body []byte) error {
	if status == http.StatusNotFound {
		return fmt.Errorf("scim %s user: %w", f.name, source.ErrNotFound)
	}
	var e struct {
		ScimType string `json:"scimType"`
	}
	_ = json.Unmarshal(body, &e)
	return fault.FromHTTP(status, h, e.ScimType, "")
}
