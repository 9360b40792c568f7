package zuora

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/fault"
)

// expiryMargin renews a token this long before Zuora says it expires, so a
// request never leaves with a token about to lapse.
const expiryMargin = time.Minute

// token is one bearer token and when to stop using it.
type token struct {
	value   string
	expires time.Time
}

// newTokenSource caches one token for every goroutine of a Client and
// fetches a new one at most once per invalidation or expiry.
func newTokenSource(c Credentials, base string, hc *http.Client, now func() time.Time) *connectorkit.ClientCredentials[token] {
	return connectorkit.NewClientCredentials(
		func(ctx context.Context) (*token, error) { return fetchToken(ctx, c, base, hc, now) },
		func(t *token) bool { return now().Before(t.expires) },
	)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// fetchToken runs the client credentials flow against POST /oauth/token
// (form encoded, no auth header).
func fetchToken(ctx context.Context, c Credentials, base string, hc *http.Client, now func() time.Time) (*token, error) {
	status, h, body, err := connectorkit.PostClientCredentials(ctx, hc, "zuora", base+"/oauth/token", c.ClientID, c.ClientSecret, maxBody)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, classifyToken(status, h, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return nil, fault.New(fault.Transient, status, "", "token response without access_token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 2*expiryMargin {
		life = 2 * expiryMargin // absent or tiny: use it briefly, then renew
	}
	return &token{value: tr.AccessToken, expires: now().Add(life - expiryMargin)}, nil
}
