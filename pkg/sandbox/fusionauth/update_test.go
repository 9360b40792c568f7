package fusionauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFakeMergePatch(t *testing.T) {
	f := NewFake("key")
	f.PutUser("u-1", map[string]any{"email": "a@example.com", "data": map[string]any{"a": map[string]any{"b": 1}, "c": 2}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	patch := func(key, id, ctype, body string) int {
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/user/"+id, strings.NewReader(body))
		req.Header.Set("Authorization", key)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const mp = "application/merge-patch+json"
	tests := []struct {
		name, key, id, ctype, body string
		want                       int
	}{
		{"bad key", "nope", "u-1", mp, `{"user":{}}`, 401},
		{"unknown user", "key", "u-2", mp, `{"user":{}}`, 404},
		{"json patch", "key", "u-1", "application/json-patch+json", `[]`, 400},
		{"not JSON", "key", "u-1", mp, `{"user":`, 400},
		{"no user", "key", "u-1", mp, `{"data":{}}`, 400},
		{"other id", "key", "u-1", mp, `{"user":{"id":"u-9"}}`, 400},
	}
	for _, tt := range tests {
		if got := patch(tt.key, tt.id, tt.ctype, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	if got := patch("key", "u-1", mp+"; charset=utf-8", `{"user":{"data":{"a":{"d":3},"c":null}}}`); got != 200 {
		t.Fatal(got)
	}
	f.mu.Lock()
	data, _ := json.Marshal(f.users["u-1"]["data"])
	email := f.users["u-1"]["email"]
	f.mu.Unlock()
	if string(data) != `{"a":{"b":1,"d":3}}` || email != "a@example.com" || len(f.Updates()) != 1 {
		t.Fatalf("after merge patch: %s %v", data, email)
	}
}
