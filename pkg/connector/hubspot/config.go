package hubspot

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
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
	propertyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)
	digitsRE   = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)

	settingsKeys = []string{"id_property", "delete_mode", "optout_subscription_id"}
)

// DecodeSettings reads a mapping's settings, rejecting unknown keys. Errors
// name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
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
	var errs []error
	switch {
	case s.IDProperty == "":
		errs = append(errs, errors.New(`field "id_property": required (a contact property with unique values, e.g. "profilesync_id")`))
	case !propertyRE.MatchString(s.IDProperty):
		errs = append(errs, fmt.Errorf(`field "id_property": %q is not a property internal name (lower case, digits, underscores)`, s.IDProperty))
	case s.IDProperty == "hs_object_id":
		errs = append(errs, errors.New(`field "id_property": "hs_object_id" is HubSpot's record id, not a unique property the key can live in`))
	}
	switch s.DeleteMode {
	case DeleteArchive, DeleteGDPR:
	case "":
		errs = append(errs, errors.New(`field "delete_mode": required (archive: restorable for 90 days; gdpr: permanent, blocklists the email)`))
	default:
		errs = append(errs, fmt.Errorf(`field "delete_mode": %q is not one of archive, gdpr`, s.DeleteMode))
	}
	if s.OptOutSubscriptionID != "" && !digitsRE.MatchString(s.OptOutSubscriptionID) {
		errs = append(errs, fmt.Errorf(`field "optout_subscription_id": %q is not a subscription type id (digits, as a string)`, s.OptOutSubscriptionID))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("hubspot secret: %w", err)
	}
	var errs []error
	if c.AccessToken == "" {
		errs = append(errs, errors.New(`field "access_token": required (the private app's access token)`))
	} else if strings.ContainsAny(c.AccessToken, " \t\r\n") {
		errs = append(errs, errors.New(`field "access_token": contains whitespace`))
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, errors.New(`field "base_url": want an absolute http(s) URL without a query, e.g. https://api.hubapi.com`))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("hubspot secret: %w", err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, nil
}
