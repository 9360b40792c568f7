package brevo

import (
	"fmt"
	"testing"
)

// GET /v3/contacts pages the account in order of creation (newest first
// unless sort=asc) with the account's count, and refuses a limit over
// 1000.
func TestListContacts(t *testing.T) {
	a := newAPI(t)
	for i := range 3 {
		if resp, _ := a.do("POST", "/v3/contacts", fmt.Sprintf(`{"email":"p%d@example.com","ext_id":"s-%d"}`, i, i), key); resp.StatusCode != 201 {
			t.Fatalf("create %d: %d", i, resp.StatusCode)
		}
	}
	emails := func(m map[string]any) []string {
		var out []string
		list, _ := m["contacts"].([]any)
		for _, c := range list {
			out = append(out, c.(map[string]any)["email"].(string))
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"?limit=2&offset=0&sort=asc", []string{"p0@example.com", "p1@example.com"}},
		{"?limit=2&offset=2&sort=asc", []string{"p2@example.com"}},
		{"?limit=2", []string{"p2@example.com", "p1@example.com"}},
		{"?limit=2&offset=3&sort=asc", nil},
	}
	for _, c := range cases {
		resp, m := a.do("GET", "/v3/contacts"+c.query, "", key)
		if resp.StatusCode != 200 || fmt.Sprint(emails(m)) != fmt.Sprint(c.want) || m["count"] != float64(3) {
			t.Errorf("%s: %d %v count %v, want %v", c.query, resp.StatusCode, emails(m), m["count"], c.want)
		}
	}
	for _, q := range []string{"?limit=1001", "?offset=-1", "?sort=up"} {
		if resp, m := a.do("GET", "/v3/contacts"+q, "", key); resp.StatusCode != 400 || m["code"] != "invalid_parameter" {
			t.Errorf("%s: %d %v, want 400 invalid_parameter", q, resp.StatusCode, m)
		}
	}
	if resp, _ := a.do("GET", "/v3/contacts", "", "wrong"); resp.StatusCode != 401 {
		t.Errorf("wrong key: %d", resp.StatusCode)
	}
	if got := a.fake.Calls().List; got != 8 {
		t.Errorf("list calls = %d, want 8", got)
	}
}
