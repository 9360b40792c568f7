package cidaas

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestGraphUsersPages(t *testing.T) {
	f := NewFake("cid", "sec")
	for i := range 4 {
		f.PutUser(fmt.Sprintf("s%d", 3-i), map[string]any{"createdTime": fmt.Sprintf("2026-01-0%dT00:00:00.000Z", i+1)})
	}
	f.PutUser("s0", map[string]any{"email": "again@example.com"}) // keeps its createdTime
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+"/token-srv/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"sec"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	search := func(body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/user-srv/graph/users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Data  []struct{ Sub string }
			Total *int
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		subs := ""
		for _, u := range out.Data {
			subs += u.Sub + " "
		}
		if out.Total != nil {
			subs += fmt.Sprintf("total %d", *out.Total)
		}
		return resp.StatusCode, subs
	}
	for _, tt := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"sortfield":"createdTime"}`, 200, "s3 s2 s1 s0 total 4"},
		{`{"from":1,"size":2,"sortfield":"createdTime","excludeUserCount":true}`, 200, "s2 s1 "},
		{`{"sortfield":"sub","descending":true,"size":1000}`, 200, "s3 s2 s1 s0 total 4"},
		{`{"from":4}`, 204, ""},
		{`{"size":1001}`, 417, ""},
		{`{"from":9500,"size":501}`, 417, ""},
		{`{"sortfield":"email"}`, 417, ""},
		{`not json`, 400, ""},
	} {
		if status, got := search(tt.body); status != tt.status || got != tt.want {
			t.Errorf("%s: %d %q, want %d %q", tt.body, status, got, tt.status, tt.want)
		}
	}
	f.ExpireTokens()
	if status, _ := search(`{}`); status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", status)
	}
	if n := f.Calls("/user-srv/graph/users"); n != 9 {
		t.Fatalf("%d calls counted", n)
	}
}
