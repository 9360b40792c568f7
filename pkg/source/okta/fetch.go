package okta

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

// Fetcher reads users from the Okta Users API.
type Fetcher struct {
	cfg    Config
	hc     *http.Client
	now    func() time.Time
	tokens *sourcekit.ClientCredentials // nil with an API token
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	hc = sourcekit.Client(hc)
	return &Fetcher{cfg: cfg, hc: hc, now: time.Now, tokens: newTokens(cfg, hc)}, nil
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

// Fetch implements source.Fetcher: GET /api/v1/users/{id}, with the API
// token or an OAuth 2.0 access token (see Config).
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "okta fetch: empty subject")
	}
	status, h, body, err := f.do(ctx, func(ctx context.Context, auth http.Header) (int, http.Header, []byte, error) {
		return sourcekit.Get(ctx, f.hc, "okta get user", f.cfg.OrgURL+"/api/v1/users/"+url.PathEscape(subject), auth)
	})
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
		p, err := decodeUser(body)
		if err != nil || p.Sub == "" {
			return nil, fault.New(fault.Permanent, status, "", "okta get user: unreadable user object")
		}
		return p, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("okta user %s: %w", subject, source.ErrNotFound)
	}
	// Okta errors: {"errorCode":"E0000047","errorSummary":"…","errorId":"…"}
	var e struct{ ErrorCode, ErrorSummary string }
	_ = json.Unmarshal(body, &e)
	fe := fault.FromHTTP(status, h, e.ErrorCode, e.ErrorSummary)
	if status == http.StatusTooManyRequests && fe.RetryAfter == 0 {
		fe.RetryAfter = f.untilReset(h)
	}
	return nil, fe
}

// untilReset reads Okta's rate-limit reset (X-Rate-Limit-Reset, epoch
// seconds); Okta sends no Retry-After.
func (f *Fetcher) untilReset(h http.Header) time.Duration {
	secs, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		return 0
	}
	if d := secs - f.now().Unix(); d > 0 {
		return time.Duration(d) * time.Second
	}
	return time.Second // the window has just reset: try again shortly
}
