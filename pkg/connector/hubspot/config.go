package hubspot

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultBaseURL is HubSpot's API host.
const DefaultBaseURL = "https://api.hubapi.com"

// DeleteMode is what Delete does to a contact.
type DeleteMode string

const (
	// DeleteArchive moves the contact to the recycling bin, restorable for
	// 90 days (GET by id_property, then DELETE by record id).
	DeleteArchive DeleteMode = "archive"
	// DeleteGDPR deletes the contact permanently with everything associated,
	// and blocklists its email from being used again.
	DeleteGDPR DeleteMode = "gdpr"
)

// Spec is the hubspot connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "hubspot",
	Summary: "HubSpot contacts by a unique property (batch upsert, archive or GDPR delete, unsubscribe).",
	Settings: []spec.Field{
		{Name: "id_property", Type: spec.String, Required: true, Description: "A contact property with unique values that holds the key, e.g. profilesync_id."},
		{Name: "delete_mode", Type: spec.String, Required: true, Enum: []string{string(DeleteArchive), string(DeleteGDPR)},
			Description: "archive: find the contact by id_property and DELETE it, restorable for 90 days; gdpr: permanent, blocklists the email."},
		{Name: "optout_subscription_id", Type: spec.String, Description: "The email subscription type id (digits, as a string) an opt-out unsubscribes from; opt-out needs it."},
	},
	Secret: []spec.Field{
		{Name: "access_token", Type: spec.String, Required: true, Description: "The private app's access token (pat-…)."},
		{Name: "base_url", Type: spec.String, Default: DefaultBaseURL, Description: "The API host (set it for the sandbox)."},
	},
}

// Settings are the non-secret options a mapping file gives a HubSpot target.
type Settings struct {
	// IDProperty is the contact property with unique values (hasUniqueValue)
	// that holds the record key, e.g. "profilesync_id". Upserts and deletes
	// address contacts by it.
	IDProperty string `json:"id_property"`
	// DeleteMode is archive or gdpr; required, as the two differ in what
	// can be undone.
	DeleteMode DeleteMode `json:"delete_mode"`
	// OptOutSubscriptionID is the email subscription type OptOut removes the
	// contact from (communication preferences v3). Empty: no opt-out.
	OptOutSubscriptionID string `json:"optout_subscription_id"`
}

// Credentials come from the target's secret and are never logged.
type Credentials struct {
	// AccessToken is the private app's access token (pat-...).
	AccessToken string `json:"access_token"`
	// BaseURL is the API host; default DefaultBaseURL (set it for the
	// sandbox).
	BaseURL string `json:"base_url"`
}

var (
	// Property internal names: lower-case letters, digits and underscores,
	// starting with a letter.
	propertyRE = lazyregexp.New(`^[a-z][a-z0-9_]{0,99}$`)
	digitsRE   = lazyregexp.New(`^[1-9][0-9]{0,19}$`)
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

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// Validate checks every field and reports all problems at once.
func (s Settings) Validate() error {
	errs := []error{spec.Validate(Spec.Settings, s)}
	switch {
	case s.IDProperty == "":
	case !propertyRE.MatchString(s.IDProperty):
		errs = append(errs, spec.Errorf(spec.At("id_property"), "%q is not a property internal name (lower case, digits, underscores)", s.IDProperty))
	case s.IDProperty == "hs_object_id":
		errs = append(errs, spec.Errorf(spec.At("id_property"), `"hs_object_id" is HubSpot's record id, not a unique property the key can live in`))
	}
	if s.OptOutSubscriptionID != "" && !digitsRE.MatchString(s.OptOutSubscriptionID) {
		errs = append(errs, spec.Errorf(spec.At("optout_subscription_id"), "%q is not a subscription type id (digits, as a string)", s.OptOutSubscriptionID))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("hubspot secret: %w", err)
	}
	var errs []error
	if strings.ContainsAny(c.AccessToken, " \t\r\n") {
		errs = append(errs, spec.Errorf(spec.At("access_token"), "contains whitespace"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL without a query, e.g. https://api.hubapi.com"))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("hubspot secret: %w", err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, nil
}
