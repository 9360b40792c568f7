package braze

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/spec"
)

// MaxTrackBatch is the most attribute objects /users/track takes in one
// request; MaxDeleteBatch the most external ids /users/delete takes.
const (
	MaxTrackBatch  = 75
	MaxDeleteBatch = 50
)

// Spec is the braze connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "braze",
	Summary: "Braze user profiles by external_id (/users/track in batches, /users/delete).",
	Settings: []spec.Field{
		{Name: "max_batch", Type: spec.Int, Default: MaxTrackBatch, Description: "Attribute objects per /users/track request, 1 to 75; use 50 on the Monthly Active Users CY 24-25 plan."},
		{Name: "update_existing_only", Type: spec.Bool, Default: false, Description: "Send _update_existing_only, so an upsert never creates a profile."},
		{Name: "opt_out_subscription_groups", Type: spec.StringList, Description: "Subscription group ids that an opt-out also unsubscribes."},
	},
	Secret: []spec.Field{
		{Name: "api_key", Type: spec.String, Required: true, Description: "A REST API key with users.track and users.delete."},
		{Name: "base_url", Type: spec.String, Required: true, Description: "The workspace's REST endpoint, e.g. https://rest.iad-01.braze.com."},
	},
}

// Settings are the non-secret options a mapping file gives a Braze target.
type Settings struct {
	// MaxBatch is how many attribute objects one /users/track request
	// carries: 75 (default), or less for workspaces on the Monthly Active
	// Users CY 24-25 plan, which allows 50 updates per request.
	MaxBatch int `json:"max_batch"`
	// UpdateExistingOnly sends "_update_existing_only": true, so an upsert
	// never creates a profile.
	UpdateExistingOnly bool `json:"update_existing_only"`
	// OptOutSubscriptionGroups are subscription group ids an opt-out also
	// unsubscribes, besides the global email_subscribe state.
	OptOutSubscriptionGroups []string `json:"opt_out_subscription_groups"`
}

// Credentials come from the target's secret and are never logged.
type Credentials struct {
	// APIKey is a REST API key with users.track and users.delete.
	APIKey string `json:"api_key"`
	// BaseURL is the workspace's REST endpoint, e.g.
	// https://rest.iad-01.braze.com or https://rest.fra-01.braze.eu.
	BaseURL string `json:"base_url"`
}

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
	if s.MaxBatch < 1 || s.MaxBatch > MaxTrackBatch {
		errs = append(errs, spec.Errorf(spec.At("max_batch"), "want 1 to %d", MaxTrackBatch))
	}
	for i, g := range s.OptOutSubscriptionGroups {
		if strings.TrimSpace(g) == "" {
			errs = append(errs, spec.Errorf(spec.At("opt_out_subscription_groups", spec.Index(i)), "empty"))
		}
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("braze secret: %w", err)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Credentials{}, fmt.Errorf("braze secret: %w", spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL such as https://rest.iad-01.braze.com"))
	}
	return c, nil
}
