package httpcheck

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

const token = "test-token-not-a-secret"

// chamber is a member registry: GET /members/{id}?country=…, Bearer auth.
type chamber struct {
	mu       sync.Mutex
	paths    []string // escaped paths and queries seen
	bodies   []string
	status   int    // when set, answered instead
	raw      string // when set, the body answered with status
	released chan struct{}
}

func (c *chamber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	c.bodies = append(c.bodies, string(b))
	status, raw, wait := c.status, c.raw, c.released
	c.mu.Unlock()
	if wait != nil {
		select {
		case <-r.Context().Done():
		case <-wait:
		}
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(raw))
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/members/")
	if r.Method == http.MethodPost {
		var q struct{ ID string }
		_ = json.Unmarshal(b, &q)
		id = q.ID
	}
	members := map[string]string{"M-1": "active", "M-2": "suspended", "M-3": "pending-review"}
	st, ok := members[id]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"member": map[string]any{
		"id": id, "status": st, "segment": "gold", "number": 4711, "tags": []string{"a", "b"},
	}})
}

func (c *chamber) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.paths...)
}

func settings(url string, extra map[string]any) map[string]any {
	s := map[string]any{
		"url":           url + "/members/{member_id}?country={country}",
		"headers":       map[string]any{"Authorization": "Bearer {secret.token}"},
		"verified_when": `answer.member.status == "active"`,
		"rejected_when": `answer.member.status == "suspended"`,
		"reference":     "member.id",
		"attributes":    map[string]any{"segment": "member.segment", "number": "member.number", "first_tag": "member.tags.0", "absent": "member.nope"},
	}
	for k, v := range extra {
		if v == nil {
			delete(s, k)
			continue
		}
		s[k] = v
	}
	return s
}

var secret = []byte(`{"fields": {"token": "` + token + `"}}`)

func build(t *testing.T, c *chamber, extra map[string]any) *Authority {
	t.Helper()
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	a, err := Build("chamber", settings(srv.URL, extra), secret, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func check(a *Authority, ev map[string]string) (claims.Answer, error) {
	return a.Check(context.Background(), claims.Request{Evidence: ev})
}

func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		extra   map[string]any
		id      string
		verdict claims.Verdict
		reason  string
		ref     string
	}{
		{"active", nil, "M-1", claims.Verified, ReasonVerified, "M-1"},
		{"suspended", nil, "M-2", claims.Rejected, ReasonRejected, "M-2"},
		{"neither", nil, "M-3", claims.Rejected, ReasonNoMatch, ""},
		{"no rejected_when", map[string]any{"rejected_when": nil}, "M-2", claims.Rejected, ReasonNoMatch, ""},
		{"unknown", nil, "M-9", claims.Rejected, ReasonNotFound, ""},
		{"numeric reference", map[string]any{"reference": "member.number"}, "M-1", claims.Verified, ReasonVerified, "4711"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := check(build(t, &chamber{}, tc.extra), map[string]string{"member_id": tc.id, "country": "DE"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != tc.verdict || got.Reason != tc.reason || got.Reference != tc.ref {
				t.Fatalf("got %s %q %q, want %s %q %q", got.Verdict, got.Reason, got.Reference, tc.verdict, tc.reason, tc.ref)
			}
			if len(got.Calls) != 1 {
				t.Fatalf("calls %+v", got.Calls)
			}
		})
	}
}

func TestAttributesAndCall(t *testing.T) {
	c := &chamber{}
	got, err := check(build(t, c, nil), map[string]string{"member_id": "M-1", "country": "DE"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"segment": "gold", "number": 4711.0, "first_tag": "a"}
	if len(got.Attributes) != len(want) {
		t.Fatalf("attributes %v, want %v", got.Attributes, want)
	}
	for k, v := range want {
		if got.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, got.Attributes[k], v)
		}
	}
	call := got.Calls[0]
	if call.Method != "GET" || call.Status != 200 || strings.Contains(call.URL, token) || !strings.Contains(call.Answer, `"gold"`) {
		t.Fatalf("call %+v", call)
	}
}

