package hubspot

import (
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestClassify(t *testing.T) {
	rolling := `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c1","policyName":"TEN_SECONDLY_ROLLING","groupName":"g"}`
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		class  fault.Class
		code   string
		after  time.Duration
	}{
		{"rolling, interval header", 429, http.Header{"X-Hubspot-Ratelimit-Interval-Milliseconds": {"10000"}}, rolling, fault.Throttled, "TEN_SECONDLY_ROLLING", 10 * time.Second},
		{"rolling, Retry-After wins", 429, http.Header{"Retry-After": {"3"}, "X-Hubspot-Ratelimit-Interval-Milliseconds": {"10000"}}, rolling, fault.Throttled, "TEN_SECONDLY_ROLLING", 3 * time.Second},
		{"rolling, no headers", 429, nil, rolling, fault.Throttled, "TEN_SECONDLY_ROLLING", RollingRetryAfter},
		{"secondly", 429, nil, `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}`, fault.Throttled, "SECONDLY", SecondlyRetryAfter},
		{"daily", 429, nil, `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`, fault.Throttled, "DAILY", DailyRetryAfter},
		{"429 without a body", 429, nil, ``, fault.Throttled, "", RollingRetryAfter},
		{"private app token", 401, nil, `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`, fault.Permanent, "INVALID_AUTHENTICATION", 0},
		{"expired oauth token", 401, nil, `{"status":"error","message":"The OAuth token used to make this call expired.","category":"EXPIRED_AUTHENTICATION"}`, fault.Permanent, "EXPIRED_AUTHENTICATION", 0},
		{"missing scopes", 403, nil, `{"status":"error","message":"This app hasn't been granted all required scopes","category":"MISSING_SCOPES","errors":[{"message":"One or more of the following scopes are required.","context":"{requiredGranularScopes=[crm.objects.contacts.write]}"}]}`, fault.Permanent, "MISSING_SCOPES", 0},
		{"conflict", 409, nil, `{"status":"error","message":"Contact already exists. Existing ID: 123","correlationId":"c","category":"CONFLICT"}`, fault.Permanent, "CONFLICT", 0},
		{"validation", 400, nil, `{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","subCategory":{"x":1}}`, fault.Permanent, "VALIDATION_ERROR", 0},
		{"server error", 500, nil, `{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}`, fault.Transient, "INTERNAL_ERROR", 0},
		{"gateway html", 502, nil, `<html>bad gateway</html>`, fault.Transient, "", 0},
		{"unavailable with Retry-After", 503, http.Header{"Retry-After": {"30"}}, ``, fault.Throttled, "", 30 * time.Second},
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
	fields := map[string]any{"email": "jane@example.com", "phone": "+4912345678"}
	body := `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address jane@example.com is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]","correlationId":"c-9","category":"VALIDATION_ERROR","errors":[{"message":"bad phone +4912345678","code":"INVALID_PHONE","in":"phone"}]}`
	e := classify(400, http.Header{}, []byte(body), redact.SentValues(fields))
	for _, v := range []string{"jane@example.com", "+4912345678"} {
		if strings.Contains(e.Error(), v) {
			t.Fatalf("error %q contains the sent value %q", e, v)
		}
	}
	for _, want := range []string{"INVALID_EMAIL", "INVALID_PHONE", "in: phone", "correlationId c-9"} {
		if !strings.Contains(e.Error(), want) {
			t.Fatalf("error %q lost %q", e, want)
		}
	}
}

func TestClassifyItem(t *testing.T) {
	tests := []struct {
		category string
		class    fault.Class
	}{
		{"CONFLICT", fault.Permanent}, {"VALIDATION_ERROR", fault.Permanent}, {"OBJECT_NOT_FOUND", fault.Permanent},
		{"RATE_LIMITS", fault.Throttled}, {"INTERNAL_ERROR", fault.Transient}, {"SOMETHING_NEW", fault.Transient},
	}
	for _, tt := range tests {
		e := classifyItem(apiError{Category: tt.category, Message: "m"}, nil)
		if e.Class != tt.class || e.Code != tt.category || e.Status != http.StatusMultiStatus {
			t.Errorf("classifyItem(%s) = %+v, want %v", tt.category, e, tt.class)
		}
	}
}
