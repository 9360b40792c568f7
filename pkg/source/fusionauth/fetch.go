package fusionauth

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

// Fetcher reads users from the FusionAuth User API.
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

// Fetch implements source.Fetcher. An API key does not refresh: a 401 is
// fault.Auth, which a new key in the secret cures.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "fusionauth fetch: empty subject")
	}
	h := http.Header{"Authorization": {f.cfg.APIKey}} // raw, no scheme
	if f.cfg.TenantID != "" {
		h.Set("X-FusionAuth-TenantId", f.cfg.TenantID)
	}
	status, h, body, err := sourcekit.Get(ctx, f.hc, "fusionauth get user", f.cfg.APIURL+"/api/user/"+url.PathEscape(subject), h)
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		u, err := decodeUser(body)
		if err != nil || u.ID == "" {
			return nil, fault.New(fault.Permanent, status, "", "fusionauth get user: unreadable user")
		}
		return u.profile(), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("fusionauth user %s: %w", subject, source.ErrNotFound)
	}
	// Errors: {"generalErrors":[{"code":"…","message":"…"}],"fieldErrors":{…}}
	// on 400; 401 and 5xx may have no body at all.
	var e struct {
		GeneralErrors []struct {
			Code string `json:"code"`
		} `json:"generalErrors"`
	}
	var codes []string
	if json.Unmarshal(body, &e) == nil {
		for _, g := range e.GeneralErrors {
			codes = append(codes, g.Code)
		}
	}
	return nil, fault.FromHTTP(status, h, strings.Join(codes, ","), "")
}
