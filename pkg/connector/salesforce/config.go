package salesforce

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultAPIVersion is the REST API version used when a mapping names none.
// From v46.0 an upsert that updates answers 200 with a body (and the record
// id); older versions answer 204 with none.
const DefaultAPIVersion = "v62.0"

// Spec is the salesforce connector's settings and secret, once: decoding,
// the mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "salesforce",
	Summary: "Salesforce sObjects upserted by an External ID field (REST API, sObject Collections for batches).",
	Settings: []spec.Field{
		{Name: "object", Type: spec.String, Required: true, Description: "The sObject API name, e.g. Contact."},
		{Name: "external_id_field", Type: spec.String, Required: true, Description: "The External ID field upserts match on (it holds the key), e.g. ProfileSync_Id__c; not Id."},
		{Name: "api_version", Type: spec.String, Default: DefaultAPIVersion, Description: "The REST API version, like v62.0; below v46.0 batches go one record at a time."},
	},
	Secret: []spec.Field{
		{Name: "login_url", Type: spec.String, Required: true, Description: "The org's My Domain URL that serves the token endpoint, e.g. https://acme.my.salesforce.com."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "The connected app's consumer key."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "The connected app's consumer secret."},
	},
}

// Settings are the non-secret options a mapping file gives a Salesforce
// target.
type Settings struct {
	// Object is the sObject API name, e.g. "Contact".
	Object string `json:"object"`
	// ExternalIDField is the External ID field upserts match on, e.g.
	// "ProfileSync_Id__c". It holds the record key (the CIAM subject).
	ExternalIDField string `json:"external_id_field"`
	// APIVersion is the REST API version, e.g. "v62.0".
	APIVersion string `json:"api_version"`
}

// Credentials come from the target's secret and are never logged.
type Credentials struct {
	// LoginURL is the org's My Domain URL that serves the token endpoint,
	// e.g. https://acme.my.salesforce.com.
	LoginURL     string `json:"login_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

var (
	// API names: a letter, then letters, digits and single underscores
	// (custom ones end in __c, which the pattern admits).
	apiNameRE    = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)
	apiVersionRE = lazyregexp.New(`^v[1-9][0-9]*\.[0-9]$`)
)

// DecodeSettings reads a mapping's settings as Spec says, and then checks
// what Spec cannot. Errors are *spec.Error, naming the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	return s, s.Validate()
}

// CheckSettings is what `profilesync validate` runs: DecodeSettings without
// the result.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// Validate checks every field and reports all problems at once.
func (s Settings) Validate() error {
	errs := []error{spec.Validate(Spec.Settings, s)}
	if s.Object != "" && !apiNameRE.MatchString(s.Object) {
		errs = append(errs, spec.Errorf(spec.At("object"), "%q is not an sObject API name", s.Object))
	}
	switch {
	case s.ExternalIDField == "":
	case !apiNameRE.MatchString(s.ExternalIDField):
		errs = append(errs, spec.Errorf(spec.At("external_id_field"), "%q is not a field API name", s.ExternalIDField))
	case strings.EqualFold(s.ExternalIDField, "Id"):
		errs = append(errs, spec.Errorf(spec.At("external_id_field"), `"Id" is the record id, not an External ID field`))
	}
	if !apiVersionRE.MatchString(s.APIVersion) {
		errs = append(errs, spec.Errorf(spec.At("api_version"), "%q is not a version like %q", s.APIVersion, DefaultAPIVersion))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("salesforce secret: %w", err)
	}
	if u, err := url.Parse(c.LoginURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Credentials{}, fmt.Errorf("salesforce secret: %w", spec.Errorf(spec.At("login_url"), "want an absolute http(s) URL such as https://acme.my.salesforce.com"))
	}
	return c, nil
}
