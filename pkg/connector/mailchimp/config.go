package mailchimp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/spec"
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

// Spec is the mailchimp connector's settings and secret, once: decoding,
// the mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "mailchimp",
	Summary: "Mailchimp audience members by subscriber hash (the email), archive or permanent delete.",
	Settings: []spec.Field{
		{Name: "list_id", Type: spec.String, Required: true, Description: "The audience (list) id, e.g. a1b2c3d4e5."},
		{Name: "status_if_new", Type: spec.String, Enum: statuses, Default: "subscribed", Description: "The status a new member gets (pending: double opt-in)."},
		{Name: "delete_mode", Type: spec.String, Enum: []string{DeleteArchive, DeletePermanent}, Default: DeleteArchive,
			Description: "archive: the address can be re-added; permanent: it can never be re-imported."},
		{Name: "key_merge_field", Type: spec.String, Description: "A merge tag such as PSID that receives the key."},
		{Name: "skip_merge_validation", Type: spec.Bool, Default: false, Description: "Accept members whose required merge fields are missing."},
	},
	Secret: []spec.Field{
		{Name: "api_key", Type: spec.String, Description: "An API key ending in its data centre (…-us21), which names the API host; or give access_token."},
		{Name: "access_token", Type: spec.String, Description: "An OAuth 2 token instead of api_key; needs base_url."},
		{Name: "base_url", Type: spec.String, Description: "The API root, e.g. https://us21.api.mailchimp.com/3.0 (or the sandbox)."},
	},
}

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
	statuses   = []string{"subscribed", "pending", "unsubscribed", "transactional"}
	listIDRE   = lazyregexp.New(`^[A-Za-z0-9]{1,32}$`)
	mergeTagRE = lazyregexp.New(`^[A-Z0-9_]{1,10}$`)
	dcRE       = lazyregexp.New(`^[a-z]+[0-9]+$`)
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
	if s.ListID != "" && !listIDRE.MatchString(s.ListID) {
		errs = append(errs, spec.Errorf(spec.At("list_id"), "want letters and digits only"))
	}
	if s.StatusIfNew == "" {
		errs = append(errs, spec.Errorf(spec.At("status_if_new"), "required"))
	}
	if s.DeleteMode == "" {
		errs = append(errs, spec.Errorf(spec.At("delete_mode"), "required"))
	}
	if s.KeyMergeField != "" && !mergeTagRE.MatchString(s.KeyMergeField) {
		errs = append(errs, spec.Errorf(spec.At("key_merge_field"), `want a merge tag such as "PSID" (A-Z, 0-9, _; at most 10)`))
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("mailchimp secret: %w", err)
	}
	var errs []error
	switch {
	case c.APIKey == "" && c.AccessToken == "":
		errs = append(errs, spec.Errorf(spec.At("api_key"), `required (or "access_token")`))
	case c.APIKey != "" && c.AccessToken != "":
		errs = append(errs, spec.Errorf(spec.At("access_token"), `give either "api_key" or "access_token", not both`))
	case c.AccessToken != "" && c.BaseURL == "":
		errs = append(errs, spec.Errorf(spec.At("base_url"), `required with "access_token" (e.g. https://us21.api.mailchimp.com/3.0)`))
	case c.APIKey != "" && c.BaseURL == "" && dataCenter(c.APIKey) == "":
		errs = append(errs, spec.Errorf(spec.At("api_key"), `does not end in a data centre such as "-us21"`))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL"))
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
