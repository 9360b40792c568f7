package okta

import (
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
		{Name: "api_token", Type: spec.String, Required: true, Description: "An API token (SSWS) allowed to read users."},
	},
}

// Config is an Okta source's secret, as JSON:
//
//	{"kind":"okta","environment":"prod","auth_header":"Authorization",
//	 "secrets":["<the hook's header value>"],
//	 "org_url":"https://acme.okta.com","api_token":"00a…"}
type Config struct {
	Kind        string   `json:"kind"`
	Environment string   `json:"environment"`
	AuthHeader  string   `json:"auth_header"`
	Secrets     []string `json:"secrets"`
	OrgURL      string   `json:"org_url"`
	APIToken    string   `json:"api_token"`

	digests [][sha256.Size]byte
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("okta{environment:%q auth_header:%q secrets:%d org_url:%q}", c.Environment, c.AuthHeader, len(c.Secrets), c.OrgURL)
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
	errs = append(errs, sourcekit.HTTPURL("org_url", c.OrgURL), sourcekit.Required("api_token", c.APIToken))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.OrgURL = strings.TrimRight(c.OrgURL, "/")
	return nil
}
