package clerk

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestListUsersPagesAndOrders(t *testing.T) {
	f := NewFake("sk_test_x")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		f.now = func() time.Time { return base.Add(time.Duration(i) * time.Minute) }
		f.PutUser(fmt.Sprintf("user_%d", i), map[string]any{})
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	get := func(query string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/users?"+query, nil)
		req.Header.Set("Authorization", "Bearer sk_test_x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&raw)
		return resp.StatusCode, raw
	}
	ids := func(b []byte) string {
		var us []struct{ ID string }
		if err := json.Unmarshal(b, &us); err != nil {
			t.Fatalf("not an array of users: %s", b)
		}
		s := ""
		for _, u := range us {
			s += u.ID + " "
		}
		return s
	}
	for _, tt := range []struct{ query, want string }{
		{"", "user_3 user_2 user_1 user_0 "}, // -created_at by default
		{"order_by=%2Bcreated_at&limit=2&offset=1", "user_1 user_2 "},
		{"order_by=created_at&offset=3", "user_3 "},
		{"order_by=-created_at&limit=500", "user_3 user_2 user_1 user_0 "},
		{"offset=9", ""},
	} {
		status, body := get(tt.query)
		if status != http.StatusOK || ids(body) != tt.want {
			t.Errorf("%q: %d %s, want %q", tt.query, status, body, tt.want)
		}
	}
	for _, q := range []string{"limit=501", "limit=0", "offset=-1", "order_by=+created_at", "order_by=email_address"} {
		if status, body := get(q); status != http.StatusUnprocessableEntity {
			t.Errorf("%q: %d %s, want 422", q, status, body)
		}
	}
	if n := f.Calls("/v1/users"); n != 10 {
		t.Fatalf("%d calls counted", n)
	}
}