// Evidence is escaped where it stands and cannot walk the path.
func TestEscaping(t *testing.T) {
	c := &chamber{}
	a := build(t, c, nil)
	for _, id := range []string{"a/b c", "..", "x?y=1&z", "ü"} {
		if _, err := check(a, map[string]string{"member_id": id, "country": "D E&x=1"}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"/members/a%2Fb%20c?country=D+E%26x%3D1",
		"/members/%2E%2E?country=D+E%26x%3D1",
		"/members/x%3Fy=1&z?country=D+E%26x%3D1",
		"/members/%C3%BC?country=D+E%26x%3D1",
	}
	got := c.seen()
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("paths %q, want %q", got, want)
		}
	}
}

func TestPostBodyIsJSONEscaped(t *testing.T) {
	c := &chamber{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	a, err := Build("chamber", map[string]any{
		"method": "POST", "url": srv.URL + "/members/search",
		"headers":       map[string]any{"Authorization": "Bearer {secret.token}"},
		"body":          `{"ID": "{member_id}", "note": "{note}"}`,
		"verified_when": `status == 200 && answer.member.status == "active"`,
	}, secret, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	note := "he said \"hi\"\n\\ </script>"
	got, err := check(a, map[string]string{"member_id": "M-1", "note": note})
	if err != nil || got.Verdict != claims.Verified {
		t.Fatalf("%+v, %v", got, err)
	}
	var sent map[string]string
	if err := json.Unmarshal([]byte(c.bodies[0]), &sent); err != nil || sent["note"] != note || sent["ID"] != "M-1" {
		t.Fatalf("sent %q (%v)", c.bodies[0], err)
	}
}

func TestMissingEvidenceCallsNothing(t *testing.T) {
	c := &chamber{}
	got, err := check(build(t, c, nil), map[string]string{"member_id": "M-1"})
	if err != nil || got.Verdict != claims.Rejected || got.Reason != ReasonMissing || len(c.seen()) != 0 {
		t.Fatalf("%+v, %v, %d calls", got, err, len(c.seen()))
	}
}

func TestFailures(t *testing.T) {
	ev := map[string]string{"member_id": "M-1", "country": "DE"}
	for _, tc := range []struct {
		name   string
		c      *chamber
		extra  map[string]any
		secret []byte
		want   error
	}{
		{"429", &chamber{status: 429}, nil, nil, claims.ErrUnavailable},
		{"503", &chamber{status: 503, raw: "<html>down</html>"}, nil, nil, claims.ErrUnavailable},
		{"500 json", &chamber{status: 500, raw: `{"error": "boom"}`}, nil, nil, claims.ErrUnavailable},
		{"408", &chamber{status: 408}, nil, nil, claims.ErrUnavailable},
		{"not json", &chamber{status: 200, raw: "<html>ok</html>"}, nil, nil, claims.ErrMisconfigured},
		{"refused token", &chamber{}, nil, []byte(`{"fields": {"token": "wrong"}}`), claims.ErrMisconfigured},
		{"403", &chamber{status: 403, raw: `{}`}, nil, nil, claims.ErrMisconfigured},
		{"runtime error", &chamber{}, map[string]any{"verified_when": `answer.nope.deeper == 1`}, nil, claims.ErrMisconfigured},
		{"unexplained 4xx", &chamber{status: 422, raw: `{"code": "bad"}`}, nil, nil, claims.ErrMisconfigured},
		{"redirect without location", &chamber{status: 302, raw: `{}`}, nil, nil, claims.ErrMisconfigured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.c)
			defer srv.Close()
			sec := secret
			if tc.secret != nil {
				sec = tc.secret
			}
			a, err := Build("chamber", settings(srv.URL, tc.extra), sec, egress.Client(egress.Local, 5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			got, err := check(a, ev)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got.Verdict == claims.Rejected || got.Verdict == claims.Verified {
				t.Fatalf("verdict %s with an error", got.Verdict)
			}
			if strings.Contains(err.Error(), "M-1") || strings.Contains(err.Error(), token) {
				t.Fatalf("error %q quotes evidence or the secret", err)
			}
		})
	}
}

func TestDeadlineIsUnavailable(t *testing.T) {
	c := &chamber{released: make(chan struct{})}
	defer close(c.released)
	a := build(t, c, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := a.Check(ctx, claims.Request{Evidence: map[string]string{"member_id": "M-1", "country": "DE"}}); !errors.Is(err, claims.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

// A 4xx the rule explains is a rejection.
func TestRejectedWhenExplainsA4xx(t *testing.T) {
	a := build(t, &chamber{status: 422, raw: `{"code": "INVALID_ID"}`}, map[string]any{"rejected_when": `status == 422 && answer.code == "INVALID_ID"`})
	got, err := check(a, map[string]string{"member_id": "M-1", "country": "DE"})
	if err != nil || got.Verdict != claims.Rejected || got.Reason != ReasonRejected {
		t.Fatalf("%+v, %v", got, err)
	}
}

func TestSettings(t *testing.T) {
	base := "https://registry.example"
	for name, tc := range map[string]struct {
		extra map[string]any
		field string
	}{
		"unknown key":        {map[string]any{"verify_when": "true"}, "verify_when"},
		"bad expression":     {map[string]any{"verified_when": `answer.status ==`}, "verified_when"},
		"not a bool":         {map[string]any{"verified_when": `1 + 1`}, "verified_when"},
		"bad rejected":       {map[string]any{"rejected_when": `)`}, "rejected_when"},
		"host placeholder":   {map[string]any{"url": "https://{tenant}.registry.example/m/{member_id}"}, "url"},
		"secret in url":      {map[string]any{"url": base + "/m/{member_id}?key={secret.token}"}, "url"},
		"relative url":       {map[string]any{"url": "/m/{member_id}"}, "url"},
		"fragment":           {map[string]any{"url": base + "/m/{member_id}#x"}, "url"},
		"body with GET":      {map[string]any{"body": `{"a": "{member_id}"}`}, "body"},
		"body not json":      {map[string]any{"method": "POST", "body": `{"a": {member_id}}`}, "body"},
		"evidence in header": {map[string]any{"headers": map[string]any{"X-Id": "{member_id}"}}, "headers.X-Id"},
		"bad header name":    {map[string]any{"headers": map[string]any{"X Id": "v"}}, "headers.X Id"},
		"bad method":         {map[string]any{"method": "DELETE"}, "method"},
		"bad reference":      {map[string]any{"reference": "a..b"}, "reference"},
		"bad attribute path": {map[string]any{"attributes": map[string]any{"x": ""}}, "attributes.x"},
		"no verified_when":   {map[string]any{"verified_when": nil}, "verified_when"},
	} {
		t.Run(name, func(t *testing.T) {
			var se *spec.Error
			err := CheckSettings(settings(base, tc.extra))
			found := false
			for _, e := range spec.Leaves(err) {
				if errors.As(e, &se) && se.Path.String() == tc.field {
					found = true
				}
			}
			if !found {
				t.Fatalf("err = %v, want one at %s", err, tc.field)
			}
		})
	}
	if err := CheckSettings(settings(base, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestBuildNeedsTheSecretFields(t *testing.T) {
	s := settings("https://registry.example", nil)
	for _, sec := range [][]byte{nil, []byte(`{"fields": {}}`), []byte(`{"fields": {"other": "x"}}`)} {
		if _, err := Build("chamber", s, sec, nil); err == nil || !strings.Contains(err.Error(), "token") {
			t.Errorf("secret %s: err = %v, want one naming the missing field", sec, err)
		}
	}
	if _, err := Build("chamber", s, []byte(`{"token": "flat"}`), nil); err == nil {
		t.Error("a flat secret was accepted; want {\"fields\": {...}}")
	}
	if _, err := Build("chamber", s, secret, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Build("chamber", settings("http://registry.example", nil), secret, nil); err == nil {
		t.Fatal("production accepted plain http")
	}
}
