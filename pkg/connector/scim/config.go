package scim

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/spec"
)

// Mode is how an existing resource is updated.
type Mode string

const (
	// ModePut replaces the whole resource (PUT): attributes the mapping
	// does not produce are cleared by the server.
	ModePut Mode = "put"
	// ModePatch sends one PatchOp replace per mapped attribute (and a
	// remove for each null): attributes it does not name stay.
	ModePatch Mode = "patch"
)

// Schema URNs (RFC 7643, RFC 7644).
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	msgListResponse  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	msgPatchOp       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	msgError         = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// DefaultEndpoint is the resource endpoint when a mapping names none.
const DefaultEndpoint = "/Users"

// Spec is the scim connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "scim",
	Summary: "SCIM 2.0 resources (RFC 7643/7644) by externalId, replaced with PUT or patched.",
	Settings: []spec.Field{
		{Name: "endpoint", Type: spec.String, Default: DefaultEndpoint, Description: "The resource type's path below base_url."},
		{Name: "schemas", Type: spec.StringList, Default: []string{SchemaUser}, Description: "Schema URNs of every resource body; list each extension whose URN the mapping uses as a key."},
		{Name: "mode", Type: spec.String, Enum: []string{string(ModePut), string(ModePatch)}, Default: string(ModePut),
			Description: "put replaces the whole resource (unmapped attributes are cleared); patch replaces each mapped attribute and removes each null."},
		{Name: "deactivate_on_delete", Type: spec.Bool, Default: false, Description: "Delete sets active: false instead of deleting."},
	},
	Secret: []spec.Field{
		{Name: "base_url", Type: spec.String, Required: true, Description: "The SCIM service root, e.g. https://app.example.com/scim/v2."},
		{Name: "token", Type: spec.String, Description: "A bearer token; or username and password for Basic (not both)."},
		{Name: "username", Type: spec.String, Description: "Basic auth user, with password."},
		{Name: "password", Type: spec.String, Description: "Basic auth password, with username."},
	},
}

// Settings are the non-secret options a mapping file gives a SCIM target.
type Settings struct {
	// Endpoint is the resource type's path below base_url, e.g. "/Users".
	Endpoint string `json:"endpoint"`
	// Schemas go into every resource body; list each extension whose URN
	// the mapping uses as a key.
	Schemas []string `json:"schemas"`
	Mode    Mode     `json:"mode"`
	// DeactivateOnDelete makes Delete set active=false instead of
	// deleting, for providers that keep deprovisioned users.
	DeactivateOnDelete bool `json:"deactivate_on_delete"`
}

// Credentials come from the target's secret: a bearer token, or a
// username and password for Basic. They are never logged.
type Credentials struct {
	// BaseURL is the SCIM service root, e.g. https://app.example.com/scim/v2.
	BaseURL  string `json:"base_url"`
	Token    string `json:"token"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// DecodeSettings reads a mapping's settings as Spec says, and then checks
// what Spec cannot. Errors are *spec.Error, naming the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	if len(s.Schemas) == 0 { // schemas: [] is no schema; the core one is meant
		s.Schemas = []string{SchemaUser}
	}
	return s, s.Validate()
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// Validate checks every field and reports all problems at once.
func (s Settings) Validate() error {
	errs := []error{spec.Validate(Spec.Settings, s)}
	switch {
	case !strings.HasPrefix(s.Endpoint, "/") || len(s.Endpoint) < 2:
		errs = append(errs, spec.Errorf(spec.At("endpoint"), `%q is not a path such as "/Users"`, s.Endpoint))
	case strings.ContainsAny(s.Endpoint, "?#% ") || strings.Contains(s.Endpoint, ".."):
		errs = append(errs, spec.Errorf(spec.At("endpoint"), "%q must be a plain path", s.Endpoint))
	}
	for i, sc := range s.Schemas {
		if !strings.HasPrefix(sc, "urn:") || strings.ContainsAny(sc, " \"") {
			errs = append(errs, spec.Errorf(spec.At("schemas", spec.Index(i)), "%q is not a schema URN", sc))
		}
	}
	if len(s.Schemas) == 0 {
		errs = append(errs, spec.Errorf(spec.At("schemas"), "at least one schema URN"))
	}
	if s.Mode == "" {
		errs = append(errs, spec.Errorf(spec.At("mode"), "required"))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("scim secret: %w", err)
	}
	var errs []error
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL such as https://app.example.com/scim/v2"))
	}
	basic := c.Username != "" || c.Password != ""
	switch {
	case c.Token != "" && basic:
		errs = append(errs, spec.Errorf(spec.At("token"), "set either token or username and password, not both"))
	case c.Token == "" && !basic:
		errs = append(errs, spec.Errorf(spec.At("token"), "required (or username and password for Basic)"))
	case basic && (c.Username == "" || c.Password == ""):
		errs = append(errs, spec.Errorf(spec.At("password"), "Basic needs both username and password"))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("scim secret: %w", err)
	}
	return c, nil
}
