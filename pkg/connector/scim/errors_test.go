package scim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

func scimError(status, scimType, detail string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"` + status +
		`","scimType":"` + scimType + `","detail":"` + detail + `"}`
}

// The lookup succeeds with no match; the POST answers with the case's
// status and body.
func TestErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		class      fault.Class
		code, msg  string
		retryAfter time.Duration
	}{
		{"invalidValue", 400, nil, scimError("400", "invalidValue", "userName jane@example.test is not valid"),
			fault.Permanent, "invalidValue", "userName [redacted] is not valid", 0},
		{"invalidSyntax", 400, nil, scimError("400", "invalidSyntax", "bad body"), fault.Permanent, "invalidSyntax", "bad body", 0},
		{"mutability", 400, nil, scimError("400", "mutability", "id is readOnly"), fault.Permanent, "mutability", "id is readOnly", 0},
		{"tooMany", 400, nil, scimError("400", "tooMany", "narrow it"), fault.Permanent, "tooMany", "narrow it", 0},
		{"numeric status", 400, nil, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":400,"scimType":"invalidPath","detail":"p"}`,
			fault.Permanent, "invalidPath", "p", 0},
		{"403", 403, nil, scimError("403", "", "forbidden"), fault.Permanent, "", "forbidden", 0},
		{"413", 413, nil, scimError("413", "", "too large"), fault.Permanent, "", "too large", 0},
		{"501", 501, nil, scimError("501", "", "not implemented"), fault.Permanent, "", "not implemented", 0},
		{"500", 500, nil, scimError("500", "", "oops"), fault.Transient, "", "oops", 0},
		{"503 with Retry-After", 503, map[string]string{"Retry-After": "30"}, "<html>down</html>", fault.Throttled, "", "", 30 * time.Second},
		{"429 without Retry-After", 429, nil, "", fault.Throttled, "", "", 0},
		{"401", 401, nil, scimError("401", "", "token expired"), fault.Auth, "", "token expired", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.Write([]byte(`{"schemas":["` + msgListResponse + `"],"totalResults":0,"Resources":[]}`))
					return
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			s, _ := DecodeSettings(nil)
			c, err := New("s", s, Credentials{BaseURL: srv.URL, Token: "t"}, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Upsert(context.Background(), rec("u-1", map[string]any{"userName": "jane@example.test"}))
			fe := fault.As(err)
			if fe.Class != tt.class || fe.Status != tt.status || fe.Code != tt.code || fe.Message != tt.msg || fe.RetryAfter != tt.retryAfter {
				t.Fatalf("err = %+v", fe)
			}
			if strings.Contains(err.Error(), "jane@example.test") {
				t.Fatalf("error %q quotes a value we sent", err)
			}
		})
	}
}

func TestSandboxRefusesAUserWithoutUserName(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	_, err := st.c.Upsert(context.Background(), rec("u-1", map[string]any{"displayName": "no userName"}))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Status != 400 || fe.Code != "invalidValue" {
		t.Fatalf("err = %+v", fe)
	}
}

func TestAmbiguousExternalIDAndNetworkErrors(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	st.fake.Seed(map[string]any{"userName": "a", "externalId": "u-1"})
	st.fake.Seed(map[string]any{"userName": "b", "externalId": "u-1"})
	if err := st.c.Delete(context.Background(), rec("u-1", nil)); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("two matches = %v, want permanent", err)
	}
	s, _ := DecodeSettings(nil)
	c, _ := New("s", s, Credentials{BaseURL: "http://127.0.0.1:1", Token: "t"}, egress.Client(egress.Local, 5*time.Second))
	err := c.Delete(context.Background(), rec("u-1", nil))
	if fault.ClassOf(err) != fault.Transient || strings.Contains(err.Error(), "127.0.0.1:1/Users") {
		t.Fatalf("network error = %v, want transient without the URL", err)
	}
}
