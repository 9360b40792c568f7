package brevo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

const key = "xkeysib-test"

type api struct {
	t    *testing.T
	fake *Fake
	srv  *httptest.Server
}

func newAPI(t *testing.T) *api {
	fake := NewFake(key)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &api{t: t, fake: fake, srv: srv}
}

func (a *api) do(method, path, body, apiKey string) (*http.Response, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

func TestContactsLifecycle(t *testing.T) {
	a := newAPI(t)
	steps := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/v3/contacts", `{"email":"Jane@Example.com","ext_id":"u/1","attributes":{"FIRSTNAME":"Jane"},"listIds":[2,3]}`, 201, ""},
		{"POST", "/v3/contacts", `{"email":"jane@example.com"}`, 400, "duplicate_parameter"},
		{"POST", "/v3/contacts", `{"email":"jane@example.com","attributes":{"LASTNAME":"Doe"},"updateEnabled":true}`, 204, ""},
		{"POST", "/v3/contacts", `{"attributes":{"FIRSTNAME":"x"}}`, 400, "missing_parameter"},
		{"POST", "/v3/contacts", `{"email":"not-an-email"}`, 400, "invalid_parameter"},
		{"PUT", "/v3/contacts/u%2F1?identifierType=ext_id", `{"attributes":{"EMAIL":"jane.doe@example.com"},"unlinkListIds":[2]}`, 204, ""},
		{"PUT", "/v3/contacts/u%2F1", `{}`, 400, "invalid_parameter"},
		{"PUT", "/v3/contacts/u%2F1?identifierType=sms", `{}`, 400, "invalid_parameter"},
		{"PUT", "/v3/contacts/u%2F9?identifierType=ext_id", `{}`, 404, "document_not_found"},
		{"GET", "/v3/contacts/jane.doe%40example.com", ``, 200, ""},
		{"GET", "/v3/contacts/1", ``, 200, ""},
		{"DELETE", "/v3/contacts/u%2F1?identifierType=ext_id", ``, 204, ""},
		{"DELETE", "/v3/contacts/u%2F1?identifierType=ext_id", ``, 404, "document_not_found"},
		{"PATCH", "/v3/contacts/1", ``, 405, "method_not_allowed"},
		{"GET", "/v3/elsewhere", ``, 404, "document_not_found"},
	}
	for i, s := range steps {
		resp, body := a.do(s.method, s.path, s.body, key)
		if resp.StatusCode != s.status || (s.code != "" && body["code"] != s.code) {
			t.Fatalf("step %d: %s %s = %d %v, want %d %s", i, s.method, s.path, resp.StatusCode, body, s.status, s.code)
		}
		if i == 5 {
			got := a.fake.Records()[0]
			if got.Email != "jane.doe@example.com" || got.Attributes["LASTNAME"] != "Doe" || !slices.Equal(got.ListIDs, []int64{3}) {
				t.Fatalf("after update: %+v", got)
			}
		}
	}
	if len(a.fake.Records()) != 0 {
		t.Fatalf("records = %+v", a.fake.Records())
	}
	if got := a.fake.Calls(); got.Create != 5 || got.Update != 4 || got.Get != 2 || got.Delete != 2 {
		t.Fatalf("calls = %+v", got)
	}
}

func TestAuthAndInjectedFailures(t *testing.T) {
	a := newAPI(t)
	if resp, body := a.do("GET", "/v3/contacts/1", "", ""); resp.StatusCode != 401 || body["message"] != "authentication not found in headers" {
		t.Fatalf("no key = %d %v", resp.StatusCode, body)
	}
	if resp, body := a.do("GET", "/v3/contacts/1", "", "wrong"); resp.StatusCode != 401 || body["code"] != "unauthorized" {
		t.Fatalf("wrong key = %d %v", resp.StatusCode, body)
	}
	a.fake.ThrottleNext(1, 3*time.Second)
	a.fake.FailNext(1, 402)
	for i, want := range []struct {
		status int
		code   string
		reset  string
	}{{429, "too_many_requests", "3"}, {402, "not_enough_credits", "1"}, {404, "document_not_found", "1"}} {
		resp, body := a.do("GET", "/v3/contacts/1", "", key)
		if resp.StatusCode != want.status || body["code"] != want.code || resp.Header.Get("x-sib-ratelimit-reset") != want.reset {
			t.Fatalf("call %d = %d %v reset %q, want %+v", i, resp.StatusCode, body, resp.Header.Get("x-sib-ratelimit-reset"), want)
		}
	}
	a.fake.SetAttributes("FIRSTNAME")
	if resp, body := a.do("POST", "/v3/contacts", `{"email":"a@example.com","attributes":{"SHOE":1}}`, key); resp.StatusCode != 400 || body["code"] != "invalid_parameter" {
		t.Fatalf("unknown attribute = %d %v", resp.StatusCode, body)
	}
	resp, _ := a.do("GET", "/_sandbox/records", "", "")
	if resp.StatusCode != 200 || a.fake.Calls().Get != 5 {
		t.Fatalf("listing = %d, calls %+v", resp.StatusCode, a.fake.Calls())
	}
}
