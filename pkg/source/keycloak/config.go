package keycloak

import (
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "keycloak"

// The signature algorithms phasetwo offers, by its names.
const (
	AlgHmacSHA256 = "HmacSHA256"
	AlgHmacSHA1   = "HmacSHA1"
)

// Spec is a Keycloak source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Keycloak with phasetwo keycloak-events webhooks (X-Keycloak-Signature HMAC); the user is fetched from the Admin REST API.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "secret", Type: spec.String, Required: true, Description: "The webhook's secret, as set on the phasetwo webhook; use 32 or more random characters."},
		{Name: "algorithm", Type: spec.String, Enum: []string{AlgHmacSHA256, AlgHmacSHA1}, Default: AlgHmacSHA256, Description: "The webhook's signature algorithm."},
		{Name: "base_url", Type: spec.String, Required: true, Description: "The Keycloak server, e.g. https://sso.example.com (add /auth for Keycloak before 17)."},
		{Name: "realm", Type: spec.String, Required: true, Description: "The realm whose users the webhook reports."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "A confidential client of that realm with a service account holding realm-management view-users."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "Its secret."},
	},
}

// Config is a Keycloak source's secret, as JSON:
//
//	{"kind":"keycloak","environment":"prod",
//	 "secret":"…", "algorithm":"HmacSHA256",
//	 "base_url":"https://sso.example.com", "realm":"acme",
//	 "client_id":"profilesync", "client_secret":"…"}
type Config struct {
	Kind         string `json:"kind"`
	Environment  string `json:"environment"`
	Secret       string `json:"secret"`
	Algorithm    string `json:"algorithm"`
	BaseURL      string `json:"base_url"`
	Realm        string `json:"realm"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("keycloak{environment:%q algorithm:%q base_url:%q realm:%q client_id:%q}",
		c.Environment, c.Algorithm, c.BaseURL, c.Realm, c.ClientID)
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
	errs = append(errs, sourcekit.Required("secret", c.Secret))
	switch c.Algorithm {
	case "":
		c.Algorithm = AlgHmacSHA256
	case AlgHmacSHA256, AlgHmacSHA1:
	default:
		errs = append(errs, sourcekit.Field("algorithm", "want %s or %s, got %q", AlgHmacSHA256, AlgHmacSHA1, c.Algorithm))
	}
	errs = append(errs, sourcekit.HTTPURL("base_url", c.BaseURL))
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Realm == "" || strings.ContainsAny(c.Realm, "/?#") {
		errs = append(errs, sourcekit.Field("realm", "required, a realm name"))
	}
	errs = append(errs, sourcekit.Required("client_id", c.ClientID), sourcekit.Required("client_secret", c.ClientSecret))
	return errors.Join(errs...)
}
