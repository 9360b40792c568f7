package mailchimp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func do(t *testing.T, h http.Handler, method, path, user, pass, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if pass != "" {
		req.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestMountedFake(t *testing.T) {
	f := NewFake("key-us1", "L1")
	mux := http.NewServeMux()
	mux.Handle("/sandbox/mailchimp/", http.StripPrefix("/sandbox/mailchimp", f))
	member := "/sandbox/mailchimp/3.0/lists/L1/members/" + hash("a@example.com")

	if w := do(t, mux, "PUT", member, "any", "bad", `{}`); w.Code != 401 || !strings.Contains(w.Header().Get("Content-Type"), "problem+json") {
		t.Fatalf("bad key: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if w := do(t, mux, "PUT", member, "any", "key-us1", `{"email_address":"a@example.com","status_if_new":"subscribed"}`); w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	if w := do(t, mux, "PUT", "/sandbox/mailchimp/3.0/lists/L2/members/"+hash("a@example.com"), "any", "key-us1", `{}`); w.Code != 404 {
		t.Fatalf("unknown list: %d", w.Code)
	}
	w := do(t, mux, "GET", "/sandbox/mailchimp/_sandbox/records", "", "", "")
	var got []Member
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got) != 1 || got[0].EmailAddress != "a@example.com" {
		t.Fatalf("listing = %s, %v", w.Body, err)
	}
	if c := f.Calls(); c.Put != 2 || c.Total() != 2 {
		t.Fatalf("calls = %+v (unauthorized calls are not counted)", c)
	}
}
