package zitadel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "zitadel"

// DefaultToleranceSeconds is the replay window ZITADEL's own validator uses.
const DefaultToleranceSeconds = 300

// Spec is a ZITADEL source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "ZITADEL Actions v2 targets (ZITADEL-Signature HMAC-SHA256 with a timestamp); the user is fetched from the User Service v2.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "signing_key", Type: spec.String, Required: true, Description: "The target's signing key, returned when the target is created or its key rotated."},
		{Name: "tolerance_seconds", Type: spec.Int, Default: DefaultToleranceSeconds, Description: "The replay window."},
		{Name: "api_url", Type: spec.String, Required: true, Description: "The instance, e.g. https://acme-abc123.zitadel.cloud."},
		{Name: "token", Type: spec.String, Required: true, Description: "A personal access token of a service user allowed to read users (Org User Manager or IAM User Read)."},
	},
}

// Config is a ZITADEL source's secret, as JSON:
//
//	{"kind":"zitadel","environment":"prod",
//	 "signing_key":"…", "tolerance_seconds":300,
//	 "api_url":"https://acme-abc123.zitadel.cloud", "token":"…"}
type Config struct {
	Kind             string `json:"kind"`
	Environment      string `json:"environment"`
	SigningKey       string `json:"signing_key"`
	ToleranceSeconds int    `json:"tolerance_seconds"`
	APIURL           string `json:"api_url"`
	Token            string `json:"token"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("zitadel{environment:%q tolerance_seconds:%d api_url:%q}", c.Environment, c.ToleranceSeconds, c.APIURL)
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
	errs = append(errs, sourcekit.Required("signing_key", c.SigningKey))
	if c.ToleranceSeconds == 0 {
		c.ToleranceSeconds = DefaultToleranceSeconds
	}
	if c.ToleranceSeconds < 0 {
		errs = append(errs, sourcekit.Field("tolerance_seconds", "must be positive"))
	}
	errs = append(errs, sourcekit.HTTPURL("api_url", c.APIURL), sourcekit.Required("token", c.Token))
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	return errors.Join(errs...)
}
