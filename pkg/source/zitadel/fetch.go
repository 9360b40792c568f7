package zitadel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Fetcher reads users from the ZITADEL User Service v2.
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

// Fetch implements source.Fetcher. A personal access token does not
// refresh: a 401 is fault.Auth, which a new token in the secret cures.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "zitadel fetch: empty subject")
	}
	status, h, body, err := sourcekit.Get(ctx, f.hc, "zitadel get user", f.cfg.APIURL+"/v2/users/"+url.PathEscape(subject), sourcekit.Bearer(f.cfg.Token))
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		var r userResponse
		if err := json.Unmarshal(body, &r); err != nil || r.User.UserID == "" {
			return nil, fault.New(fault.Permanent, status, "", "zitadel get user: unreadable user")
		}
		return r.profile(), nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("zitadel user %s: %w", subject, source.ErrNotFound)
	}
	// gRPC-gateway error: {"code":<gRPC code>,"message":"…","details":[…]}.
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	var code string
	if json.Unmarshal(body, &e) == nil && e.Code != 0 {
		code = strconv.Itoa(e.Code)
	}
	return nil, fault.FromHTTP(status, h, code, e.Message)
}
