package akamai

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// entity.update refuses what Capture refuses, with its codes, and applies
// nothing then; a valid one merges objects and appends to plurals.
func TestFakeEntityUpdate(t *testing.T) {
	f, err := NewFake("cid", "sec")
	if err != nil {
		t.Fatal(err)
	}
	f.PutRecord("u1", map[string]any{"hcp": map[string]any{"a": "1"}, "tags": []any{"x"}})
	srv := httptest.NewServer(f)
	defer srv.Close()
	post := func(secret string, form url.Values) (code float64) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/entity.update", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("cid", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, err)
		}
		c, _ := out["code"].(float64)
		return c
	}
	form := func(uuid, attrs string) url.Values {
		return url.Values{"type_name": {"user"}, "uuid": {uuid}, "attributes": {attrs}}
	}
	tests := []struct {
		name, secret string
		form         url.Values
		want         float64
	}{
		{"bad client", "nope", form("u1", `{"a":1}`), 402},
		{"unknown uuid", "sec", form("u2", `{"a":1}`), 310},
		{"attributes not JSON", "sec", form("u1", `{"a":`), 200},
		{"attributes an array", "sec", form("u1", `[1]`), 200},
		{"read-only attribute", "sec", form("u1", `{"uuid":"u9"}`), 200},
		{"no attributes", "sec", url.Values{"type_name": {"user"}, "uuid": {"u1"}}, 100},
		{"no uuid", "sec", url.Values{"type_name": {"user"}, "attributes": {`{"a":1}`}}, 100},
		{"other entity type", "sec", url.Values{"type_name": {"admin"}, "uuid": {"u1"}, "attributes": {`{"a":1}`}}, 224},
	}
	for _, tt := range tests {
		if got := post(tt.secret, tt.form); got != tt.want {
			t.Errorf("%s: code %v, want %v", tt.name, got, tt.want)
		}
	}
	if n := len(f.Updates()); n != 0 {
		t.Fatalf("%d refused updates recorded", n)
	}
	if got := post("sec", form("u1", `{"hcp":{"b":"2"},"tags":["y"],"gone":null}`)); got != 0 {
		t.Fatalf("valid update: code %v", got)
	}
	f.mu.Lock()
	rec := f.records["u1"]
	f.mu.Unlock()
	hcp, _ := rec["hcp"].(map[string]any)
	tags, _ := rec["tags"].([]any)
	if len(hcp) != 2 || len(tags) != 2 || rec["lastUpdated"] == nil || len(f.Updates()) != 1 {
		t.Fatalf("record after update: %v", rec)
	}
}
