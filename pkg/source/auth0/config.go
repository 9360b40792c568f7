package auth0

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "auth0"

// minTokenLen refuses header values short enough to guess.
const minTokenLen = 16

// Spec is an Auth0 source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Auth0 Log Streams (custom webhook) and Event Streams, authenticated by the Authorization header value; users fetched from the Management API.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "authorization", Type: spec.StringList, Required: true, Description: "The stream's Authorization header value, verbatim (with \"Bearer \" if typed so), at least 16 characters; two side by side during a rotation."},
		{Name: "domain", Type: spec.String, Required: true, Description: "The tenant, e.g. https://acme.eu.auth0.com (or its custom domain)."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "A machine-to-machine application with read:users."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "Its secret."},
		{Name: "audience", Type: spec.String, Description: "The Management API audience; default <domain>/api/v2/."},
	},
}

// Config is an Auth0 source's secret, as JSON:
//
//	{"kind":"auth0","environment":"prod",
//	 "authorization":["Bearer <random>"],
//	 "domain":"https://acme.eu.auth0.com","client_id":"…","client_secret":"…"}
type Config struct {
	Kind          string   `json:"kind"`
	Environment   string   `json:"environment"`
	Authorization []string `json:"authorization"`
	Domain        string   `json:"domain"`
	ClientID      string   `json:"client_id"`
	ClientSecret  string   `json:"client_secret"`
	Audience      string   `json:"audience"`

	digests [][sha256.Size]byte
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("auth0{environment:%q authorization:%d domain:%q client_id:%q}", c.Environment, len(c.Authorization), c.Domain, c.ClientID)
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

// normalize fills defaults, validates and digests the header values. It is
// idempotent.
func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	if len(c.Authorization) == 0 {
		errs = append(errs, sourcekit.Field("authorization", "required: the stream's Authorization header value"))
	}
	c.digests = c.digests[:0]
	for i, a := range c.Authorization {
		if len(a) < minTokenLen {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("authorization[%d]", i), "%d characters, want at least %d (a long random value)", len(a), minTokenLen))
			continue
		}
		c.digests = append(c.digests, sha256.Sum256([]byte(a)))
	}
	errs = append(errs, sourcekit.HTTPURL("domain", c.Domain),
		sourcekit.Required("client_id", c.ClientID), sourcekit.Required("client_secret", c.ClientSecret))
	if c.Audience != "" {
		errs = append(errs, sourcekit.HTTPURL("audience", c.Audience))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.Domain = strings.TrimRight(c.Domain, "/")
	if c.Audience == "" {
		c.Audience = c.Domain + "/api/v2/"
	}
	return nil
}
