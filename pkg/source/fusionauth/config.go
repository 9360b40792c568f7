package fusionauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "fusionauth"

// minHMACKey is the shortest HMAC key accepted: 256 bits, what HS256 asks
// for (RFC 7518 §3.2).
const minHMACKey = 32

// Spec is a FusionAuth source's secret, once: decoding and the README
// table derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "FusionAuth webhooks (X-FusionAuth-Signature-JWT: HMAC or RSA/EC via the JWKS, with the body's SHA-256); the user is carried, and fetched from GET /api/user/{userId}.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "hmac_keys", Type: spec.StringList, Description: "The webhook's HMAC signing key (Key Master secret, at least 32 characters); two side by side during a rotation. Set this or jwks_url."},
		{Name: "jwks_url", Type: spec.String, Description: "For an RSA or EC signing key: the JWKS, e.g. https://auth.acme.com/.well-known/jwks.json. Set this or hmac_keys."},
		{Name: "api_url", Type: spec.String, Required: true, Description: "The FusionAuth instance, e.g. https://auth.acme.com."},
		{Name: "api_key", Type: spec.String, Required: true, Description: "An API key allowed GET /api/user (sent raw in Authorization)."},
		{Name: "tenant_id", Type: spec.String, Description: "Sent as X-FusionAuth-TenantId: needed when the key is not tenant-scoped and there are several tenants."},
	},
}

// Config is a FusionAuth source's secret, as JSON:
//
//	{"kind":"fusionauth","environment":"prod",
//	 "hmac_keys":["…"]  or  "jwks_url":"https://auth.acme.com/.well-known/jwks.json",
//	 "api_url":"https://auth.acme.com", "api_key":"…", "tenant_id":"…"}
type Config struct {
	Kind        string   `json:"kind"`
	Environment string   `json:"environment"`
	HMACKeys    []string `json:"hmac_keys"`
	JWKSURL     string   `json:"jwks_url"`
	APIURL      string   `json:"api_url"`
	APIKey      string   `json:"api_key"`
	TenantID    string   `json:"tenant_id"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("fusionauth{environment:%q hmac_keys:%d jwks_url:%q api_url:%q}", c.Environment, len(c.HMACKeys), c.JWKSURL, c.APIURL)
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

func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	if len(c.HMACKeys) == 0 && c.JWKSURL == "" {
		errs = append(errs, sourcekit.Field("hmac_keys", "required unless jwks_url is set"))
	}
	for i, k := range c.HMACKeys {
		if len(k) < minHMACKey {
			errs = append(errs, sourcekit.Field("hmac_keys", "key %d: shorter than %d characters", i, minHMACKey))
		}
	}
	if c.JWKSURL != "" {
		errs = append(errs, sourcekit.HTTPURL("jwks_url", c.JWKSURL))
	}
	errs = append(errs, sourcekit.HTTPURL("api_url", c.APIURL), sourcekit.Required("api_key", c.APIKey))
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	return errors.Join(errs...)
}
