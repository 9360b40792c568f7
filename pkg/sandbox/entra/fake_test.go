package entra

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
)

const tenant = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

func serve(t *testing.T) (*Fake, *httptest.Server, *http.Client) {
	t.Helper()
	f := NewFake(tenant, "cid", "secret")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv, egress.Client(egress.Local, 5*time.Second)
}

func do(t *testing.T, hc *http.Client, method, u, tok, ctype, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header, m
}

func token(t *testing.T, hc *http.Client, srv *httptest.Server) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"secret"}, "scope": {graphScope}}
	st, _, m := do(t, hc, "POST", srv.URL+"/"+tenant+"/oauth2/v2.0/token", "", "application/x-www-form-urlencoded", form.Encode())
	if st != 200 || m["token_type"] != "Bearer" || m["access_token"] == "" {
		t.Fatalf("token: %d %v", st, m)
	}
	return m["access_token"].(string)
}

func TestToken(t *testing.T) {
	_, srv, hc := serve(t)
	for _, tt := range []struct {
		name, tenant string
		form         url.Values
		status       int
		code         string
	}{
		{"wrong secret", tenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"x"}, "scope": {graphScope}}, 401, "invalid_client"},
		{"unknown app", tenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"secret"}, "scope": {graphScope}}, 400, "unauthorized_client"},
		{"other scope", tenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"secret"}, "scope": {"User.Read"}}, 400, "invalid_scope"},
		{"unknown tenant", "other", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"secret"}, "scope": {graphScope}}, 400, "invalid_request"},
		{"other grant", tenant, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
	} {
		st, _, m := do(t, hc, "POST", srv.URL+"/"+tt.tenant+"/oauth2/v2.0/token", "", "application/x-www-form-urlencoded", tt.form.Encode())
		if st != tt.status || m["error"] != tt.code || !strings.HasPrefix(m["error_description"].(string), "AADSTS") {
			t.Errorf("%s: %d %v", tt.name, st, m)
		}
	}
}

func TestUsersAPI(t *testing.T) {
	f, srv, hc := serve(t)
	for _, id := range []string{"a", "b", "c"} {
		f.Put(&profile.Profile{Sub: id, GivenName: "G", Email: id + "@example.com"}, "")
	}
	tok := token(t, hc, srv)
	if st, _, m := do(t, hc, "GET", srv.URL+"/v1.0/users/a", "", "", ""); st != 401 || m["error"].(map[string]any)["code"] != "InvalidAuthenticationToken" {
		t.Errorf("no token: %d %v", st, m)
	}
	st, _, m := do(t, hc, "GET", srv.URL+"/v1.0/users/zz", tok, "", "")
	e, _ := m["error"].(map[string]any)
	if st != 404 || e["code"] != "Request_ResourceNotFound" || e["innerError"].(map[string]any)["request-id"] == "" {
		t.Errorf("unknown user: %d %v", st, m)
	}
	if st, _, m := do(t, hc, "GET", srv.URL+"/v1.0/users/a", tok, "", ""); st != 200 || m["mail"] != "a@example.com" || m["jobTitle"] != nil || m["accountEnabled"] != nil {
		t.Errorf("default select: %d %v", st, m)
	}
	if st, _, m := do(t, hc, "GET", srv.URL+"/v1.0/users/a?$select=id,accountEnabled", tok, "", ""); st != 200 || m["accountEnabled"] != true || m["mail"] != nil {
		t.Errorf("$select: %d %v", st, m)
	}
	if st, _, _ := do(t, hc, "GET", srv.URL+"/v1.0/users?$top=1000", tok, "", ""); st != 400 {
		t.Errorf("$top 1000: %d", st)
	}
	st, _, m = do(t, hc, "GET", srv.URL+"/v1.0/users?$top=2&$select=id", tok, "", "")
	next, _ := m["@odata.nextLink"].(string)
	if st != 200 || len(m["value"].([]any)) != 2 || !strings.HasPrefix(next, srv.URL+"/v1.0/users?$top=2&$select=id&$skiptoken=") {
		t.Fatalf("first page: %d %v", st, m)
	}
	st, _, m = do(t, hc, "GET", next, tok, "", "")
	if st != 200 || len(m["value"].([]any)) != 1 || m["@odata.nextLink"] != nil || m["value"].([]any)[0].(map[string]any)["id"] != "c" {
		t.Fatalf("last page: %d %v", st, m)
	}
	f.FailNext(1, 429, 7*time.Second)
	if st, h, _ := do(t, hc, "GET", srv.URL+"/v1.0/users/a", tok, "", ""); st != 429 || h.Get("Retry-After") != "7" {
		t.Errorf("throttled: %d %v", st, h)
	}
	if st, _, _ := do(t, hc, "PATCH", srv.URL+"/v1.0/users/a", tok, "application/json", `{"extension_x_y":"1"}`); st != 400 {
		t.Errorf("unregistered extension: %d", st)
	}
	if st, _, _ := do(t, hc, "PATCH", srv.URL+"/v1.0/users/a", tok, "application/json", `{"city":"Berlin"}`); st != 204 {
		t.Errorf("patch: %d", st)
	}
	if u, _ := f.User("a"); u["city"] != "Berlin" {
		t.Errorf("after patch: %v", u)
	}
}

