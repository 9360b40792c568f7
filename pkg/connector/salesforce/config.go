package salesforce

import (
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"net/url"
	"regexp"
	"strings"
)

// DefaultAPIVersion is the REST API version used when a mapping names none.
// From v46.0 an upsert that updates answers 200 with a body (and the record
// id); older versions answer 204 with none.
const DefaultAPIVersion = "v62.0"

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
	apiNameRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)
	apiVersionRE = regexp.MustCompile(`^v[1-9][0-9]*\.[0-9]$`)
)

var settingsKeys = []string{"object", "external_id_field", "api_version"}

// DecodeSettings reads a mapping's settings, rejecting unknown keys, and
// fills in defaults. Errors name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
		return Settings{}, err
	}
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
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
	var errs []error
	switch {
	case s.Object == "":
		errs = append(errs, errors.New(`field "object": required (the sObject name, e.g. "Contact")`))
	case !apiNameRE.MatchString(s.Object):
		errs = append(errs, fmt.Errorf(`field "object": %q is not an sObject API name`, s.Object))
	}
	switch {
	case s.ExternalIDField == "":
		errs = append(errs, errors.New(`field "external_id_field": required (an External ID field, e.g. "ProfileSync_Id__c")`))
	case !apiNameRE.MatchString(s.ExternalIDField):
		errs = append(errs, fmt.Errorf(`field "external_id_field": %q is not a field API name`, s.ExternalIDField))
	case strings.EqualFold(s.ExternalIDField, "Id"):
		errs = append(errs, errors.New(`field "external_id_field": "Id" is the record id, not an External ID field`))
	}
	if !apiVersionRE.MatchString(s.APIVersion) {
		errs = append(errs, fmt.Errorf(`field "api_version": %q is not a version like %q`, s.APIVersion, DefaultAPIVersion))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("salesforce secret: %w", err)
	}
	var errs []error
	if c.LoginURL == "" {
		errs = append(errs, errors.New(`field "login_url": required`))
	} else if u, err := url.Parse(c.LoginURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New(`field "login_url": want an absolute http(s) URL such as https://acme.my.salesforce.com`))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New(`field "client_id": required`))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New(`field "client_secret": required`))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("salesforce secret: %w", err)
	}
	return c, nil
}
