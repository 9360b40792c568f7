package generic

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

type api struct {
	t    *testing.T
	fake *Fake
	srv  *httptest.Server
}

func newAPI(t *testing.T, auth Auth) *api {
	fake := NewFake(auth)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &api{t: t, fake: fake, srv: srv}
}

func (a *api) do(method, path, body string, header http.Header) (*http.Response, string) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestContactsLifecycle(t *testing.T) {
	a := newAPI(t, Auth{Mode: "none"})
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/contacts", `{"key":"u/1","event":{"id":"e1","type":"created"},"record":{"a":1,"b":2}}`, 201},
		{"POST", "/contacts", `{"record":{}}`, 400},
		{"PATCH", "/contacts/u%2F1", `{"key":"u/1","record":{"b":3}}`, 200},
		{"PUT", "/contacts/u%2F1", `{"key":"other","record":{}}`, 400},
		{"PATCH", "/contacts/missing", `{"record":{}}`, 404},
		{"PUT", "/contacts/u%202", `{"record":{"c":1}}`, 201},
		{"GET", "/contacts/u%2F1", ``, 200},
		{"DELETE", "/contacts/u%202", ``, 204},
		{"DELETE", "/contacts/u%202", ``, 404},
		{"POST", "/contacts", `not json`, 400},
		{"GET", "/elsewhere", ``, 404},
	}
	for _, s := range steps {
		if resp, body := a.do(s.method, s.path, s.body, nil); resp.StatusCode != s.status {
			t.Fatalf("%s %s = %d %s, want %d", s.method, s.path, resp.StatusCode, body, s.status)
		}
	}
	got := a.fake.Records()
	if len(got) != 1 || got[0].Key != "u/1" || got[0].Fields["a"] != 1.0 || got[0].Fields["b"] != 3.0 || got[0].ID != "c-1" {
		t.Fatalf("records = %+v", got)
	}
	resp, body := a.do("GET", "/_sandbox/records", "", nil)
	var listing []Record
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &listing) != nil || len(listing) != 1 {
		t.Fatalf("listing = %d %s", resp.StatusCode, body)
	}
}

func sign(secret, body string, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestAuth(t *testing.T) {
	const body = `{"key":"k","record":{}}`
	now := time.Now()
	tests := []struct {
		name   string
		auth   Auth
		header http.Header
		status int
	}{
		{"bearer ok", Auth{Mode: "bearer", Token: "t"}, http.Header{"Authorization": {"Bearer t"}}, 201},
		{"bearer wrong", Auth{Mode: "bearer", Token: "t"}, http.Header{"Authorization": {"Bearer x"}}, 401},
		{"bearer unset", Auth{Mode: "bearer"}, http.Header{"Authorization": {"Bearer "}}, 401},
		{"basic ok", Auth{Mode: "basic", Username: "u", Password: "p"}, http.Header{"Authorization": {"Basic dTpw"}}, 201},
		{"basic wrong", Auth{Mode: "basic", Username: "u", Password: "p"}, http.Header{"Authorization": {"Basic dTpx"}}, 401},
		{"hmac ok", Auth{Mode: "hmac", HMACSecret: "s"}, http.Header{"X-Profilesync-Signature": {sign("s", body, now)}}, 201},
		{"hmac custom header", Auth{Mode: "hmac", HMACSecret: "s", HMACHeader: "X-Sig"}, http.Header{"X-Sig": {sign("s", body, now)}}, 201},
		{"hmac wrong secret", Auth{Mode: "hmac", HMACSecret: "s"}, http.Header{"X-Profilesync-Signature": {sign("x", body, now)}}, 401},
		{"hmac other body", Auth{Mode: "hmac", HMACSecret: "s"}, http.Header{"X-Profilesync-Signature": {sign("s", body+" ", now)}}, 401},
		{"hmac stale", Auth{Mode: "hmac", HMACSecret: "s"}, http.Header{"X-Profilesync-Signature": {sign("s", body, now.Add(-time.Hour))}}, 401},
		{"hmac garbage", Auth{Mode: "hmac", HMACSecret: "s"}, http.Header{"X-Profilesync-Signature": {"v1=zz"}}, 401},
		{"unknown mode fails closed", Auth{Mode: "mtls"}, nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, tt.auth)
			if resp, b := a.do("POST", "/contacts", body, tt.header); resp.StatusCode != tt.status {
				t.Fatalf("status = %d %s, want %d", resp.StatusCode, b, tt.status)
			}
		})
	}
}

func TestInjectedFailures(t *testing.T) {
	a := newAPI(t, Auth{})
	a.fake.ThrottleNext(2, 30*time.Second)
	a.fake.FailNext(1, 503)
	const body = `{"key":"k","record":{}}`
	for i, want := range []int{429, 429, 503, 201} {
		resp, b := a.do("POST", "/contacts", body, nil)
		if resp.StatusCode != want {
			t.Fatalf("call %d = %d %s, want %d", i, resp.StatusCode, b, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "30" {
			t.Fatalf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
		if want != 201 && !strings.Contains(b, `"error":"injected"`) {
			t.Fatalf("error body = %s", b)
		}
	}
	if a.fake.Calls() != 4 {
		t.Fatalf("calls = %d", a.fake.Calls())
	}
}

func TestFailNextEchoQuotesTheRecord(t *testing.T) {
	a := newAPI(t, Auth{Mode: "none"})
	a.fake.FailNextEcho(1, http.StatusBadRequest)
	resp, body := a.do("PUT", "/contacts/olga@example.com", `{"record":{"name":"Olga Outage"}}`, nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "contact OLGA@EXAMPLE.COM refused: OLGA OUTAGE") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, _ := a.do("PUT", "/contacts/olga@example.com", `{"record":{}}`, nil); resp.StatusCode != 201 {
		t.Errorf("the echo failure is consumed: next call answered %d", resp.StatusCode)
	}
}
