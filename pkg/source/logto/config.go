package logto

import (
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "logto"

// Spec is a Logto source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Logto webhooks (logto-signature-sha-256 HMAC); data events carry the user, others are fetched from the Management API.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "signing_key", Type: spec.String, Required: true, Description: "The webhook's signing key (Webhooks → your webhook → Signing key)."},
		{Name: "endpoint", Type: spec.String, Required: true, Description: "The tenant, e.g. https://<tenant-id>.logto.app or your self-hosted URL."},
		{Name: "resource", Type: spec.String, Description: "The Management API indicator; default endpoint + /api (Logto Cloud). Self-hosted: https://default.logto.app/api."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "A machine-to-machine app with a role granting the Management API scope all."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "Its secret."},
	},
}

// Config is a Logto source's secret, as JSON:
//
//	{"kind":"logto","environment":"prod","signing_key":"…",
//	 "endpoint":"https://abc123.logto.app","resource":"https://abc123.logto.app/api",
//	 "client_id":"…","client_secret":"…"}
type Config struct {
	Kind         string `json:"kind"`
	Environment  string `json:"environment"`
	SigningKey   string `json:"signing_key"`
	Endpoint     string `json:"endpoint"`
	Resource     string `json:"resource"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("logto{environment:%q endpoint:%q resource:%q client_id:%q}", c.Environment, c.Endpoint, c.Resource, c.ClientID)
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
	errs = append(errs, sourcekit.Required("signing_key", c.SigningKey), sourcekit.HTTPURL("endpoint", c.Endpoint))
	c.Endpoint = strings.TrimRight(c.Endpoint, "/")
	if c.Resource == "" {
		c.Resource = c.Endpoint + "/api"
	}
	errs = append(errs, sourcekit.Required("client_id", c.ClientID), sourcekit.Required("client_secret", c.ClientSecret))
	return errors.Join(errs...)
}
