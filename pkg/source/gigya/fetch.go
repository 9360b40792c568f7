package gigya

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

// include is what getAccountInfo returns besides the basics.
const include = "profile,data,preferences,emails,loginIDs"

// Fetcher reads, lists and updates accounts with the accounts REST API.
type Fetcher struct {
	cfg Config
	hc  *http.Client
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if err := sourcekit.CheckEgress(hc, "base_url", cfg.BaseURL); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg, hc: sourcekit.Client(hc)}, nil
}

// New returns the Parser and Fetcher of the source instance name.
func New(name string, cfg Config, hc *http.Client) (*Parser, *Fetcher, error) {
	p, err := NewParser(name, cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFetcher(cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// Fetch implements source.Fetcher with accounts.getAccountInfo. An
// unknown (or deleted) UID is errorCode 403005, which is ErrNotFound here,
// not an auth failure.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	a, err := f.account(ctx, subject, include)
	if err != nil {
		return nil, err
	}
	return a.profile(), nil
}

func (f *Fetcher) account(ctx context.Context, subject, include string) (*account, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "gigya fetch: empty subject")
	}
	body, env, err := f.call(ctx, "accounts.getAccountInfo", url.Values{"UID": {subject}, "include": {include}})
	if err != nil {
		if env != nil && env.ErrorCode == CodeUnauthorizedUID {
			return nil, fmt.Errorf("gigya account %s: %w", subject, source.ErrNotFound)
		}
		return nil, err
	}
	var a account
	if err := json.Unmarshal(body, &a); err != nil || a.UID == "" {
		return nil, fault.New(fault.Permanent, http.StatusOK, "", "gigya accounts.getAccountInfo: unreadable account")
	}
	return &a, nil
}
