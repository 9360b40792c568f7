package okta

import (
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "okta"

// DefaultAuthHeader is the header Okta's authScheme names by default.
const DefaultAuthHeader = "Authorization"

// minSecretLen refuses secrets short enough to guess: the header value is
// all that authenticates a delivery (Okta signs nothing).
const minSecretLen = 16

// Spec is an Okta source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Okta Event Hooks, authenticated by the hook's header secret; the user is fetched from the Users API with an API token.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "auth_header", Type: spec.String, Default: DefaultAuthHeader, Description: "The header the hook's authScheme names (its key)."},
		{Name: "secrets", Type: spec.StringList, Required: true, Description: "The header's value (authScheme value), at least 16 characters; two side by side during a rotation."},
		{Name: "org_url", Type: spec.String, Required: true, Description: "The Okta org, e.g. https://acme.okta.com."},
		{Name: "api_token", Type: spec.String, Description: "An API token (SSWS) allowed to read and update users. Set this or client_id and private_key."},
		{Name: "client_id", Type: spec.String, Description: "OAuth 2.0 instead of api_token: the client ID of an API Services app (client authentication: public key / private key, DPoP off) granted the scopes."},
		{Name: "private_key", Type: spec.String, Description: "client_id: the app's private key, PEM (PKCS#8 or PKCS#1 RSA of at least 2048 bits, or EC P-256)."},
		{Name: "key_id", Type: spec.String, Description: "client_id: the key's kid in the app, needed when the app has several keys."},
		{Name: "scopes", Type: spec.StringList, Description: "client_id: the scopes asked for; default okta.users.read okta.users.manage."},
	},
}

// Config is an Okta source's secret, as JSON:
//
//	{"kind":"okta","environment":"prod","auth_header":"Authorization",
//	 "secrets":["<the hook's header value>"],
//	 "org_url":"https://acme.okta.com","api_token":"00a…"}
//
// or, with OAuth 2.0 client credentials instead of the API token,
//
//	…"client_id":"0oa…","private_key":"-----BEGIN PRIVATE KEY-----\n…","key_id":"…"}
type Config struct {
	Kind        string   `json:"kind"`
	Environment string   `json:"environment"`
	AuthHeader  string   `json:"auth_header"`
	Secrets     []string `json:"secrets"`
	OrgURL      string   `json:"org_url"`
	APIToken    string   `json:"api_token"`
	ClientID    string   `json:"client_id"`
	PrivateKey  string   `json:"private_key"`
	KeyID       string   `json:"key_id"`
	Scopes      []string `json:"scopes"`

	digests [][sha256.Size]byte
	signer  crypto.Signer // the parsed private_key
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("okta{environment:%q auth_header:%q secrets:%d org_url:%q client_id:%q}", c.Environment, c.AuthHeader, len(c.Secrets), c.OrgURL, c.ClientID)
}

// ParseConfig decodes and validates a config. Unknown keys are errors;
// every problem names its field.
func ParseConfig(raw []byte) (Config, error) {
	var c Config
	if err := spec.DecodeJSON(Spec.Secret, raw, &c); err != nil {
		return Config{}, err
	}
	if err := c.normalize(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// normalize fills defaults, validates and digests the secrets. It is
// idempotent.
func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	if c.AuthHeader == "" {
		c.AuthHeader = DefaultAuthHeader
	}
	c.AuthHeader = http.CanonicalHeaderKey(c.AuthHeader)
	if strings.ContainsAny(c.AuthHeader, " :\t") {
		errs = append(errs, sourcekit.Field("auth_header", "not a header name: %q", c.AuthHeader))
	}
	if len(c.Secrets) == 0 {
		errs = append(errs, sourcekit.Field("secrets", "required: the hook's header value"))
	}
	c.digests = c.digests[:0]
	for i, s := range c.Secrets {
		if len(s) < minSecretLen {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("secrets[%d]", i), "%d characters, want at least %d (a long random value)", len(s), minSecretLen))
			continue
		}
		c.digests = append(c.digests, sha256.Sum256([]byte(s)))
	}
	errs = append(errs, sourcekit.HTTPURL("org_url", c.OrgURL), c.normalizeAuth())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.OrgURL = strings.TrimRight(c.OrgURL, "/")
	return nil
}

// DefaultScopes are what a service app asks for: read users for the
// fetch, manage them for the write-back.
var DefaultScopes = []string{"okta.users.read", "okta.users.manage"}

// normalizeAuth checks that exactly one way to call the Users API is
// configured and parses the private key.
func (c *Config) normalizeAuth() error {
	oauth := c.ClientID != "" || c.PrivateKey != "" || c.KeyID != "" || len(c.Scopes) > 0
	switch {
	case c.APIToken != "" && oauth:
		return sourcekit.Field("api_token", "set api_token or client_id and private_key, not both")
	case !oauth && c.APIToken == "":
		return sourcekit.Field("api_token", "required (or client_id and private_key)")
	case !oauth:
		return nil
	}
	var errs []error
	errs = append(errs, sourcekit.Required("client_id", c.ClientID))
	if c.PrivateKey == "" {
		errs = append(errs, sourcekit.Field("private_key", "required with client_id"))
	} else if k, err := parsePrivateKey(c.PrivateKey); err != nil {
		errs = append(errs, sourcekit.Field("private_key", "%v", err))
	} else {
		c.signer = k
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	for i, sc := range c.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\n") {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("scopes[%d]", i), "not a scope"))
		}
	}
	return errors.Join(errs...)
}
