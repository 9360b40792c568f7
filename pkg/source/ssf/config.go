package ssf

import (
	"errors"
	"fmt"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "ssf"

// Subject formats (RFC 9493) this adapter can key a profile by.
var subjectFormats = []string{"iss_sub", "opaque", "email", "phone_number"}

// Spec is an SSF source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "OpenID Shared Signals (SSF 1.0, CAEP, RISC) push delivery per RFC 8935: Security Event Tokens checked against the transmitter's JWKS; 202, or 400 with an RFC 8935 error.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "jwks_url", Type: spec.String, Required: true, Description: "The transmitter's signing keys (jwks_uri of its /.well-known/ssf-configuration)."},
		{Name: "issuer", Type: spec.String, Required: true, Description: "The SETs' iss: the transmitter's issuer."},
		{Name: "audience", Type: spec.String, Required: true, Description: "The SETs' aud: the stream's audience, e.g. this webhook's URL."},
		{Name: "authorization", Type: spec.StringList, Description: "The stream's authorization_header value(s), verbatim, at least 16 characters; empty: none required."},
		{Name: "subject_formats", Type: spec.StringList, Default: []string{"iss_sub", "opaque"}, Description: "The sub_id formats that key a profile, of iss_sub, opaque, email, phone_number."},
		{Name: "credential_change", Type: spec.Bool, Default: false, Description: "Pass CAEP credential-change on as an update (Custom.credential_change); else ignored."},
	},
}

// Config is an SSF source's secret, as JSON:
//
//	{"kind":"ssf","environment":"prod",
//	 "jwks_url":"https://idp.example.com/jwks", "issuer":"https://idp.example.com/",
//	 "audience":"https://<api>/webhooks/ssf", "authorization":["Bearer …"]}
type Config struct {
	Kind             string   `json:"kind"`
	Environment      string   `json:"environment"`
	JWKSURL          string   `json:"jwks_url"`
	Issuer           string   `json:"issuer"`
	Audience         string   `json:"audience"`
	Authorization    []string `json:"authorization"`
	SubjectFormats   []string `json:"subject_formats"`
	CredentialChange bool     `json:"credential_change"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("ssf{environment:%q jwks_url:%q issuer:%q audience:%q authorization:%d subject_formats:%v}",
		c.Environment, c.JWKSURL, c.Issuer, c.Audience, len(c.Authorization), c.SubjectFormats)
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
	errs = append(errs, sourcekit.HTTPURL("jwks_url", c.JWKSURL), sourcekit.Required("issuer", c.Issuer), sourcekit.Required("audience", c.Audience))
	for i, a := range c.Authorization {
		if len(a) < 16 {
			errs = append(errs, sourcekit.Field("authorization", "value %d: shorter than 16 characters", i))
		}
	}
	if len(c.SubjectFormats) == 0 {
		c.SubjectFormats = []string{"iss_sub", "opaque"}
	}
	for _, f := range c.SubjectFormats {
		if !contains(subjectFormats, f) {
			errs = append(errs, sourcekit.Field("subject_formats", "%q is not one of %v", f, subjectFormats))
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
