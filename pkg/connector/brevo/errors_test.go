package brevo

import (
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		class  fault.Class
		code   string
		after  time.Duration
	}{
		{"throttled", 429, http.Header{"X-Sib-Ratelimit-Reset": {"3"}}, `{"code":"too_many_requests","message":"Too many requests"}`, fault.Throttled, "too_many_requests", 3 * time.Second},
		{"throttled, fractional reset", 429, http.Header{"X-Sib-Ratelimit-Reset": {"0.5"}}, ``, fault.Throttled, "", 500 * time.Millisecond},
		{"throttled, no header", 429, nil, ``, fault.Throttled, "", DefaultRetryAfter},
		{"throttled, garbage header", 429, http.Header{"X-Sib-Ratelimit-Reset": {"soon"}}, ``, fault.Throttled, "", DefaultRetryAfter},
		{"key not found", 401, nil, `{"code":"unauthorized","message":"Key not found"}`, fault.Permanent, "unauthorized", 0},
		{"invalid parameter", 400, nil, `{"code":"invalid_parameter","message":"Invalid email address"}`, fault.Permanent, "invalid_parameter", 0},
		{"missing parameter", 400, nil, `{"code":"missing_parameter","message":"email is missing"}`, fault.Permanent, "missing_parameter", 0},
		{"duplicate", 400, nil, `{"code":"duplicate_parameter","message":"Unable to create contact, email is already associated with another Contact","metadata":{"duplicate_identifiers":["email"]}}`, fault.Permanent, "duplicate_parameter", 0},
		{"no credits", 402, nil, `{"code":"not_enough_credits","message":"Not enough credits"}`, fault.Permanent, "not_enough_credits", 0},
		{"permission denied", 403, nil, `{"code":"permission_denied","message":"Permission denied"}`, fault.Permanent, "permission_denied", 0},
		{"under validation", 403, nil, `{"code":"account_under_validation","message":"Your account is under validation"}`, fault.Permanent, "account_under_validation", 0},
		{"not found on update", 404, nil, `{"code":"document_not_found","message":"Contact does not exist"}`, fault.Permanent, "document_not_found", 0},
		{"delete not allowed", 405, nil, `{"code":"method_not_allowed","message":"not allowed"}`, fault.Permanent, "method_not_allowed", 0},
		{"server error", 500, nil, `<html>oops</html>`, fault.Transient, "", 0},
		{"unavailable with Retry-After", 503, http.Header{"Retry-After": {"20"}}, ``, fault.Throttled, "", 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			e := classify(tt.status, h, []byte(tt.body), nil)
			if e.Class != tt.class || e.Code != tt.code || e.Status != tt.status || e.RetryAfter != tt.after {
				t.Fatalf("classify = %+v; want %v %q after %v", e, tt.class, tt.code, tt.after)
			}
		})
	}
}

func TestClassifyRedactsSentValues(t *testing.T) {
	fields := map[string]any{"email": "jane@example.com", "SMS": "+33612345678"}
	body := `{"code":"invalid_parameter","message":"Invalid phone number +33612345678 for contact jane@example.com","metadata":{"duplicate_identifiers":["SMS"]}}`
	e := classify(400, http.Header{}, []byte(body), redact.SentValues(fields))
	for _, v := range []string{"jane@example.com", "+33612345678"} {
		if strings.Contains(e.Error(), v) {
			t.Fatalf("error %q contains the sent value %q", e, v)
		}
	}
	if !strings.Contains(e.Error(), "duplicate: SMS") || e.Class != fault.Permanent {
		t.Fatalf("error %q lost the metadata or class", e)
	}
}
