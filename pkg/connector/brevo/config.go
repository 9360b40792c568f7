package brevo

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultBaseURL is Brevo's API host; paths start with /v3.
const DefaultBaseURL = "https://api.brevo.com"

// Identifier is what the record key is to Brevo.
type Identifier string

const (
	// ByExtID: the key is the contact's ext_id (EXT_ID attribute), e.g. the
	// CIAM subject. Email changes follow the contact.
	ByExtID Identifier = "ext_id"
	// ByEmail: the key is the contact's email; the mapping's key must
	// produce it. An email change makes a new contact.
	ByEmail Identifier = "email"
)

// identifierType is the identifierType query value for each Identifier.
func (i Identifier) identifierType() string {
	if i == ByEmail {
		return "email_id"
	}
	return "ext_id"
}

// OptOutMode is what OptOut does.
type OptOutMode string

const (
	// OptOutBlocklist sets emailBlacklisted: no email of any kind.
	OptOutBlocklist OptOutMode = "blocklist"
	// OptOutUnlinkLists removes the contact from list_ids.
	OptOutUnlinkLists OptOutMode = "unlink_lists"
)

// Spec is the brevo connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "brevo",
	Summary: "Brevo contacts by ext_id or email, with consent lists and a blocklist opt-out.",
	Settings: []spec.Field{
		{Name: "identifier", Type: spec.String, Enum: []string{string(ByExtID), string(ByEmail)}, Default: string(ByExtID),
			Description: "What the key is to Brevo; with email the mapping's key must produce the email, and a new email makes a new contact."},
		{Name: "list_ids", Type: spec.IntList, Description: "The consent lists: a record whose subscribed field is true joins them, false leaves them."},
		{Name: "opt_out", Type: spec.String, Enum: []string{string(OptOutBlocklist), string(OptOutUnlinkLists)},
			Description: "blocklist sets emailBlacklisted; unlink_lists (needs list_ids) leaves the lists. Default: unlink_lists with list_ids, else blocklist."},
	},
	Secret: []spec.Field{
		{Name: "api_key", Type: spec.String, Required: true, Description: "An API v3 key (xkeysib-…)."},
		{Name: "base_url", Type: spec.String, Default: DefaultBaseURL, Description: "The API host, without /v3 (set it for the sandbox)."},
	},
}

// Settings are the non-secret options a mapping file gives a Brevo target.
type Settings struct {
	// Identifier is ext_id (default) or email.
	Identifier Identifier `json:"identifier"`
	// ListIDs are the consent lists: a record whose "subscribed" field is
	// true is added to them, false removes it.
	ListIDs []int64 `json:"list_ids"`
	// OptOut is blocklist or unlink_lists; default unlink_lists when
	// list_ids is set, else blocklist.
	OptOut OptOutMode `json:"opt_out"`
}

// Credentials come from the target's secret and are never logged.
type Credentials struct {
	APIKey string `json:"api_key"`
	// BaseURL is the API host without /v3; default DefaultBaseURL (set it
	// for the sandbox).
	BaseURL string `json:"base_url"`
}

// DecodeSettings reads a mapping's settings as Spec says, and then checks
// what Spec cannot. Errors are *spec.Error, naming the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	if s.OptOut == "" { // its default depends on list_ids
		s.OptOut = OptOutBlocklist
		if len(s.ListIDs) > 0 {
			s.OptOut = OptOutUnlinkLists
		}
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
	if s.Identifier == "" {
		errs = append(errs, spec.Errorf(spec.At("identifier"), "required"))
	}
	seen := map[int64]bool{}
	for i, id := range s.ListIDs {
		switch {
		case id <= 0:
			errs = append(errs, spec.Errorf(spec.At("list_ids", spec.Index(i)), "%d is not a list id (a positive number)", id))
		case seen[id]:
			errs = append(errs, spec.Errorf(spec.At("list_ids", spec.Index(i)), "%d is listed twice", id))
		}
		seen[id] = true
	}
	switch {
	case s.OptOut == "":
		errs = append(errs, spec.Errorf(spec.At("opt_out"), "required"))
	case s.OptOut == OptOutUnlinkLists && len(s.ListIDs) == 0:
		errs = append(errs, spec.Errorf(spec.At("opt_out"), `unlink_lists needs "list_ids"`))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("brevo secret: %w", err)
	}
	var errs []error
	if strings.ContainsAny(c.APIKey, " \t\r\n") {
		errs = append(errs, spec.Errorf(spec.At("api_key"), "contains whitespace"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL without a query, e.g. https://api.brevo.com"))
	} else if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v3") {
		errs = append(errs, spec.Errorf(spec.At("base_url"), "leave /v3 out (the connector adds it)"))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("brevo secret: %w", err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, nil
}
