package standardwebhooks

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
)

// Fetcher reads users from the Clerk Backend API (GET /v1/users/{id}).
type Fetcher struct {
	cfg Config
	hc  *http.Client
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher, or nil when cfg has no api_url: Clerk's
// webhooks carry full snapshots, so a fetcher is optional.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if cfg.APIURL == "" {
		return nil, nil
	}
	if err := sourcekit.CheckEgress(hc, "api_url", cfg.APIURL); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg, hc: sourcekit.Client(hc)}, nil
}

// New returns the Parser and the Fetcher (nil without api_url) of the source
// instance name.
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

// Fetch implements source.Fetcher.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "clerk fetch: empty subject")
	}
	status, h, body, err := sourcekit.Get(ctx, f.hc, "clerk get user", f.cfg.APIURL+"/v1/users/"+url.PathEscape(subject), sourcekit.Bearer(f.cfg.APIKey))
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var u clerkUser
		if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
			return nil, fault.New(fault.Permanent, status, "", "clerk get user: unreadable user object")
		}
		return u.profile(), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("clerk user %s: %w", subject, source.ErrNotFound)
	}
	// Clerk errors: {"errors":[{"code":"...","message":"..."}]}
	var e struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	var code, msg string
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		code, msg = e.Errors[0].Code, e.Errors[0].Message
	}
	return nil, fault.FromHTTP(status, h, code, msg)
}
