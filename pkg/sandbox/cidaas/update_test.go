package cidaas

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/profile"
)

// The admin update refuses what cidaas refuses and applies nothing then.
func TestFakeAdminUpdateRefusals(t *testing.T) {
	f := NewFake("cid", "sec")
	f.Put(&profile.Profile{Sub: "s1", Custom: map[string]any{"keep": "x"}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+"/token-srv/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"sec"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f.mu.Lock()
	var tok string
	for k := range f.tokens {
		tok = k
	}
	f.mu.Unlock()
	put := func(token, sub, body string) int {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/user-srv/users/"+sub, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, token, sub, body string
		want                   int
	}{
		{"bad token", "nope", "s1", `{"customFields":{"a":1}}`, 401},
		{"unknown sub", tok, "s2", `{"customFields":{"a":1}}`, 404},
		{"not JSON", tok, "s1", `{"customFields":`, 400},
		{"customFields not an object", tok, "s1", `{"customFields":["a"]}`, 400},
		{"body an array", tok, "s1", `[1]`, 400},
	}
	for _, tt := range tests {
		if got := put(tt.token, tt.sub, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	if got := put(tok, "s1", `{"customFields":{"a":1,"keep":null}}`); got != 200 {
		t.Fatalf("valid update: %d", got)
	}
	f.mu.Lock()
	custom := f.users["s1"]["customFields"].(map[string]any)
	f.mu.Unlock()
	if len(custom) != 1 || custom["a"] != float64(1) {
		t.Fatalf("customFields after update: %v", custom)
	}
}
