package salesforce

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
		name       string
		status     int
		header     http.Header
		body       string
		class      fault.Class
		code       string
		retryAfter time.Duration
	}{
		{"expired session", 401, nil, `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`, fault.Auth, "INVALID_SESSION_ID", 0},
		{"daily limit", 403, nil, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, fault.Throttled, "REQUEST_LIMIT_EXCEEDED", LimitRetryAfter},
		{"limit with Retry-After", 403, http.Header{"Retry-After": {"120"}}, `[{"message":"x","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, fault.Throttled, "REQUEST_LIMIT_EXCEEDED", 2 * time.Minute},
		{"row lock", 400, nil, `[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]`, fault.Transient, "UNABLE_TO_LOCK_ROW", 0},
		{"row lock in trigger", 400, nil, `[{"message":"ContactTrigger: execution of AfterUpdate caused by: System.DmlException: Update failed. first error: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access","errorCode":"CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY"}]`, fault.Transient, "UNABLE_TO_LOCK_ROW", 0},
		{"other trigger failure", 400, nil, `[{"message":"ContactTrigger: System.NullPointerException","errorCode":"CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY"}]`, fault.Permanent, "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", 0},
		{"multiple matches", 300, nil, `["/services/data/v62.0/sobjects/Contact/003A","/services/data/v62.0/sobjects/Contact/003B"]`, fault.Permanent, "MULTIPLE_CHOICES", 0},
		{"required field", 400, nil, `[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]`, fault.Permanent, "REQUIRED_FIELD_MISSING", 0},
		{"invalid field", 400, nil, `[{"message":"No such column 'Foo__c' on sobject of type Contact","errorCode":"INVALID_FIELD"}]`, fault.Permanent, "INVALID_FIELD", 0},
		{"no access", 403, nil, `[{"message":"insufficient access rights","errorCode":"INSUFFICIENT_ACCESS"}]`, fault.Permanent, "INSUFFICIENT_ACCESS", 0},
		{"bad object on upsert", 404, nil, `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`, fault.Permanent, "NOT_FOUND", 0},
		{"server error", 500, nil, `[{"message":"An unexpected error occurred","errorCode":"UNKNOWN_EXCEPTION"}]`, fault.Transient, "UNKNOWN_EXCEPTION", 0},
		{"unavailable, html body", 503, nil, `<html>maintenance</html>`, fault.Transient, "", 0},
		{"retired version", 410, nil, `[{"message":"gone","errorCode":"API_VERSION_RETIRED"}]`, fault.Permanent, "API_VERSION_RETIRED", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			e := classify(tt.status, h, []byte(tt.body), nil)
			if e.Class != tt.class || e.Code != tt.code || e.Status != tt.status || e.RetryAfter != tt.retryAfter {
				t.Fatalf("classify = %+v; want class %v code %q retry %v", e, tt.class, tt.code, tt.retryAfter)
			}
		})
	}
}

func TestClassifyRedactsSentValues(t *testing.T) {
	fields := map[string]any{"LastName": "Verylongsurname", "Email": "jane@example.com", "Nested": map[string]any{"Phone": "+4912345"}}
	body := `[{"message":"Last Name: data value too large: Verylongsurname (max length=10); invalid email address: jane@example.com; +4912345","errorCode":"STRING_TOO_LONG","fields":["LastName"]}]`
	e := classify(400, http.Header{}, []byte(body), redact.SentValues(fields))
	for _, v := range []string{"Verylongsurname", "jane@example.com", "+4912345"} {
		if strings.Contains(e.Error(), v) {
			t.Fatalf("error %q contains the sent value %q", e, v)
		}
	}
	if !strings.Contains(e.Error(), "LastName") || e.Class != fault.Permanent {
		t.Fatalf("error %q lost the field name or class", e)
	}
}

func TestClassifyToken(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		class  fault.Class
		code   string
	}{
		{"bad secret", 400, `{"error":"invalid_client","error_description":"invalid client credentials"}`, fault.Permanent, "invalid_client"},
		{"flow disabled", 400, `{"error":"invalid_grant","error_description":"no client credentials user enabled"}`, fault.Permanent, "invalid_grant"},
		{"rate limited", 400, `{"error":"rate_limit_exceeded","error_description":"too many"}`, fault.Throttled, "rate_limit_exceeded"},
		{"down", 503, ``, fault.Transient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classifyToken(tt.status, http.Header{}, []byte(tt.body))
			if e.Class != tt.class || e.Code != tt.code {
				t.Fatalf("classifyToken = %+v; want %v %q", e, tt.class, tt.code)
			}
		})
	}
}

func TestClassifyRecord(t *testing.T) {
	tests := []struct {
		name  string
		errs  []collectionError
		class fault.Class
		code  string
	}{
		{"row lock", []collectionError{{StatusCode: "UNABLE_TO_LOCK_ROW", Message: "unable to obtain exclusive access"}}, fault.Transient, "UNABLE_TO_LOCK_ROW"},
		{"row lock in a trigger", []collectionError{{StatusCode: "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", Message: "Trigger: first error: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access"}}, fault.Transient, "UNABLE_TO_LOCK_ROW"},
		{"rolled back for another record", []collectionError{{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK", Message: "Record rolled back"}}, fault.Transient, "ALL_OR_NONE_OPERATION_ROLLED_BACK"},
		{"validation rule", []collectionError{{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "blocked"}}, fault.Permanent, "FIELD_CUSTOM_VALIDATION_EXCEPTION"},
		{"required field", []collectionError{{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [LastName]", Fields: []string{"LastName"}}}, fault.Permanent, "REQUIRED_FIELD_MISSING"},
		{"unknown field", []collectionError{{StatusCode: "INVALID_FIELD", Message: "No such column"}}, fault.Permanent, "INVALID_FIELD"},
		{"duplicate external id", []collectionError{{StatusCode: "DUPLICATE_EXTERNAL_ID", Message: "more than one record found"}}, fault.Permanent, "DUPLICATE_EXTERNAL_ID"},
		{"duplicate rule", []collectionError{{StatusCode: "DUPLICATES_DETECTED", Message: "duplicate"}}, fault.Permanent, "DUPLICATES_DETECTED"},
		{"limit", []collectionError{{StatusCode: "REQUEST_LIMIT_EXCEEDED", Message: "limit"}}, fault.Throttled, "REQUEST_LIMIT_EXCEEDED"},
		{"rolled back and invalid", []collectionError{{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK"}, {StatusCode: "STRING_TOO_LONG"}}, fault.Permanent, "ALL_OR_NONE_OPERATION_ROLLED_BACK"},
		{"no errors given", nil, fault.Transient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classifyRecord(tt.errs, nil)
			if e.Class != tt.class || e.Code != tt.code || e.Status != 0 {
				t.Fatalf("classifyRecord = %+v; want %v %q", e, tt.class, tt.code)
			}
		})
	}
	e := classifyRecord([]collectionError{{StatusCode: "INVALID_EMAIL_ADDRESS", Message: "Email: invalid email address: jane@example.com", Fields: []string{"Email"}}},
		redact.SentValues(map[string]any{"Email": "jane@example.com"}))
	if strings.Contains(e.Error(), "jane@example.com") || !strings.Contains(e.Error(), "[fields: Email]") {
		t.Fatalf("error %q must keep the field and drop the value", e)
	}
}
