package eventbridge

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestDecodeSettings(t *testing.T) {
	s, err := DecodeSettings(map[string]any{"bus_name": "customer-profiles"})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{BusName: "customer-profiles", Source: "profilesync", DetailType: "ProfileChanged", DeleteDetailType: "ProfileDeleted"}
	if s != want {
		t.Fatalf("defaults = %+v", s)
	}
	tests := []struct {
		name     string
		settings map[string]any
		field    string // "" for valid
	}{
		{"arn", map[string]any{"bus_name": "arn:aws:events:eu-west-1:123456789012:event-bus/profiles"}, ""},
		{"partner bus", map[string]any{"bus_name": "aws.partner/acme.com/123/profiles"}, ""},
		{"all set", map[string]any{"bus_name": "default", "source": "com.acme.profiles", "detail_type": "Changed", "delete_detail_type": "Gone"}, ""},
		{"no bus", map[string]any{}, "bus_name"},
		{"bad bus", map[string]any{"bus_name": "my bus"}, "bus_name"},
		{"bus name of 256", map[string]any{"bus_name": strings.Repeat("b", 256)}, ""},
		{"bus name over 256", map[string]any{"bus_name": strings.Repeat("b", 257)}, "bus_name"},
		{"arn with a name over 256", map[string]any{"bus_name": "arn:aws:events:eu-west-1:123456789012:event-bus/" + strings.Repeat("b", 257)}, "bus_name"},
		{"aws source", map[string]any{"bus_name": "b", "source": "aws.events"}, "source"},
		{"long detail type", map[string]any{"bus_name": "b", "detail_type": strings.Repeat("x", 129)}, "detail_type"},
		{"control character", map[string]any{"bus_name": "b", "delete_detail_type": "a\nb"}, "delete_detail_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSettings(tt.settings)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `"`+tt.field+`"`) {
				t.Fatalf("err = %v, want one naming %q", err, tt.field)
			}
		})
	}
}

func TestParseCredentials(t *testing.T) {
	for _, ok := range []string{``, ` `, `{}`, `{"region":"eu-central-1"}`, `{"endpoint":"http://127.0.0.1:5000","region":"us-east-1"}`} {
		if _, err := ParseCredentials([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for secret, field := range map[string]string{
		`{"endpoint":"localhost:5000"}`:      "endpoint",
		`{"region":"Europe"}`:                "region",
		`{"access_key_id":"AKIAEXAMPLEKEY"}`: "access_key_id",
		`{"region":}`:                        "JSON",
	} {
		_, err := ParseCredentials([]byte(secret))
		if err == nil || !strings.Contains(err.Error(), field) || strings.Contains(err.Error(), "AKIAEXAMPLEKEY") {
			t.Errorf("%s: err = %v, want one naming %s without the value", secret, err, field)
		}
	}
}

func TestClassifyCall(t *testing.T) {
	withStatus := func(status int, err error) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
	}
	tests := []struct {
		name  string
		err   error
		class fault.Class
		code  string
	}{
		{"throttled", withStatus(400, &smithy.GenericAPIError{Code: "ThrottlingException"}), fault.Throttled, "ThrottlingException"},
		{"internal", withStatus(500, &smithy.GenericAPIError{Code: "InternalException"}), fault.Transient, "InternalException"},
		{"bad signature", withStatus(400, &smithy.GenericAPIError{Code: "InvalidSignatureException"}), fault.Auth, "InvalidSignatureException"},
		{"access denied", withStatus(400, &smithy.GenericAPIError{Code: "AccessDeniedException"}), fault.Permanent, "AccessDeniedException"},
		{"unknown 503", withStatus(503, &smithy.GenericAPIError{Code: "Whatever"}), fault.Transient, "Whatever"},
		{"status only", withStatus(502, errors.New("bad gateway")), fault.Transient, ""},
		{"network", errors.New("connection reset"), fault.Transient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classifyCall(tt.err, nil)
			if e.Class != tt.class || e.Code != tt.code {
				t.Fatalf("classifyCall = %+v, want %v %q", e, tt.class, tt.code)
			}
		})
	}
	e := classifyCall(&smithy.GenericAPIError{Code: "ValidationException", Message: "bad value jane@example.com"}, []string{"jane@example.com"})
	if strings.Contains(e.Error(), "jane@example.com") {
		t.Fatalf("%v quotes a sent value", e)
	}
}
