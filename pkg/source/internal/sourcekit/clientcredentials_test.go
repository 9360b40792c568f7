package sourcekit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// tokenServer issues numbered tokens and answers a resource read with 401
// for every token but the newest (a revoked session).
func tokenServer(t *testing.T, refuseClient bool) (*ClientCredentials, *atomic.Int32) {
	t.Helper()
	var issued atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if refuseClient || r.PostFormValue("client_secret") != "sec" || r.PostFormValue("audience") != "api" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"access_denied","error_description":"Unauthorized"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"t%d","expires_in":3600}`, issued.Add(1))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &ClientCredentials{Platform: "test", TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: "sec",
		Extra: map[string][]string{"audience": {"api"}}, AuthCodes: []string{"access_denied"},
		HTTP: egress.Client(egress.Local, 5*time.Second)}, &issued
}

func TestClientCredentialsGetRefreshesOnce(t *testing.T) {
	cc, issued := tokenServer(t, false)
	newest := func() string { return fmt.Sprintf("t%d", issued.Load()) }
	var calls int
	get := func(_ context.Context, tok string) (int, http.Header, []byte, error) {
		calls++
		if tok != newest() {
			return http.StatusUnauthorized, nil, nil, nil
		}
		return http.StatusOK, nil, []byte(tok), nil
	}
	if status, _, body, err := cc.Get(context.Background(), get); err != nil || status != 200 || string(body) != "t1" {
		t.Fatalf("first read: %d %s %v", status, body, err)
	}
	// The server revokes t1: the next read gets 401, fetches t2, retries once.
	issued.Add(1)
	calls = 0
	if status, _, _, err := cc.Get(context.Background(), get); err != nil || status != 200 || calls != 2 || issued.Load() != 3 {
		t.Fatalf("after revocation: %d %v, %d calls, %d tokens", status, err, calls, issued.Load())
	}
	// A 401 that survives a fresh token is returned, not looped on.
	calls = 0
	always401 := func(context.Context, string) (int, http.Header, []byte, error) { calls++; return 401, nil, nil, nil }
	if status, _, _, err := cc.Get(context.Background(), always401); err != nil || status != 401 || calls != 2 {
		t.Fatalf("persistent 401: %d %v after %d calls", status, err, calls)
	}
}

func TestClientCredentialsRefusedClientIsAuth(t *testing.T) {
	cc, _ := tokenServer(t, true)
	_, err := cc.Token(context.Background())
	if fault.ClassOf(err) != fault.Auth || fault.As(err).Code != "access_denied" {
		t.Fatalf("refused client: %v (class %v)", err, fault.ClassOf(err))
	}
}

// With an Assertion the client proves itself with a fresh signed JWT
// (private_key_jwt) and sends no secret; a failing assertion is permanent.
func TestClientCredentialsAssertion(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		form = r.PostForm
		fmt.Fprint(w, `{"access_token":"t","expires_in":3600}`)
	}))
	defer srv.Close()
	n := 0
	cc := &ClientCredentials{Platform: "test", TokenURL: srv.URL, ClientID: "cid", HTTP: egress.Client(egress.Local, 5*time.Second),
		Assertion: func(time.Time) (string, error) { n++; return fmt.Sprintf("jwt-%d", n), nil }}
	if tok, err := cc.Token(context.Background()); err != nil || tok != "t" {
		t.Fatal(tok, err)
	}
	if form.Get("client_assertion") != "jwt-1" || form.Get("client_assertion_type") != ClientAssertionType ||
		form.Has("client_secret") || form.Get("grant_type") != "client_credentials" {
		t.Fatalf("form %v", form)
	}
	cc = &ClientCredentials{Platform: "test", TokenURL: srv.URL, HTTP: egress.Client(egress.Local, 5*time.Second),
		Assertion: func(time.Time) (string, error) { return "", fmt.Errorf("no key") }}
	if _, err := cc.Token(context.Background()); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("failing assertion: %v", err)
	}
}
