package cidaas

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
	f.Put(&profile.Profile{Sub: "s1", Email: "a@example.com"})
	srv := httptest.NewServer(f)
	defer srv.Close()

	token := func(secret string) (int, string) {
		resp, err := http.PostForm(srv.URL+"/token-srv/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tr struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&tr)
		return resp.StatusCode, tr.AccessToken + tr.Error
	}
	get := func(tok, sub string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/users-srv/user/"+sub, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st, body := token("bad"); st != 401 || body != "invalid_client" {
		t.Fatalf("bad secret: %d %s", st, body)
	}
	st, tok := token("sec")
	if st != 200 || tok == "" {
		t.Fatal(st)
	}
	if get(tok, "s1") != 200 || get(tok, "s2") != 404 || get("nope", "s1") != 401 {
		t.Fatal("user reads")
	}
	f.ExpireTokens()
	if get(tok, "s1") != 401 {
		t.Fatal("expired token accepted")
	}
	f.FailNext(1, 429, 2*time.Second)
	resp, _ := http.Get(srv.URL + "/users-srv/user/s1")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatal(resp.Status)
	}
	resp.Body.Close()
	if !strings.HasPrefix(srv.URL, "http") || f.TokenCalls() != 2 {
		t.Fatal(f.TokenCalls())
	}
}
