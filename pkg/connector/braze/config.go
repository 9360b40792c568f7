package braze

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
)

// MaxTrackBatch is the most attribute objects /users/track takes in one
// request; MaxDeleteBatch the most external ids /users/delete takes.
const (
	MaxTrackBatch  = 75
	MaxDeleteBatch = 50
)

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

var settingsKeys = []string{"max_batch", "update_existing_only", "opt_out_subscription_groups"}

// DecodeSettings reads a mapping's settings, rejecting unknown keys, and
// fills in defaults. Errors name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
		return Settings{}, err
	}
	if _, set := m["max_batch"]; !set {
		s.MaxBatch = MaxTrackBatch
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
	if s.MaxBatch < 1 || s.MaxBatch > MaxTrackBatch {
		errs = append(errs, fmt.Errorf(`field "max_batch": want 1 to %d`, MaxTrackBatch))
	}
	for i, g := range s.OptOutSubscriptionGroups {
		if strings.TrimSpace(g) == "" {
			errs = append(errs, fmt.Errorf(`field "opt_out_subscription_groups[%d]": empty`, i))
		}
	}
	return errors.Join(errs...)
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("braze secret: %w", err)
	}
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, errors.New(`field "api_key": required (a REST API key)`))
	}
	if c.BaseURL == "" {
		errs = append(errs, errors.New(`field "base_url": required (the REST endpoint, e.g. https://rest.iad-01.braze.com)`))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New(`field "base_url": want an absolute http(s) URL such as https://rest.iad-01.braze.com`))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("braze secret: %w", err)
	}
	return c, nil
}
