package sourcekit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// TokenMargin is how long before its expiry a cached token is replaced, so
// a token never expires between our check and the CIAM's.
const TokenMargin = 60 * time.Second

// ClientAssertionType is RFC 7523's client_assertion_type of a JWT.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientCredentials fetches and caches an OAuth 2.0 client-credentials
// token (RFC 6749 §4.4). It is safe for concurrent use; concurrent callers
// share one token request.
type ClientCredentials struct {
	Platform     string // for error messages: "keycloak token: …"
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Basic sends the client in an Authorization: Basic header
	// (client_secret_basic) instead of the form (client_secret_post).
	Basic bool
	// Assertion, when set, authenticates the client with a JWT it signs
	// (private_key_jwt, RFC 7523 §2.2) instead of ClientSecret: it returns
	// the client_assertion of a token request sent at now.
	Assertion func(now time.Time) (string, error)
	// Extra form parameters, e.g. resource and scope for Logto, audience
	// for Auth0.
	Extra url.Values
	// AuthCodes are error codes beyond RFC 6749's invalid_client and
	// unauthorized_client that mean the client itself was refused (Auth0's
	// access_denied), so a rotated secret is picked up.
	AuthCodes []string
	HTTP      *http.Client
	Now       func() time.Time // nil: time.Now

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Token returns the cached token or fetches a new one. A rejected client
// is fault.Auth (RFC 6749 §5.2 allows 400 for it), a 429 or 5xx is
// retryable by its status, and a 200 without a token is transient.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if c.token != "" && now().Before(c.expires) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	for k, v := range c.Extra {
		form[k] = v
	}
	switch {
	case c.Assertion != nil:
		a, err := c.Assertion(now())
		if err != nil {
			return "", fault.Wrap(fault.Permanent, fmt.Errorf("%s token: client assertion: %w", c.Platform, err))
		}
		form.Set("client_assertion_type", ClientAssertionType)
		form.Set("client_assertion", a)
	case !c.Basic:
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fault.Wrap(fault.Permanent, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.Basic && c.Assertion == nil {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret)) // RFC 6749 §2.3.1
	}
	resp, err := Client(c.HTTP).Do(req)
	if err != nil {
		return "", fault.Wrap(fault.Transient, fmt.Errorf("%s token: %w", c.Platform, err))
	}
	body, err := ReadBody(resp)
	if err != nil {
		return "", fault.Wrap(fault.Transient, fmt.Errorf("%s token: %w", c.Platform, err))
	}
	if resp.StatusCode != http.StatusOK {
		code, msg := OAuthError(body)
		fe := fault.FromHTTP(resp.StatusCode, resp.Header, code, msg)
		if code == "invalid_client" || code == "unauthorized_client" || slices.Contains(c.AuthCodes, code) {
			fe.Class = fault.Auth
		}
		return "", fe
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fault.New(fault.Transient, resp.StatusCode, "", c.Platform+" token: response without access_token")
	}
	c.token = tr.AccessToken
	c.expires = now().Add(time.Duration(tr.ExpiresIn)*time.Second - TokenMargin)
	return c.token, nil
}

// Invalidate drops tok unless a concurrent caller already replaced it, so
// the next Token call fetches a fresh one (after a 401 on a resource).
func (c *ClientCredentials) Invalidate(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// Get runs get with the cached token and, when the resource answers 401 (a
// token revoked before its expiry, sessions cleared by an admin), once
// more with a fresh one. get returns the status, headers and body; a
// transport error is the caller's to classify.
func (c *ClientCredentials) Get(ctx context.Context, get func(ctx context.Context, token string) (int, http.Header, []byte, error)) (int, http.Header, []byte, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	status, h, body, err := get(ctx, tok)
	if err != nil || status != http.StatusUnauthorized {
		return status, h, body, err
	}
	c.Invalidate(tok)
	if tok, err = c.Token(ctx); err != nil {
		return 0, nil, nil, err
	}
	return get(ctx, tok)
}

// OAuthError reads an RFC 6749 §5.2 error body {"error","error_description"}.
func OAuthError(b []byte) (code, msg string) {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", ""
	}
	return e.Error, e.ErrorDescription
}
