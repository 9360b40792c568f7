package scim

import "net/http"

// authorize sets the secret's credentials on req: SCIM leaves auth to the
// provider, and in practice it is an OAuth bearer token (a long-lived one
// issued in the provider's admin console) or Basic.
func (c *Client) authorize(req *http.Request) {
	if c.creds.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.creds.Token)
		return
	}
	req.SetBasicAuth(c.creds.Username, c.creds.Password)
}
