package braze

import (
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
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSettings(tt.in)
			if tt.errField == "" {
				if err != nil || got.MaxBatch != tt.want.MaxBatch || got.UpdateExistingOnly != tt.want.UpdateExistingOnly ||
					!slices.Equal(got.OptOutSubscriptionGroups, tt.want.OptOutSubscriptionGroups) {
					t.Fatalf("DecodeSettings = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("error = %v, want one naming %s", err, tt.errField)
			}
			if CheckSettings(tt.in) == nil {
				t.Fatal("CheckSettings accepted what DecodeSettings refused")
			}
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
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredentials([]byte(tt.in))
			if tt.errField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("error = %v, want one naming %s", err, tt.errField)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345678") {
				t.Fatalf("error %q quotes a secret", err)
			}
		})
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
