package clerk

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/profile"
)

func TestFakeMetadataPatch(t *testing.T) {
	f := NewFake("sk_test_x")
	f.Put(&profile.Profile{Sub: "user_1", Custom: map[string]any{"public_metadata": map[string]any{"a": map[string]any{"b": 1, "c": 2}, "d": 3}}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	patch := func(key, id, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/v1/users/"+id+"/metadata", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	tests := []struct {
		name, key, id, body string
		want                int
	}{
		{"bad key", "sk_test_no", "user_1", `{"public_metadata":{}}`, 401},
		{"unknown user", "sk_test_x", "user_2", `{"public_metadata":{}}`, 404},
		{"not JSON", "sk_test_x", "user_1", `{"public_metadata":`, 400},
		{"body an array", "sk_test_x", "user_1", `[]`, 400},
		{"metadata a string", "sk_test_x", "user_1", `{"public_metadata":"x"}`, 422},
	}
	for _, tt := range tests {
		if got, out := patch(tt.key, tt.id, tt.body); got != tt.want || out["errors"] == nil {
			t.Errorf("%s: %d %v, want %d with errors", tt.name, got, out, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	status, user := patch("sk_test_x", "user_1", `{"public_metadata":{"a":{"b":null,"e":5}},"private_metadata":{"p":1}}`)
	if status != 200 {
		t.Fatal(status)
	}
	pub, _ := json.Marshal(user["public_metadata"])
	priv, _ := json.Marshal(user["private_metadata"])
	if string(pub) != `{"a":{"c":2,"e":5},"d":3}` || string(priv) != `{"p":1}` || len(f.Updates()) != 1 {
		t.Fatalf("after merge: public %s private %s, %d updates", pub, priv, len(f.Updates()))
	}
}
