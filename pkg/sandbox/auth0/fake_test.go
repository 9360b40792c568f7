package auth0

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

func TestFakeFlow(t *testing.T) {
	f := NewFake("cid", "sec")
	f.Put(&profile.Profile{Sub: "auth0|1", Email: "a@example.com", GivenName: "A"})
	srv := httptest.NewServer(http.StripPrefix("/t", f))
	defer srv.Close()
	aud := srv.URL + "/t/api/v2/"

	token := func(body string, contentType string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+"/t/oauth/token", contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	js := func(id, secret, aud string) string {
		b, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": aud})
		return string(b)
	}
	if st, m := token(js("cid", "bad", aud), "application/json"); st != 401 || m["error"] != "access_denied" {
		t.Fatalf("bad secret: %d %v", st, m)
	}
	if st, m := token(js("cid", "sec", "https://other/api/v2/"), "application/json"); st != 403 || m["error"] != "access_denied" {
		t.Fatalf("other audience: %d %v", st, m)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"sec"}, "audience": {aud}}.Encode()
	if st, m := token(form, "application/x-www-form-urlencoded"); st != 200 || m["access_token"] == "" {
		t.Fatalf("form: %d %v", st, m)
	}
	st, m := token(js("cid", "sec", aud), "application/json")
	if st != 200 || m["token_type"] != "Bearer" || m["expires_in"] != float64(86400) {
		t.Fatalf("json: %d %v", st, m)
	}
	tok := m["access_token"].(string)
	get := func(tok, id string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/t/api/v2/users/"+url.PathEscape(id), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	if resp, m := get(tok, "auth0|1"); resp.StatusCode != 200 || m["given_name"] != "A" || resp.Header.Get("X-Ratelimit-Limit") == "" {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	if resp, m := get(tok, "auth0|2"); resp.StatusCode != 404 || m["errorCode"] != "inexistent_user" || m["statusCode"] != float64(404) {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	if resp, m := get("nope", "auth0|1"); resp.StatusCode != 401 || m["message"] != "Invalid token" {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	f.ExpireTokens()
	if resp, _ := get(tok, "auth0|1"); resp.StatusCode != 401 {
		t.Fatal("expired token accepted")
	}
	now := time.Unix(1735725600, 0)
	f.now = func() time.Time { return now }
	f.FailNext(1, 429, 3*time.Second)
	if resp, m := get(tok, "auth0|1"); resp.StatusCode != 429 || m["errorCode"] != "too_many_requests" ||
		resp.Header.Get("X-Ratelimit-Reset") != "1735725603" || resp.Header.Get("X-Ratelimit-Remaining") != "0" {
		t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, m)
	}
	if f.TokenCalls() != 4 {
		t.Fatalf("token calls %d", f.TokenCalls())
	}
}
