package zuora

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/spec"
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

// Spec is the zuora connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "zuora",
	Summary: "Zuora contacts by a custom id field (looked up, then created or updated; deleted or scrubbed).",
	Settings: []spec.Field{
		{Name: "id_field", Type: spec.String, Required: true, Description: "A filterable contact custom field ending in __c that holds the key, e.g. ProfileSyncId__c."},
		{Name: "account_id", Type: spec.String, Description: "The account new contacts join when the mapping produces no accountId."},
		{Name: "lookup", Type: spec.String, Enum: []string{LookupObjectQuery, LookupZOQL}, Default: LookupObjectQuery, Description: "How a contact is found by its key."},
		{Name: "delete_mode", Type: spec.String, Enum: []string{DeleteContact, DeleteScrub}, Default: DeleteContact, Description: "delete the contact, or scrub it (replace PII with dummy values)."},
		{Name: "entity_id", Type: spec.String, Description: "For multi-entity tenants, sent as Zuora-Entity-Ids."},
	},
	Secret: []spec.Field{
		{Name: "base_url", Type: spec.String, Required: true, Description: "The tenant's REST endpoint, e.g. https://rest.apisandbox.zuora.com; the token comes from <base_url>/oauth/token."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "The OAuth client id."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "The OAuth client secret."},
	},
}

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
	customRE = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_]{0,60}__c$`)
	idRE     = lazyregexp.New(`^[A-Za-z0-9-]{1,64}$`)
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
	if s.IDField != "" && !customRE.MatchString(s.IDField) {
		errs = append(errs, spec.Errorf(spec.At("id_field"), `want a custom field API name ending in "__c"`))
	}
	if s.AccountID != "" && !idRE.MatchString(s.AccountID) {
		errs = append(errs, spec.Errorf(spec.At("account_id"), "want a Zuora account id or number"))
	}
	if s.Lookup == "" {
		errs = append(errs, spec.Errorf(spec.At("lookup"), "required"))
	}
	if s.DeleteMode == "" {
		errs = append(errs, spec.Errorf(spec.At("delete_mode"), "required"))
	}
	if s.EntityID != "" && !idRE.MatchString(s.EntityID) {
		errs = append(errs, spec.Errorf(spec.At("entity_id"), "want an entity id"))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("zuora secret: %w", err)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Credentials{}, fmt.Errorf("zuora secret: %w", spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL such as https://rest.zuora.com"))
	}
	return c, nil
}
