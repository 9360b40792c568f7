package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Fetcher reads a subject's profile with one GET of the configured URL
// template and picks fetch_fields out of the JSON answer.
type Fetcher struct {
	name  string
	url   string
	token string
	hc    *http.Client
	k     *compiled
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher, or nil when cfg has no fetch_url. hc nil
// means the production egress client with a 10 s timeout; the URL must
// meet hc's egress policy.
func NewFetcher(name string, cfg Config, hc *http.Client) (*Fetcher, error) {
	k, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	if cfg.FetchURL == "" {
		return nil, nil
	}
	hc = sourcekit.Client(hc)
	if err := sourcekit.CheckEgress(hc, "fetch_url", strings.ReplaceAll(cfg.FetchURL, "{subject}", "s")); err != nil {
		return nil, err
	}
	return &Fetcher{name: name, url: cfg.FetchURL, token: cfg.FetchToken, hc: hc, k: k}, nil
}

// New returns the Parser and Fetcher (nil without fetch_url) of the source
// instance name.
func New(name string, cfg Config, hc *http.Client) (*Parser, *Fetcher, error) {
	p, err := NewParser(name, cfg)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFetcher(name, cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// Fetch implements source.Fetcher.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "webhook fetch: empty subject")
	}
	var h http.Header
	if f.token != "" {
		h = sourcekit.Bearer(f.token)
	}
	status, h, body, err := sourcekit.Get(ctx, f.hc, "webhook "+f.name+" fetch", strings.ReplaceAll(f.url, "{subject}", url.PathEscape(subject)), h)
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fault.New(fault.Permanent, status, "", "webhook "+f.name+" fetch: the answer is not JSON")
		}
		p, err := buildProfile(f.k.fetchFields, doc, subject)
		if err != nil {
			return nil, fault.New(fault.Permanent, status, "", "webhook "+f.name+" fetch: "+err.Error())
		}
		return p, nil
	case http.StatusNotFound, http.StatusGone:
		return nil, fmt.Errorf("webhook %s: %w", f.name, source.ErrNotFound)
	}
	// The error body may echo the profile: keep only the status.
	return nil, fault.FromHTTP(status, h, "", "")
}
