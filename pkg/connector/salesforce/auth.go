package salesforce

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/fault"
)

// session is one access token and the instance it is valid for. Salesforce
// tokens carry no expiry (they last as long as the org's session timeout),
// so a session is used until an API call answers 401 (a nil live func in
// the token cache).
type session struct {
	token       string
	instanceURL string // no trailing slash
}

func newTokenSource(c Credentials, hc *http.Client) *connectorkit.ClientCredentials[session] {
	return connectorkit.NewClientCredentials(func(ctx context.Context) (*session, error) {
		return fetchSession(ctx, c, hc)
	}, nil)
}

// tokenResponse is the part of the token endpoint's answer we use.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
}

// fetchSession runs the OAuth 2.0 client credentials flow against the My
// Domain token endpoint.
func fetchSession(ctx context.Context, c Credentials, hc *http.Client) (*session, error) {
	endpoint := strings.TrimRight(c.LoginURL, "/") + "/services/oauth2/token"
	status, h, body, err := connectorkit.PostClientCredentials(ctx, hc, "salesforce", endpoint, c.ClientID, c.ClientSecret, maxBody)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, classifyToken(status, h, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" || tr.InstanceURL == "" {
		return nil, fault.New(fault.Transient, status, "", "token response without access_token or instance_url")
	}
	u, err := url.Parse(tr.InstanceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fault.New(fault.Transient, status, "", "token response has an invalid instance_url")
	}
	return &session{token: tr.AccessToken, instanceURL: strings.TrimRight(tr.InstanceURL, "/")}, nil
}
