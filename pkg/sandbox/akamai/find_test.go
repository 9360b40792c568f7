package akamai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func find(t *testing.T, srv *httptest.Server, form url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/entity.find", strings.NewReader(form.Encode()))
	req.SetBasicAuth("cid", "sec")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	return out
}

func TestEntityFindPagesByID(t *testing.T) {
	f, err := NewFake("cid", "sec")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		f.PutRecord(fmt.Sprintf("u%d", i), map[string]any{"email": fmt.Sprintf("u%d@example.com", i)})
	}
	f.PutRecord("u1", map[string]any{"email": "again@example.com"}) // keeps its id
	srv := httptest.NewServer(f)
	defer srv.Close()

	got := find(t, srv, url.Values{"type_name": {"user"}, "filter": {"id > 1"}, "sort_on": {`["id"]`},
		"max_results": {"2"}, "attributes": {`["id","email"]`}})
	res, _ := got["results"].([]any)
	if got["stat"] != "ok" || got["result_count"] != float64(2) || len(res) != 2 {
		t.Fatalf("answer %v", got)
	}
	for i, want := range []string{"again@example.com", "u2@example.com"} {
		r := res[i].(map[string]any)
		if r["email"] != want || r["id"] != float64(i+2) || r["uuid"] != nil {
			t.Fatalf("result %d: %v, want %s with id %d and no uuid", i, r, want, i+2)
		}
	}

	for _, tt := range []struct {
		name string
		form url.Values
		arg  string
	}{
		{"max_results over 10000", url.Values{"max_results": {"10001"}}, "max_results"},
		{"max_results 0", url.Values{"max_results": {"0"}}, "max_results"},
		{"another filter", url.Values{"filter": {"email = 'x'"}}, "filter"},
		{"another sort", url.Values{"sort_on": {`["email"]`}}, "sort_on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("type_name", "user")
			got := find(t, srv, tt.form)
			if got["stat"] != "error" || got["code"] != float64(200) || got["argument_name"] != tt.arg {
				t.Fatalf("answer %v", got)
			}
		})
	}
	if n := f.Calls("/entity.find"); n != 5 {
		t.Fatalf("%d calls counted", n)
	}
}
