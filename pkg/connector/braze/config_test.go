package braze

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"slices"
	"strings"
	"testing"
)

func TestDecodeSettings(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]any
		want     Settings
		errField string
	}{
		{"defaults", map[string]any{}, Settings{MaxBatch: 75}, ""},
		{"all", map[string]any{"max_batch": 50, "update_existing_only": true, "opt_out_subscription_groups": []any{"g1"}},
			Settings{50, true, []string{"g1"}}, ""},
		{"batch too big", map[string]any{"max_batch": 76}, Settings{}, `"max_batch"`},
		{"batch zero", map[string]any{"max_batch": 0}, Settings{}, `"max_batch"`},
		{"empty group", map[string]any{"opt_out_subscription_groups": []any{" "}}, Settings{}, `"opt_out_subscription_groups[0]"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool {
			return got.MaxBatch == tt.want.MaxBatch && got.UpdateExistingOnly == tt.want.UpdateExistingOnly &&
				slices.Equal(got.OptOutSubscriptionGroups, tt.want.OptOutSubscriptionGroups)
		})
	}
}

func TestParseCredentials(t *testing.T) {
	const secret = "s3cr3t-rest-key"
	tests := []struct {
		name     string
		in       string
		errField string
	}{
		{"ok", `{"api_key":"` + secret + `","base_url":"https://rest.iad-01.braze.com"}`, ""},
		{"relative url", `{"api_key":"` + secret + `","base_url":"rest.iad-01.braze.com"}`, `"base_url"`},
		{"not json", secret, "JSON"},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, nil, secret)
	}
}

func TestBuild(t *testing.T) {
	c, err := Build("b", map[string]any{"max_batch": 60}, []byte(`{"api_key":"k","base_url":"https://rest.fra-01.braze.eu/"}`), nil)
	if err != nil || c.MaxBatch() != 60 || c.base != "https://rest.fra-01.braze.eu" {
		t.Fatalf("Build = %+v, %v", c, err)
	}
	if _, err := Build("b", map[string]any{"max_batch": 100}, []byte(`{}`), nil); err == nil || !strings.Contains(err.Error(), `"max_batch"`) {
		t.Fatalf("Build = %v, want the settings error", err)
	}
}
