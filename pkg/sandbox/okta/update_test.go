package okta

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFakeProfileUpdate(t *testing.T) {
	f := NewFake("00tok")
	f.PutUser("00u1", map[string]any{"profile": map[string]any{"login": "a@example.com", "tier": "gold", "crm": "1"}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	post := func(tok, id, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/users/"+id, strings.NewReader(body))
		req.Header.Set("Authorization", "SSWS "+tok)
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
		{"bad token", "nope", "00u1", `{"profile":{"a":1}}`, 401},
		{"unknown user", "00tok", "00u2", `{"profile":{"a":1}}`, 404},
		{"not JSON", "00tok", "00u1", `{"profile":`, 400},
		{"profile not an object", "00tok", "00u1", `{"profile":[1]}`, 400},
		{"object attribute", "00tok", "00u1", `{"profile":{"a":{"b":1}}}`, 400},
	}
	for _, tt := range tests {
		if got := post(tt.tok, tt.id, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	if got := post("00tok", "00u1", `{"profile":{"tier":null,"hcp":"yes"}}`); got != 200 {
		t.Fatal(got)
	}
	f.mu.Lock()
	p := f.users["00u1"]["profile"].(map[string]any)
	f.mu.Unlock()
	if p["tier"] != nil || p["hcp"] != "yes" || p["crm"] != "1" || p["login"] != "a@example.com" || len(f.Updates()) != 1 {
		t.Fatalf("profile after partial update: %v", p)
	}
}
