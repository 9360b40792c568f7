package auth0

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFakePatchUser(t *testing.T) {
	f := NewFake("cid", "sec")
	f.PutUser("auth0|1", map[string]any{"app_metadata": map[string]any{"a": map[string]any{"b": 1}, "c": 2}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	f.mu.Lock()
	f.tokens["tok"] = true
	f.mu.Unlock()
	patch := func(tok, id, body string) int {
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v2/users/"+id, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, tok, id, body string
		want                int
	}{
		{"bad token", "nope", "auth0|1", `{"app_metadata":{}}`, 401},
		{"unknown user", "tok", "auth0|2", `{"app_metadata":{}}`, 404},
		{"not JSON", "tok", "auth0|1", `{"app_metadata":`, 400},
		{"metadata a string", "tok", "auth0|1", `{"app_metadata":"x"}`, 400},
		{"read-only attribute", "tok", "auth0|1", `{"user_id":"auth0|9"}`, 400},
	}
	for _, tt := range tests {
		if got := patch(tt.tok, tt.id, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	if got := patch("tok", "auth0|1", `{"app_metadata":{"a":{"d":3},"c":null}}`); got != 200 {
		t.Fatal(got)
	}
	f.mu.Lock()
	meta, _ := json.Marshal(f.users["auth0|1"]["app_metadata"])
	f.mu.Unlock()
	if string(meta) != `{"a":{"d":3}}` || len(f.Updates()) != 1 {
		t.Fatalf("app_metadata after root merge: %s", meta)
	}
}
