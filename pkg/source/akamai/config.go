package akamai

import (
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "akamai"

// DefaultTypeName is the Capture entity type read by the Fetcher.
const DefaultTypeName = "user"

// Spec is an Akamai source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Akamai Identity Cloud Security Event Tokens (RS256, JWKS); the profile is fetched from Capture.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "jwks_url", Type: spec.String, Required: true, Description: "The signing keys, e.g. https://v1.api.us.janrain.com/<customer id>/login/jwk."},
		{Name: "issuer", Type: spec.String, Required: true, Description: "The tokens' iss."},
		{Name: "audience", Type: spec.String, Required: true, Description: "The tokens' aud: this webhook's URL."},
		{Name: "capture_url", Type: spec.String, Required: true, Description: "The Capture app, e.g. https://<app>.us.janraincapture.com."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "The Capture client (Basic auth) that reads entities."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "Its secret."},
		{Name: "type_name", Type: spec.String, Default: DefaultTypeName, Description: "The Capture entity type."},
	},
}

// Config is an Akamai source's secret, as JSON:
//
//	{"kind":"akamai","environment":"prod",
//	 "jwks_url":"https://v1.api.us.janrain.com/<customerId>/login/jwk",
//	 "issuer":"https://v1.api.us.janrain.com/<customerId>/webhooks",
//	 "audience":"https://profilesync.example.com/hooks/akamai",
//	 "capture_url":"https://acme.us.janraincapture.com",
//	 "client_id":"...","client_secret":"...","type_name":"user"}
//
// type_name defaults to "user"; environment is optional; the rest are
// required. jwks_url and capture_url must be https: the keys jwks_url
// serves decide what is authentic. Where http is allowed (the local
// sandbox, a named host) is the egress policy's to say (pkg/egress), in one
// place for every source and connector: New checks both URLs against it.
type Config struct {
	Kind         string `json:"kind"`
	Environment  string `json:"environment"`
	JWKSURL      string `json:"jwks_url"`
	Issuer       string `json:"issuer"`
	Audience     string `json:"audience"`
	CaptureURL   string `json:"capture_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	TypeName     string `json:"type_name"`
}

// String keeps the client secret out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("akamai{environment:%q issuer:%q capture_url:%q client_id:%q}", c.Environment, c.Issuer, c.CaptureURL, c.ClientID)
}

// ParseConfig decodes and validates an Akamai config. Unknown keys are
// errors; every problem names its field.
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
	if c.TypeName == "" {
		c.TypeName = DefaultTypeName
	}
	errs = append(errs,
		sourcekit.HTTPURL("jwks_url", c.JWKSURL),
		sourcekit.Required("issuer", c.Issuer),
		sourcekit.Required("audience", c.Audience),
		sourcekit.HTTPURL("capture_url", c.CaptureURL),
		sourcekit.Required("client_id", c.ClientID),
		sourcekit.Required("client_secret", c.ClientSecret),
	)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.CaptureURL = strings.TrimRight(c.CaptureURL, "/")
	return nil
}
