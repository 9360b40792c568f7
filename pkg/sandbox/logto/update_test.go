package logto

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFakeCustomDataWrites(t *testing.T) {
	f := NewFake("m2m", "sec", "https://default.logto.app/api")
	f.PutUser("u1", map[string]any{"customData": map[string]any{"a": map[string]any{"b": 1}, "c": 2}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	f.mu.Lock()
	f.tokens["tok"] = true
	f.mu.Unlock()
	patch := func(tok, path, body string) int {
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, tok, path, body string
		want                  int
	}{
		{"no header", "", "/api/users/u1/custom-data", `{"customData":{}}`, 401},
		{"bad token", "nope", "/api/users/u1/custom-data", `{"customData":{}}`, 401},
		{"unknown user", "tok", "/api/users/u2/custom-data", `{"customData":{}}`, 404},
		{"not JSON", "tok", "/api/users/u1/custom-data", `{"customData":`, 400},
		{"no customData", "tok", "/api/users/u1/custom-data", `{}`, 400},
		{"customData a list", "tok", "/api/users/u1", `{"customData":[1]}`, 400},
	}
	for _, tt := range tests {
		if got := patch(tt.tok, tt.path, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	cd := func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		b, _ := json.Marshal(f.users["u1"]["customData"])
		return string(b)
	}
	if got := patch("tok", "/api/users/u1/custom-data", `{"customData":{"a":{"d":3},"e":null}}`); got != 200 || cd() != `{"a":{"d":3},"c":2,"e":null}` {
		t.Fatalf("merge: %d %s", got, cd())
	}
	if got := patch("tok", "/api/users/u1", `{"customData":{"z":1}}`); got != 200 || cd() != `{"z":1}` || len(f.Updates()) != 2 {
		t.Fatalf("replace: %d %s", got, cd())
	}
}
