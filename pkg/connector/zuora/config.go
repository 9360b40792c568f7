package zuora

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
)

// How a contact is found by its key.
const (
	// LookupObjectQuery uses GET /object-query/contacts?filter[]=<field>.EQ:<key>.
	LookupObjectQuery = "object_query"
	// LookupZOQL uses POST /v1/action/query with a ZOQL select.
	LookupZOQL = "zoql"
)

// What Delete does.
const (
	DeleteContact = "delete" // DELETE /v1/contacts/{id}
	DeleteScrub   = "scrub"  // PUT /v1/contacts/{id}/scrub: replace PII with dummy values
)

// Settings are the non-secret options a mapping file gives a Zuora target.
type Settings struct {
	// IDField is the contact custom field that holds the record key, e.g.
	// "ProfileSyncId__c". Make it filterable (indexed) in Zuora.
	IDField string `json:"id_field"`
	// AccountID is the customer account new contacts join when the mapping
	// produces no "accountId".
	AccountID string `json:"account_id"`
	// Lookup is object_query (default) or zoql.
	Lookup string `json:"lookup"`
	// DeleteMode is delete (default) or scrub.
	DeleteMode string `json:"delete_mode"`
	// EntityID, for multi-entity tenants, is sent as Zuora-Entity-Ids.
	EntityID string `json:"entity_id"`
}

// Credentials come from the target's secret and are never logged.
type Credentials struct {
	// BaseURL is the tenant's REST endpoint, e.g. https://rest.apisandbox.zuora.com.
	BaseURL      string `json:"base_url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

var (
	settingsKeys = []string{"id_field", "account_id", "lookup", "delete_mode", "entity_id"}
	customRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,60}__c$`)
	idRE         = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

// DecodeSettings reads a mapping's settings, rejecting unknown keys, and
// fills in defaults. Errors name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
		return Settings{}, err
	}
	if s.Lookup == "" {
		s.Lookup = LookupObjectQuery
	}
	if s.DeleteMode == "" {
		s.DeleteMode = DeleteContact
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
	case s.IDField == "":
		errs = append(errs, errors.New(`field "id_field": required (a contact custom field such as "ProfileSyncId__c")`))
	case !customRE.MatchString(s.IDField):
		errs = append(errs, errors.New(`field "id_field": want a custom field API name ending in "__c"`))
	}
	if s.AccountID != "" && !idRE.MatchString(s.AccountID) {
		errs = append(errs, errors.New(`field "account_id": want a Zuora account id or number`))
	}
	if s.Lookup != LookupObjectQuery && s.Lookup != LookupZOQL {
		errs = append(errs, fmt.Errorf(`field "lookup": want %q or %q`, LookupObjectQuery, LookupZOQL))
	}
	if s.DeleteMode != DeleteContact && s.DeleteMode != DeleteScrub {
		errs = append(errs, fmt.Errorf(`field "delete_mode": want %q or %q`, DeleteContact, DeleteScrub))
	}
	if s.EntityID != "" && !idRE.MatchString(s.EntityID) {
		errs = append(errs, errors.New(`field "entity_id": want an entity id`))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("zuora secret: %w", err)
	}
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New(`field "base_url": required (e.g. https://rest.apisandbox.zuora.com)`))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New(`field "base_url": want an absolute http(s) URL such as https://rest.zuora.com`))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New(`field "client_id": required`))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New(`field "client_secret": required`))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("zuora secret: %w", err)
	}
	return c, nil
}
