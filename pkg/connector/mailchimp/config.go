package mailchimp

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
)

// Delete modes.
const (
	// DeleteArchive archives the member (DELETE …/members/{hash}); the
	// address can be re-added later.
	DeleteArchive = "archive"
	// DeletePermanent erases the member (…/actions/delete-permanent); the
	// address can never be re-imported, only re-subscribe itself.
	DeletePermanent = "permanent"
)

// Settings are the non-secret options a mapping file gives a Mailchimp
// target.
type Settings struct {
	// ListID is the audience (list) id, e.g. "a1b2c3d4e5".
	ListID string `json:"list_id"`
	// StatusIfNew is the status a new member gets: subscribed (default),
	// pending (double opt-in), unsubscribed or transactional.
	StatusIfNew string `json:"status_if_new"`
	// DeleteMode is archive (default) or permanent.
	DeleteMode string `json:"delete_mode"`
	// KeyMergeField, when set, is a merge tag (e.g. "PSID") that receives
	// the record key, so the member carries the CIAM subject.
	KeyMergeField string `json:"key_merge_field"`
	// SkipMergeValidation accepts members whose required merge fields are
	// missing (?skip_merge_validation=true).
	SkipMergeValidation bool `json:"skip_merge_validation"`
}

// Credentials come from the target's secret and are never logged. Exactly
// one of APIKey and AccessToken is set.
type Credentials struct {
	// APIKey ends in the data centre ("…-us21"), which names the API host.
	APIKey string `json:"api_key"`
	// AccessToken is an OAuth 2 token; it needs BaseURL, since only the
	// OAuth metadata endpoint knows its data centre.
	AccessToken string `json:"access_token"`
	// BaseURL overrides the API root, e.g. https://us21.api.mailchimp.com/3.0
	// (or the local sandbox).
	BaseURL string `json:"base_url"`
}

var (
	statuses     = []string{"subscribed", "pending", "unsubscribed", "transactional"}
	settingsKeys = []string{"list_id", "status_if_new", "delete_mode", "key_merge_field", "skip_merge_validation"}
	listIDRE     = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
	mergeTagRE   = regexp.MustCompile(`^[A-Z0-9_]{1,10}$`)
	dcRE         = regexp.MustCompile(`^[a-z]+[0-9]+$`)
)

// DecodeSettings reads a mapping's settings, rejecting unknown keys, and
// fills in defaults. Errors name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
		return Settings{}, err
	}
	if s.StatusIfNew == "" {
		s.StatusIfNew = "subscribed"
	}
	if s.DeleteMode == "" {
		s.DeleteMode = DeleteArchive
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
	case s.ListID == "":
		errs = append(errs, errors.New(`field "list_id": required (the audience id)`))
	case !listIDRE.MatchString(s.ListID):
		errs = append(errs, errors.New(`field "list_id": want letters and digits only`))
	}
	if !slices.Contains(statuses, s.StatusIfNew) {
		errs = append(errs, fmt.Errorf(`field "status_if_new": want one of %s`, strings.Join(statuses, ", ")))
	}
	if s.DeleteMode != DeleteArchive && s.DeleteMode != DeletePermanent {
		errs = append(errs, fmt.Errorf(`field "delete_mode": want %q or %q`, DeleteArchive, DeletePermanent))
	}
	if s.KeyMergeField != "" && !mergeTagRE.MatchString(s.KeyMergeField) {
		errs = append(errs, errors.New(`field "key_merge_field": want a merge tag such as "PSID" (A-Z, 0-9, _; at most 10)`))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("mailchimp secret: %w", err)
	}
	var errs []error
	switch {
	case c.APIKey == "" && c.AccessToken == "":
		errs = append(errs, errors.New(`field "api_key": required (or "access_token")`))
	case c.APIKey != "" && c.AccessToken != "":
		errs = append(errs, errors.New(`field "access_token": give either "api_key" or "access_token", not both`))
	case c.AccessToken != "" && c.BaseURL == "":
		errs = append(errs, errors.New(`field "base_url": required with "access_token" (e.g. https://us21.api.mailchimp.com/3.0)`))
	case c.APIKey != "" && c.BaseURL == "" && dataCenter(c.APIKey) == "":
		errs = append(errs, errors.New(`field "api_key": does not end in a data centre such as "-us21"`))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New(`field "base_url": want an absolute http(s) URL`))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("mailchimp secret: %w", err)
	}
	return c, nil
}

// dataCenter is the key's suffix after its last "-", if it looks like one.
func dataCenter(apiKey string) string {
	i := strings.LastIndexByte(apiKey, '-')
	if i < 0 || !dcRE.MatchString(apiKey[i+1:]) {
		return ""
	}
	return apiKey[i+1:]
}

// baseURL is the API root without a trailing slash.
func (c Credentials) baseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return "https://" + dataCenter(c.APIKey) + ".api.mailchimp.com/3.0"
}
