package gigya

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
)

const (
	apiKey  = "4_site"
	userKey = "uk"
	secret  = "dGVzdC1naWd5YS11c2VyLWtleS1zZWNyZXQtMDEyMw=="
)

func call(t *testing.T, srv *httptest.Server, method string, form url.Values) map[string]any {
	t.Helper()
	resp, err := egress.Client(egress.Local, 5*time.Second).PostForm(srv.URL+"/"+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("%s: HTTP %d", method, resp.StatusCode)
	}
	for _, k := range []string{"callId", "errorCode", "statusCode", "apiVersion", "time"} {
		if _, ok := out[k]; !ok {
			t.Fatalf("%s: answer without %s: %v", method, k, out)
		}
	}
	return out
}

func creds(kv ...string) url.Values {
	v := url.Values{"apiKey": {apiKey}, "userKey": {userKey}, "secret": {secret}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func start(t *testing.T) (*Fake, *httptest.Server) {
	f := NewFake(apiKey, userKey, secret)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func TestErrorsAreHTTP200WithAnErrorCode(t *testing.T) {
	f, srv := start(t)
	f.Put(&profile.Profile{Sub: "u1", Email: "a@example.com"})
	for _, tt := range []struct {
		name   string
		form   url.Values
		code   float64
		status float64
	}{
		{"ok", creds("UID", "u1"), 0, 200},
		{"unknown UID", creds("UID", "u2"), CodeUnauthorizedUser, 403},
		{"no UID", creds(), CodeMissingParameter, 400},
		{"wrong secret", creds("UID", "u1", "secret", "x"), CodeInvalidSecret, 403},
		{"wrong user key", creds("UID", "u1", "userKey", "x"), CodeInvalidSecret, 403},
		{"partner secret without a user key", url.Values{"apiKey": {apiKey}, "secret": {secret}, "UID": {"u1"}}, 0, 200},
		{"wrong API key", creds("UID", "u1", "apiKey", "3_x"), CodeInvalidAPIKey, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := call(t, srv, "accounts.getAccountInfo", tt.form)
			if out["errorCode"] != tt.code || out["statusCode"] != tt.status {
				t.Fatalf("%v", out)
			}
		})
	}
	f.FailNext(2, CodeRateLimit)
	for range 2 {
		if out := call(t, srv, "accounts.getAccountInfo", creds("UID", "u1")); out["errorCode"] != float64(CodeRateLimit) {
			t.Fatalf("injected: %v", out)
		}
	}
	if out := call(t, srv, "accounts.getAccountInfo", creds("UID", "u1")); out["errorCode"] != float64(0) {
		t.Fatalf("after the injected failures: %v", out)
	}
}

func TestSearchCursor(t *testing.T) {
	f, srv := start(t)
	for _, uid := range []string{"c", "a", "e", "b", "d"} {
		f.Put(&profile.Profile{Sub: uid})
	}
	out := call(t, srv, "accounts.search", creds("query", "select * from accounts limit 2", "openCursor", "true"))
	var uids []string
	for {
		for _, r := range out["results"].([]any) {
			uids = append(uids, r.(map[string]any)["UID"].(string))
		}
		next, _ := out["nextCursorId"].(string)
		if next == "" {
			break
		}
		if next == "b" {
			f.Put(&profile.Profile{Sub: "a0"}) // created behind the cursor: not listed
		}
		out = call(t, srv, "accounts.search", creds("cursorId", next))
	}
	if strings.Join(uids, ",") != "a,b,c,d,e" || out["totalCount"] != float64(5) {
		t.Fatalf("%v %v", uids, out)
	}
	if out := call(t, srv, "accounts.search", creds("query", "SELECT * FROM accounts")); out["nextCursorId"] != nil || len(out["results"].([]any)) != 5 {
		t.Fatalf("without a cursor: %v", out)
	}
	for _, form := range []url.Values{creds("cursorId", "nope"), creds("query", "SELECT email FROM accounts"),
		creds("query", "SELECT * FROM accounts LIMIT 10001"), creds("query", "SELECT * FROM accounts", "cursorId", "x")} {
		if out := call(t, srv, "accounts.search", form); out["errorCode"] != float64(CodeInvalidParameter) {
			t.Fatalf("%v: %v", form, out)
		}
	}
}

func TestSetAccountInfoMergesAndAnnounces(t *testing.T) {
	f, srv := start(t)
	f.Put(&profile.Profile{Sub: "u1", Custom: map[string]any{"a": 1, "o": map[string]any{"x": 1, "y": 2}}})
	got := make(chan string, 1)
	f.OnUpdate(func(uid string) { got <- uid })
	if out := call(t, srv, "accounts.setAccountInfo", creds("UID", "u1", "data", `{"a":null,"o":{"y":3},"b":"n"}`)); out["errorCode"] != float64(0) {
		t.Fatal(out)
	}
	a, _ := f.Account("u1")
	if b, _ := json.Marshal(a["data"]); string(b) != `{"b":"n","o":{"x":1,"y":3}}` {
		t.Fatalf("data %s", b)
	}
	if uid := <-got; uid != "u1" {
		t.Fatalf("announced %q", uid)
	}
	if out := call(t, srv, "accounts.setAccountInfo", creds("UID", "u1", "data", `[1]`)); out["errorCode"] != float64(CodeInvalidParameter) {
		t.Fatal(out)
	}
	if out := call(t, srv, "accounts.setAccountInfo", creds("UID", "u9", "data", `{}`)); out["errorCode"] != float64(CodeUnauthorizedUser) {
		t.Fatal(out)
	}
}

func TestJWTPublicKey(t *testing.T) {
	_, srv := start(t)
	resp, err := egress.Client(egress.Local, 5*time.Second).Get(srv.URL + "/accounts.getJWTPublicKey?apiKey=" + apiKey + "&V2=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ErrorCode int `json:"errorCode"`
		Keys      []struct{ Kty, Kid, N, E string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ErrorCode != 0 || len(out.Keys) != 1 || out.Keys[0].Kty != "RSA" || out.Keys[0].E != "AQAB" {
		t.Fatalf("%+v %v", out, err)
	}
}
