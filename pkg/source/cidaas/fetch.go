package cidaas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// tokenMargin is how long before its expiry a cached token is replaced, so
// a token never expires between our check and cidaas's.
const tokenMargin = 60 * time.Second

// Fetcher reads profiles from the cidaas users API.
type Fetcher struct {
	cfg Config
	hc  *http.Client
	now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

var _ source.Fetcher = (*Fetcher)(nil)

// Option adjusts a Fetcher.
type Option func(*Fetcher)

// WithClock sets the clock that ages cached tokens (tests inject one).
func WithClock(now func() time.Time) Option { return func(f *Fetcher) { f.now = now } }

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client, opts ...Option) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if err := sourcekit.CheckEgress(hc, "base_url", cfg.BaseURL); err != nil {
		return nil, err
	}
	f := &Fetcher{cfg: cfg, hc: sourcekit.Client(hc), now: time.Now}
	for _, o := range opts {
		o(f)
	}
	return f, nil
}

// New returns the Parser and Fetcher of the source instance name.
func New(name string, cfg Config, hc *http.Client, opts ...Option) (*Parser, *Fetcher, error) {
	p, err := NewParser(name, cfg)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFetcher(cfg, hc, opts...)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// Fetch implements source.Fetcher. A 401 on the user read refreshes the
// token once (cidaas may revoke a token before its expires_in).
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "cidaas fetch: empty subject")
	}
	tok, err := f.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	status, h, body, err := f.getUser(ctx, tok, subject)
	if err == nil && status == http.StatusUnauthorized {
		f.invalidate(tok)
		if tok, err = f.accessToken(ctx); err != nil {
			return nil, err
		}
		status, h, body, err = f.getUser(ctx, tok, subject)
	}
	if err != nil {
		return nil, sourcekit.TransportError("cidaas get user", err)
	}
	switch {
	case status == http.StatusOK:
		p, err := decodeUser(body)
		if err != nil {
			return nil, fault.Wrap(fault.Permanent, fmt.Errorf("cidaas user %s: %w", subject, err))
		}
		if p.Sub == "" {
			p.Sub = subject
		}
		return p, nil
	case status == http.StatusNotFound:
		return nil, fmt.Errorf("cidaas user %s: %w", subject, source.ErrNotFound)
	}
	code, msg := errorBody(body)
	return nil, fault.FromHTTP(status, h, code, msg)
}

func (f *Fetcher) getUser(ctx context.Context, tok, subject string) (int, http.Header, []byte, error) {
	u := f.cfg.BaseURL + strings.ReplaceAll(f.cfg.UserPath, "{sub}", url.PathEscape(subject))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	body, err := sourcekit.ReadBody(resp)
	return resp.StatusCode, resp.Header, body, err
}

// accessToken returns the cached token or fetches a new one. The lock is
// held across the token call so concurrent fetches share one request.
func (f *Fetcher) accessToken(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" && f.now().Before(f.expires) {
		return f.token, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {f.cfg.ClientID},
		"client_secret": {f.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.cfg.BaseURL+f.cfg.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fault.Wrap(fault.Permanent, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return "", sourcekit.TransportError("cidaas token", err)
	}
	body, err := sourcekit.ReadBody(resp)
	if err != nil {
		return "", fault.Wrap(fault.Transient, fmt.Errorf("cidaas token: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		code, msg := errorBody(body)
		fe := fault.FromHTTP(resp.StatusCode, resp.Header, code, msg)
		if code == "invalid_client" || code == "unauthorized_client" {
			fe.Class = fault.Auth // RFC 6749 §5.2 allows these with 400
		}
		return "", fe
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fault.New(fault.Transient, resp.StatusCode, "", "cidaas token: response without access_token")
	}
	f.token = tr.AccessToken
	f.expires = f.now().Add(time.Duration(tr.ExpiresIn)*time.Second - tokenMargin)
	return f.token, nil
}

// invalidate drops tok unless a concurrent caller already replaced it.
func (f *Fetcher) invalidate(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token == tok {
		f.token = ""
	}
}

// errorBody reads an OAuth error ({"error","error_description"}) or a cidaas
// API error ({"error":{"code","error"}} / {"error":{"message"}}).
func errorBody(b []byte) (code, msg string) {
	var e struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", ""
	}
	if json.Unmarshal(e.Error, &code) == nil {
		return code, e.ErrorDescription
	}
	var nested struct {
		Code    any    `json:"code"`
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Error, &nested) == nil {
		if nested.Code != nil {
			code = fmt.Sprint(nested.Code)
		}
		return code, firstNonEmpty(nested.Error, nested.Message)
	}
	return "", ""
}
