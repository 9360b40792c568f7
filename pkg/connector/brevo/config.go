package brevo

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
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

var settingsKeys = []string{"identifier", "list_ids", "opt_out"}

// DecodeSettings reads a mapping's settings, rejecting unknown keys, and
// fills in defaults. Errors name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
		return Settings{}, err
	}
	if s.Identifier == "" {
		s.Identifier = ByExtID
	}
	if s.OptOut == "" {
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
	var errs []error
	switch s.Identifier {
	case ByExtID, ByEmail:
	default:
		errs = append(errs, fmt.Errorf(`field "identifier": %q is not one of ext_id, email`, s.Identifier))
	}
	seen := map[int64]bool{}
	for i, id := range s.ListIDs {
		switch {
		case id <= 0:
			errs = append(errs, fmt.Errorf(`field "list_ids[%d]": %d is not a list id (a positive number)`, i, id))
		case seen[id]:
			errs = append(errs, fmt.Errorf(`field "list_ids[%d]": %d is listed twice`, i, id))
		}
		seen[id] = true
	}
	switch s.OptOut {
	case OptOutBlocklist:
	case OptOutUnlinkLists:
		if len(s.ListIDs) == 0 {
			errs = append(errs, errors.New(`field "opt_out": unlink_lists needs "list_ids"`))
		}
	default:
		errs = append(errs, fmt.Errorf(`field "opt_out": %q is not one of blocklist, unlink_lists`, s.OptOut))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("brevo secret: %w", err)
	}
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, errors.New(`field "api_key": required (an API v3 key, xkeysib-...)`))
	} else if strings.ContainsAny(c.APIKey, " \t\r\n") {
		errs = append(errs, errors.New(`field "api_key": contains whitespace`))
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, errors.New(`field "base_url": want an absolute http(s) URL without a query, e.g. https://api.brevo.com`))
	} else if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/v3") {
		errs = append(errs, errors.New(`field "base_url": leave /v3 out (the connector adds it)`))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("brevo secret: %w", err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, nil
}
