package hubspot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const token = "pat-test"

type api struct {
	t    *testing.T
	fake *Fake
	srv  *httptest.Server
}

func newAPI(t *testing.T) *api {
	fake := NewFake(token)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &api{t: t, fake: fake, srv: srv}
}

func (a *api) do(method, path, body string) (*http.Response, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
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
	up := func(id, props string) string {
		return `{"inputs":[{"idProperty":"profilesync_id","id":"` + id + `","properties":` + props + `,"objectWriteTraceId":"t1"}]}`
	}
	steps := []struct {
		method, path, body string
		status             int
		category           string
	}{
		{"POST", "/crm/v3/objects/contacts/batch/upsert", up("u/1", `{"email":"a@example.com","firstname":"A"}`), 200, ""},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", up("u/2", `{"email":"A@example.com"}`), 207, ""},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", up("u/1", `{"email":"bad"}`), 400, "VALIDATION_ERROR"},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", `{"inputs":[{"idProperty":"firstname","id":"A","properties":{}}]}`, 400, "VALIDATION_ERROR"},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", `{"inputs":[{"idProperty":"profilesync_id","id":"x"},{"idProperty":"profilesync_id","id":"x"}]}`, 400, "VALIDATION_ERROR"},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", `not json`, 400, "VALIDATION_ERROR"},
		{"GET", "/crm/v3/objects/contacts/u%2F1?idProperty=profilesync_id", "", 200, ""},
		{"GET", "/crm/v3/objects/contacts/u%2F9?idProperty=profilesync_id", "", 404, "OBJECT_NOT_FOUND"},
		{"GET", "/crm/v3/objects/contacts/1", "", 200, ""},
		{"POST", "/communication-preferences/v3/unsubscribe", `{"emailAddress":"a@example.com","subscriptionId":"77"}`, 200, ""},
		{"POST", "/communication-preferences/v3/unsubscribe", `{"emailAddress":"a@example.com","subscriptionId":"77"}`, 400, "VALIDATION_ERROR"},
		{"POST", "/communication-preferences/v3/unsubscribe", `{}`, 400, "VALIDATION_ERROR"},
		{"POST", "/crm/v3/objects/contacts/gdpr-delete", `{"objectId":"nobody","idProperty":"profilesync_id"}`, 404, "OBJECT_NOT_FOUND"},
		{"POST", "/crm/v3/objects/contacts/gdpr-delete", `{"objectId":"ghost@example.com","idProperty":"email"}`, 204, ""},
		{"DELETE", "/crm/v3/objects/contacts/1", "", 204, ""},
		{"DELETE", "/crm/v3/objects/contacts/1", "", 204, ""},
		{"GET", "/crm/v3/objects/elsewhere", "", 404, "OBJECT_NOT_FOUND"},
	}
	for i, s := range steps {
		resp, body := a.do(s.method, s.path, s.body)
		if resp.StatusCode != s.status {
			t.Fatalf("step %d: %s %s = %d %v, want %d", i, s.method, s.path, resp.StatusCode, body, s.status)
		}
		if s.category != "" && (body["category"] != s.category || body["status"] != "error" || body["correlationId"] == "") {
			t.Fatalf("step %d: error body %v, want category %s", i, body, s.category)
		}
		if resp.Header.Get("X-HubSpot-RateLimit-Max") == "" && i != len(steps)-1 {
			t.Fatalf("step %d: no rate-limit headers", i)
		}
	}
	if len(a.fake.Records()) != 0 || !a.fake.Blocklisted("ghost@example.com") {
		t.Fatalf("records = %+v", a.fake.Records())
	}
	if got := a.fake.Calls(); got.Upsert != 6 || got.Read != 3 || got.Archive != 2 || got.GDPRDelete != 2 || got.Unsubscribe != 3 {
		t.Fatalf("calls = %+v", got)
	}
}

func TestBatchAnswer(t *testing.T) {
	a := newAPI(t)
	a.do("POST", "/crm/v3/objects/contacts/batch/upsert", `{"inputs":[{"idProperty":"profilesync_id","id":"owner","properties":{"email":"x@example.com"}}]}`)
	resp, body := a.do("POST", "/crm/v3/objects/contacts/batch/upsert", `{"inputs":[
		{"idProperty":"profilesync_id","id":"owner","properties":{"lastname":"O"},"objectWriteTraceId":"t0"},
		{"idProperty":"profilesync_id","id":"u-2","properties":{"email":"x@example.com"},"objectWriteTraceId":"t1"},
		{"idProperty":"profilesync_id","id":"u-3","properties":{"firstname":"C"},"objectWriteTraceId":"t2"}]}`)
	if resp.StatusCode != http.StatusMultiStatus || body["status"] != "COMPLETE" || body["numErrors"] != 1.0 {
		t.Fatalf("answer = %d %v", resp.StatusCode, body)
	}
	results := body["results"].([]any)
	if len(results) != 2 {
		t.Fatalf("results = %v", results)
	}
	r0, r1 := results[0].(map[string]any), results[1].(map[string]any)
	if r0["new"] != false || r0["objectWriteTraceId"] != "t0" || r1["new"] != true || r1["properties"].(map[string]any)["profilesync_id"] != "u-3" {
		t.Fatalf("results = %v", results)
	}
	e := body["errors"].([]any)[0].(map[string]any)
	if e["category"] != "CONFLICT" || !strings.HasPrefix(e["message"].(string), "Contact already exists. Existing ID: ") ||
		e["context"].(map[string]any)["ids"].([]any)[0] != "u-2" {
		t.Fatalf("error item = %v", e)
	}
}

func TestAuthAndInjectedFailures(t *testing.T) {
	a := newAPI(t)
	req, _ := http.NewRequest("GET", a.srv.URL+"/crm/v3/objects/contacts/1", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token = %d", resp.StatusCode)
	}
	a.fake.ThrottleNext(1, 2*time.Second)
	a.fake.ExhaustDaily(1)
	a.fake.FailNext(1, 503)
	want := []struct {
		status int
		policy string
		header string
		value  string
	}{
		{429, "TEN_SECONDLY_ROLLING", "X-HubSpot-RateLimit-Interval-Milliseconds", "2000"},
		{429, "DAILY", "X-HubSpot-RateLimit-Daily-Remaining", "0"},
		{503, "", "X-HubSpot-RateLimit-Remaining", "189"},
		{404, "", "", ""},
	}
	for i, w := range want {
		resp, body := a.do("GET", "/crm/v3/objects/contacts/1", "")
		if resp.StatusCode != w.status || (w.policy != "" && (body["policyName"] != w.policy || body["errorType"] != "RATE_LIMIT")) {
			t.Fatalf("call %d = %d %v, want %d %s", i, resp.StatusCode, body, w.status, w.policy)
		}
		if w.header != "" && resp.Header.Get(w.header) != w.value {
			t.Fatalf("call %d: %s = %q, want %q", i, w.header, resp.Header.Get(w.header), w.value)
		}
	}
	resp, _ = a.do("GET", "/_sandbox/records", "")
	if resp.StatusCode != 200 || a.fake.Calls().Read != 5 {
		t.Fatalf("listing = %d, calls %+v", resp.StatusCode, a.fake.Calls())
	}
}
