package braze

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, h http.Handler, path, key, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestMountedFake(t *testing.T) {
	f := NewFake("k")
	f.SetClock(func() time.Time { return time.Unix(1_800_000_100, 0) })
	mux := http.NewServeMux()
	mux.Handle("/sandbox/braze/", http.StripPrefix("/sandbox/braze", f))

	if w := post(t, mux, "/sandbox/braze/users/track", "nope", `{}`); w.Code != 401 {
		t.Fatalf("bad key: %d", w.Code)
	}
	w := post(t, mux, "/sandbox/braze/users/track", "k", `{"attributes":[{"external_id":"u1","first_name":"A"},{"first_name":"B"}]}`)
	var resp struct {
		Message   string `json:"message"`
		Processed int    `json:"attributes_processed"`
		Errors    []struct {
			Type       string `json:"type"`
			InputArray string `json:"input_array"`
			Index      int    `json:"index"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 201 || resp.Message != "success" || resp.Processed != 1 ||
		len(resp.Errors) != 1 || resp.Errors[0].Index != 1 || resp.Errors[0].InputArray != "attributes" {
		t.Fatalf("track: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("X-RateLimit-Reset") != "1800003600" || w.Header().Get("X-RateLimit-Remaining") == "" {
		t.Fatalf("rate headers = %v", w.Header())
	}
	if w := post(t, mux, "/sandbox/braze/users/delete", "k", `{"external_ids":["u1"],"braze_ids":["x"]}`); w.Code != 400 {
		t.Fatalf("two identifier kinds: %d", w.Code)
	}
	f.ThrottleNext(1, 1500*time.Millisecond)
	if w := post(t, mux, "/sandbox/braze/users/delete", "k", `{"external_ids":["u1"]}`); w.Code != 429 || w.Header().Get("X-RateLimit-Reset") != "1800000102" {
		t.Fatalf("throttle: %d %v", w.Code, w.Header())
	}
	req := httptest.NewRequest("GET", "/sandbox/braze/_sandbox/records", nil)
	rw := httptest.NewRecorder()
	mux.ServeHTTP(rw, req)
	var users []User
	if err := json.Unmarshal(rw.Body.Bytes(), &users); err != nil || len(users) != 1 || users[0].ExternalID != "u1" {
		t.Fatalf("listing = %s", rw.Body)
	}
	if c := f.Calls(); c.Track != 2 || c.Delete != 2 {
		t.Fatalf("calls = %+v", c)
	}
}