// receiver is a notification URL that answers Graph as the ProfileSync
// ingress does, or refuses the validation when echo is false.
type receiver struct {
	echo bool
	mu   sync.Mutex
	got  []map[string]any
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tok := r.URL.Query().Get("validationToken"); tok != "" {
		if !rc.echo {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, tok)
		return
	}
	var c struct{ Value []map[string]any }
	_ = json.NewDecoder(r.Body).Decode(&c)
	rc.mu.Lock()
	rc.got = append(rc.got, c.Value...)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func TestSubscriptions(t *testing.T) {
	f, srv, hc := serve(t)
	f.Put(&profile.Profile{Sub: "a"}, "")
	tok := token(t, hc, srv)
	good, bad := &receiver{echo: true}, &receiver{}
	goodSrv, badSrv := httptest.NewServer(good), httptest.NewServer(bad)
	t.Cleanup(goodSrv.Close)
	t.Cleanup(badSrv.Close)
	sub := func(u, changeType string, exp time.Time) (int, map[string]any) {
		body, _ := json.Marshal(map[string]any{"changeType": changeType, "notificationUrl": u, "resource": "users",
			"expirationDateTime": exp.Format(time.RFC3339), "clientState": "ps-client-state-0123456789"})
		st, _, m := do(t, hc, "POST", srv.URL+"/v1.0/subscriptions", tok, "application/json", string(body))
		return st, m
	}
	if st, m := sub(badSrv.URL, "updated", time.Now().Add(time.Hour)); st != 400 || m["error"].(map[string]any)["code"] != "ValidationError" {
		t.Errorf("unvalidated URL: %d %v", st, m)
	}
	if st, _ := sub(goodSrv.URL, "updated", time.Now().Add(30*24*time.Hour)); st != 400 {
		t.Errorf("30 days: %d", st)
	}
	if st, _ := sub(goodSrv.URL, "renamed", time.Now().Add(time.Hour)); st != 400 {
		t.Errorf("bad changeType: %d", st)
	}
	st, m := sub(goodSrv.URL, "updated,deleted", time.Now().Add(time.Hour))
	if st != 201 || m["id"] == "" {
		t.Fatalf("subscribe: %d %v", st, m)
	}
	if sts, err := f.Notify(context.Background(), "created", "a"); err != nil || len(sts) != 0 {
		t.Errorf("created is not subscribed: %v %v", sts, err)
	}
	if sts, err := f.Notify(context.Background(), "deleted", "a"); err != nil || len(sts) != 1 || sts[0] != 202 {
		t.Errorf("deleted: %v %v", sts, err)
	}
	if sts, err := f.NotifyLifecycle(context.Background(), "reauthorizationRequired"); err != nil || len(sts) != 1 {
		t.Errorf("lifecycle: %v %v", sts, err)
	}
	good.mu.Lock()
	got := good.got
	good.mu.Unlock()
	if len(got) != 2 || got[0]["resource"] != "Users/a" || got[0]["changeType"] != "deleted" || got[0]["clientState"] != "ps-client-state-0123456789" ||
		got[0]["subscriptionId"] != m["id"] || got[0]["tenantId"] != tenant || got[1]["lifecycleEvent"] != "reauthorizationRequired" {
		t.Fatalf("received %v", got)
	}
	if st, _, _ := do(t, hc, "DELETE", srv.URL+"/v1.0/subscriptions/"+m["id"].(string), tok, "", ""); st != 204 {
		t.Errorf("unsubscribe: %d", st)
	}
	if sts, _ := f.Notify(context.Background(), "deleted", "a"); len(sts) != 0 {
		t.Errorf("notified after unsubscribing: %v", sts)
	}

	// The Go API validates as the HTTP one does; a PATCH notifies by itself.
	if _, err := f.Subscribe(context.Background(), badSrv.URL, "ps-client-state-0123456789"); err == nil {
		t.Error("Subscribe accepted a URL that fails the validation")
	}
	if _, err := f.Subscribe(context.Background(), goodSrv.URL, "ps-client-state-0123456789"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := do(t, hc, "PATCH", srv.URL+"/v1.0/users/a", tok, "application/json", `{"city":"Wien"}`); st != 204 {
		t.Fatalf("patch: %d", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		good.mu.Lock()
		n := len(good.got)
		last := good.got[n-1]
		good.mu.Unlock()
		if n == 3 && last["changeType"] == "updated" && last["resource"] == "Users/a" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notification after the patch: %v", last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
