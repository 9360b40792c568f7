package okta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

func get(t *testing.T, url, token string) (*http.Response, map[string]any, []any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	var arr []any
	if json.Unmarshal(raw, &obj) != nil {
		_ = json.Unmarshal(raw, &arr)
	}
	return resp, obj, arr
}

func TestFakeUsersAPI(t *testing.T) {
	f := NewFake("00tok")
	f.Put(&profile.Profile{Sub: "00u1", Email: "a@example.com", EmailVerified: true, GivenName: "A", Locale: "de-DE"})
	srv := httptest.NewServer(f)
	defer srv.Close()

	tests := []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"no token", "/api/v1/users/00u1", "", 401, "E0000011"},
		{"bearer instead of SSWS", "/api/v1/users/00u1", "Bearer 00tok", 401, "E0000011"},
		{"wrong token", "/api/v1/users/00u1", "SSWS nope", 401, "E0000011"},
		{"unknown user", "/api/v1/users/00u2", "SSWS 00tok", 404, "E0000007"},
		{"by id", "/api/v1/users/00u1", "SSWS 00tok", 200, ""},
		{"by login", "/api/v1/users/a@example.com", "SSWS 00tok", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, _ := get(t, srv.URL+tt.path, tt.auth)
			if resp.StatusCode != tt.status || resp.Header.Get("X-Rate-Limit-Limit") != strconv.Itoa(RateLimit) {
				t.Fatalf("%d %v", resp.StatusCode, resp.Header)
			}
			if tt.code != "" && (body["errorCode"] != tt.code || body["errorSummary"] == "" || body["errorId"] == nil) {
				t.Fatalf("error body %v", body)
			}
			if tt.status == 200 {
				p := body["profile"].(map[string]any)
				if body["id"] != "00u1" || p["firstName"] != "A" || p["locale"] != "de_DE" || body["status"] != "ACTIVE" {
					t.Fatalf("%v", body)
				}
			}
		})
	}
	now := time.Unix(1735725600, 0)
	f.SetClock(func() time.Time { return now })
	f.FailNext(1, 429, 7*time.Second)
	resp, body, _ := get(t, srv.URL+"/api/v1/users/00u1", "SSWS 00tok")
	if resp.StatusCode != 429 || body["errorCode"] != "E0000047" || resp.Header.Get("X-Rate-Limit-Remaining") != "0" ||
		resp.Header.Get("X-Rate-Limit-Reset") != fmt.Sprint(now.Unix()+7) || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, body)
	}
	if f.Calls("/api/v1/users/00u1") != 5 {
		t.Fatalf("calls %d", f.Calls("/api/v1/users/00u1"))
	}
}

func TestFakeListPages(t *testing.T) {
	f := NewFake("00tok")
	for i := range 5 {
		f.Put(&profile.Profile{Sub: fmt.Sprintf("00u%d", i)})
	}
	srv := httptest.NewServer(http.StripPrefix("/sandbox/okta", f))
	defer srv.Close()
	next := srv.URL + "/sandbox/okta/api/v1/users?limit=2"
	var ids []string
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		resp, _, arr := get(t, next, "SSWS 00tok")
		for _, u := range arr {
			ids = append(ids, u.(map[string]any)["id"].(string))
		}
		next = ""
		for _, l := range resp.Header.Values("Link") {
			if strings.HasSuffix(l, `rel="next"`) {
				next = strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			}
		}
		if next != "" && !strings.HasPrefix(next, srv.URL+"/sandbox/okta/api/v1/users?after=") {
			t.Fatalf("next link %q", next)
		}
	}
	if strings.Join(ids, ",") != "00u0,00u1,00u2,00u3,00u4" {
		t.Fatal(ids)
	}
}
