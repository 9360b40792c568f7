package scim

import (
	"net/http"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
)

// authorize sets the secret's credentials on h: SCIM leaves auth to the
// provider, and in practice it is an OAuth bearer token (a long-lived one
// issued in the provider's admin console) or Basic.
func (c *Client) authorize(h http.Header) {
	if c.creds.Token != "" {
		h.Set("Authorization", "Bearer "+c.creds.Token)
		return
	}
	h.Set("Authorization", connectorkit.BasicAuth(c.creds.Username, c.creds.Password))
}
