package keycloak

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFakePutUser(t *testing.T) {
	f := NewFake("acme", "cid", "sec")
	f.PutUser("u1", map[string]any{"username": "j", "attributes": map[string][]string{"a": {"1"}, "b": {"2"}}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	f.mu.Lock()
	f.tokens["tok"] = true
	f.mu.Unlock()
	put := func(tok, realm, id, body string) int {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/admin/realms/"+realm+"/users/"+id, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, tok, realm, id, body string
		want                       int
	}{
		{"bad token", "nope", "acme", "u1", `{}`, 401},
		{"other realm", "tok", "other", "u1", `{}`, 404},
		{"unknown user", "tok", "acme", "u2", `{}`, 404},
		{"not JSON", "tok", "acme", "u1", `{"attributes":`, 400},
		{"attribute not a list of strings", "tok", "acme", "u1", `{"attributes":{"a":{"b":1}}}`, 400},
		{"other id", "tok", "acme", "u1", `{"id":"u9"}`, 400},
	}
	for _, tt := range tests {
		if got := put(tt.tok, tt.realm, tt.id, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	// Attributes are replaced whole: b is gone.
	if got := put("tok", "acme", "u1", `{"attributes":{"a":["3"]}}`); got != 204 {
		t.Fatal(got)
	}
	f.mu.Lock()
	attrs := f.users["u1"]["attributes"].(map[string][]string)
	username := f.users["u1"]["username"]
	f.mu.Unlock()
	if len(attrs) != 1 || attrs["a"][0] != "3" || username != "j" || len(f.Updates()) != 1 {
		t.Fatalf("after PUT: %v %v", attrs, username)
	}
}
