// Package gigya is an in-memory stand-in for the part of SAP Customer Data
// Cloud (Gigya) ProfileSync calls: the accounts REST API of one site.
// Tests use it through httptest; the local stack mounts it under a path
// prefix with http.StripPrefix.
//
// It follows SAP's public REST documentation: methods are paths
// (/accounts.getAccountInfo, /accounts.setAccountInfo, /accounts.search,
// /accounts.getJWTPublicKey), parameters come as a form (POST) or a query,
// credentials are apiKey plus userKey and secret (or the partner secret
// alone), and every answer is HTTP 200 with callId, errorCode, apiVersion,
// statusCode, statusReason and time in the body; a failure carries
// errorMessage and errorDetails. Codes used: 400002 missing parameter,
// 400006 invalid parameter value (a bad query, an unknown cursor), 400093
// invalid API key, 403003 invalid secret, 403005 unauthorized user (an
// unknown UID), and whatever FailNext injects (403048 rate limit, 500001
// general server error). It is not a Gigya emulator: search understands
// only "SELECT * FROM accounts [LIMIT n]".
package gigya

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Error codes the fake answers.
const (
	CodeMissingParameter = 400002
	CodeInvalidParameter = 400006
	CodeInvalidAPIKey    = 400093
	CodeInvalidSecret    = 403003
	CodeUnauthorizedUser = 403005
	CodeRateLimit        = 403048
	CodeServerError      = 500001
)

var messages = map[int]string{
	CodeMissingParameter: "Missing required parameter",
	CodeInvalidParameter: "Invalid parameter value",
	CodeInvalidAPIKey:    "Invalid ApiKey parameter",
	CodeInvalidSecret:    "Invalid request signature",
	CodeUnauthorizedUser: "Unauthorized user",
	CodeRateLimit:        "Rate limit exceeded",
	CodeServerError:      "General Server Error",
}

// Fake serves one site's accounts API from memory. It is safe for
// concurrent use.
type Fake struct {
	apiKey, userKey, secret string
	mux                     *http.ServeMux
	now                     func() time.Time

	mu       sync.Mutex
	accounts map[string]map[string]any // by UID
	cursors  map[string]cursor
	updates  []Update
	onUpdate func(uid string)
	key      *signingKey
	failures fakekit.Injector[int] // errorCodes
	calls    fakekit.Counter       // by method path
}

type cursor struct {
	after string // the last UID served
	size  int
}

// NewFake returns a Fake of the site apiKey that accepts userKey with
// secret, or the partner secret (secret) without a userKey.
func NewFake(apiKey, userKey, secret string) *Fake {
	f := &Fake{apiKey: apiKey, userKey: userKey, secret: secret, now: time.Now,
		accounts: map[string]map[string]any{}, cursors: map[string]cursor{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("/accounts.getAccountInfo", f.getAccountInfo)
	f.mux.HandleFunc("/accounts.setAccountInfo", f.setAccountInfo)
	f.mux.HandleFunc("/accounts.search", f.search)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if r.URL.Path == "/accounts.getJWTPublicKey" { // public: the API key only
		f.getJWTPublicKey(w, r)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		f.fail(w, CodeInvalidParameter, "unreadable parameters")
		return
	}
	if code, ok := f.failures.Next(); ok {
		f.fail(w, code, "injected")
		return
	}
	switch {
	case r.Form.Get("apiKey") != f.apiKey:
		f.fail(w, CodeInvalidAPIKey, "")
		return
	case r.Form.Get("secret") == "" || r.Form.Get("secret") != f.secret ||
		(r.Form.Get("userKey") != "" && r.Form.Get("userKey") != f.userKey):
		f.fail(w, CodeInvalidSecret, "")
		return
	}
	f.mux.ServeHTTP(w, r)
}

// FailNext answers the next n calls (not getJWTPublicKey) with errorCode,
// HTTP 200 as SAP CDC answers: CodeRateLimit, CodeServerError…
func (f *Fake) FailNext(n, errorCode int) { f.failures.Add(n, errorCode) }

// Calls reports how many requests reached path ("/accounts.search").
func (f *Fake) Calls(path string) int { return f.calls.Get(path) }

// SetClock sets the clock of lastUpdated and the JWTs.
func (f *Fake) SetClock(now func() time.Time) { f.now = now }

// OnUpdate sets what the fake does after setAccountInfo changed an
// account: the local stack sends the accountUpdated webhook SAP CDC
// would. It runs on its own goroutine, after the answer.
func (f *Fake) OnUpdate(fn func(uid string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onUpdate = fn
}

func (f *Fake) envelope(code int) map[string]any {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	status, reason := http.StatusOK, "OK"
	if code != 0 {
		status, _ = strconv.Atoi(strconv.Itoa(code)[:3])
		reason = http.StatusText(status)
	}
	return map[string]any{"callId": hex.EncodeToString(id), "errorCode": code, "apiVersion": 2,
		"statusCode": status, "statusReason": reason, "time": f.now().UTC().Format("2006-01-02T15:04:05.000Z")}
}

// ok answers body (the method's fields) in the success envelope.
func (f *Fake) ok(w http.ResponseWriter, body map[string]any) {
	out := f.envelope(0)
	for k, v := range body {
		out[k] = v
	}
	fakekit.WriteJSON(w, "application/json; charset=utf-8", http.StatusOK, out)
}

// fail answers errorCode with HTTP 200, as Gigya does by default.
func (f *Fake) fail(w http.ResponseWriter, code int, details string) {
	out := f.envelope(code)
	out["errorMessage"] = messages[code]
	if details != "" {
		out["errorDetails"] = details
	}
	fakekit.WriteJSON(w, "application/json; charset=utf-8", http.StatusOK, out)
}

func (f *Fake) getAccountInfo(w http.ResponseWriter, r *http.Request) {
	uid := r.Form.Get("UID")
	if uid == "" {
		f.fail(w, CodeMissingParameter, "Missing required parameter: UID")
		return
	}
	f.mu.Lock()
	a, ok := f.accounts[uid]
	if ok {
		a = deepCopy(a)
	}
	f.mu.Unlock()
	if !ok {
		f.fail(w, CodeUnauthorizedUser, "UID not found")
		return
	}
	f.ok(w, view(a, r.Form.Get("include")))
}

// view is what getAccountInfo returns for include (profile and data by
// default, as SAP documents; the basics always).
func view(a map[string]any, include string) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"UID", "created", "createdTimestamp", "lastUpdated", "lastUpdatedTimestamp",
		"isActive", "isRegistered", "isVerified", "registered", "registeredTimestamp"} {
		if v, ok := a[k]; ok {
			out[k] = v
		}
	}
	parts := []string{"profile", "data"}
	if include != "" {
		parts = splitComma(include)
	}
	for _, p := range parts {
		if v, ok := a[p]; ok {
			out[p] = v
		}
	}
	return out
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
