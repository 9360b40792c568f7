package claims

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

// The API's callers: keys and secrets are test values of the required
// length, nothing real.
const (
	testKey       = "key-0123456789abcdef"
	testHookKey   = "hook-0123456789abcdef"
	testOktaKey   = "okta-0123456789abcdef"
	testHMAC      = "hmac-0123456789abcdef"
	testWrongHMAC = "hmac-fedcba9876543210"
)

type apiFixture struct {
	*fixture
	api   *API
	queue *ingress.MemoryQueue
}

func newAPIFixture(t *testing.T, ps ...*profile.Profile) *apiFixture {
	t.Helper()
	f := newFixture(t, "testdata/hcp.yaml", ps...)
	q := &ingress.MemoryQueue{}
	api := &API{Verifier: f.v, Queue: q, Callers: Callers{RatePerSecond: 100, Callers: map[string]Caller{
		"crm":    {APIKey: testKey, Source: "cidaas"},
		"signer": {HMACSecret: testHMAC, Source: "cidaas"},
		"hooks":  {APIKey: testHookKey},
		"okta":   {APIKey: testOktaKey, Source: "okta"},
	}}}
	return &apiFixture{fixture: f, api: api, queue: q}
}

// call serves one request and returns the recorder.
func (a *apiFixture) call(t *testing.T, method, target string, header map[string]string, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	a.api.ServeHTTP(w, r)
	return w
}

// nothingHappened is true when no authority was asked, no decision
// recorded, the CIAM left alone and nothing queued.
func (a *apiFixture) nothingHappened(t *testing.T, sub string) {
	t.Helper()
	h, _ := a.store.History(context.Background(), sub)
	if a.s.total() != 0 || len(h) != 0 || a.ciam.updates != 0 || a.queue.Len() != 0 {
		t.Errorf("authority calls %d, decisions %d, updates %d, queued %d; want none", a.s.total(), len(h), a.ciam.updates, a.queue.Len())
	}
}

func hcpBody(sub string, extra string) string {
	return `{"profile": {"sub": "` + sub + `", "family_name": "Example", "email_verified": true, "custom": {"declared_role": "health_care_professional", "npi": "1234567893"}}` + extra + `}`
}

func decodeResponse(t *testing.T, w *httptest.ResponseRecorder) VerifyResponse {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var res VerifyResponse
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return res
}

func oneVerdict(t *testing.T, res VerifyResponse) ClaimResult {
	t.Helper()
	if len(res.Results) != 1 {
		t.Fatalf("results = %+v, want one", res.Results)
	}
	return res.Results[0]
}

func TestAPIKeyHeaderAndBearer(t *testing.T) {
	for name, h := range map[string]map[string]string{
		"X-API-Key":     {"X-API-Key": testKey},
		"Bearer":        {"Authorization": "Bearer " + testKey},
		"bearer, lower": {"Authorization": "bearer " + testKey},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
			a.s.set("first", yes)
			a.s.set("second", yes)
			res := decodeResponse(t, a.call(t, http.MethodPost, VerifyPath, h, hcpBody("s1", "")))
			r := oneVerdict(t, res)
			if res.Subject != "s1" || r.Rule != "hcp" || r.Verdict != Verified || r.Cached || r.Continues || r.WriteBack["hcp_status"] != "verified" {
				t.Errorf("answer = %+v", res)
			}
			if a.s.total() != 2 || a.ciam.updates != 1 || a.ciam.profiles["s1"].Custom["hcp_status"] != "verified" {
				t.Errorf("calls %d, updates %d, profile %v", a.s.total(), a.ciam.updates, a.ciam.profiles["s1"].Custom)
			}
		})
	}
}

func TestAPIUnauthenticated(t *testing.T) {
	body := hcpBody("s1", "")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // the fixture's clock
	for name, h := range map[string]map[string]string{
		"no credentials":  {},
		"wrong key":       {"X-API-Key": "key-0000000000000000"},
		"wrong bearer":    {"Authorization": "Bearer key-0000000000000000"},
		"basic auth":      {"Authorization": "Basic " + testKey},
		"key as a secret": {"X-ProfileSync-Signature": Sign(testKey, now, []byte(body))},
		"tampered body":   {"X-ProfileSync-Signature": Sign(testHMAC, now, []byte(strings.Replace(body, "s1", "s2", 1)))},
		"wrong secret":    {"X-ProfileSync-Signature": Sign(testWrongHMAC, now, []byte(body))},
		"too old":         {"X-ProfileSync-Signature": Sign(testHMAC, now.Add(-SignatureTolerance-time.Second), []byte(body))},
		"too new":         {"X-ProfileSync-Signature": Sign(testHMAC, now.Add(SignatureTolerance+time.Second), []byte(body))},
		"no timestamp":    {"X-ProfileSync-Signature": strings.Split(Sign(testHMAC, now, []byte(body)), ",")[1]},
		"mac not hex":     {"X-ProfileSync-Signature": "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=zz"},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
			a.s.set("first", yes)
			a.s.set("second", yes)
			w := a.call(t, http.MethodPost, VerifyPath, h, body)
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("status %d: %s", w.Code, w.Body)
			}
			a.nothingHappened(t, "s1")
		})
	}
}

func TestAPISignature(t *testing.T) {
	body := hcpBody("s1", "")
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a.s.set("first", yes)
	a.s.set("second", yes)
	// Signed four minutes ago, or by a clock four minutes fast: within
	// the tolerance.
	for _, at := range []time.Time{a.clock.Now(), a.clock.Now().Add(-4 * time.Minute), a.clock.Now().Add(4 * time.Minute)} {
		w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-ProfileSync-Signature": Sign(testHMAC, at, []byte(body))}, body)
		if r := oneVerdict(t, decodeResponse(t, w)); r.Verdict != Verified {
			t.Errorf("signed at %s: %+v", at, r)
		}
	}
	// The verifier's clock decides: six minutes later the same signature
	// is refused.
	sig := Sign(testHMAC, a.clock.Now(), []byte(body))
	a.clock.Add(6 * time.Minute)
	if w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-ProfileSync-Signature": sig}, body); w.Code != http.StatusUnauthorized {
		t.Errorf("a replay six minutes later: %d", w.Code)
	}
}

// A caller whose secret names a source cannot name another.
func TestAPICallerSpeaksForItsSourceOnly(t *testing.T) {
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a.s.set("first", yes)
	a.s.set("second", yes)
	w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testOktaKey}, hcpBody("s1", `, "source": "cidaas"`))
	if w.Code != http.StatusForbidden {
		t.Errorf("status %d: %s", w.Code, w.Body)
	}
	a.nothingHappened(t, "s1")
	// Naming its own source is fine.
	w = a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", `, "source": "cidaas"`))
	if r := oneVerdict(t, decodeResponse(t, w)); r.Verdict != Verified {
		t.Errorf("own source: %+v", r)
	}
}

// A caller whose secret names no source must name one; without one the
// request is the caller's mistake, not a failed verification.
func TestAPISourceRequired(t *testing.T) {
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testHookKey}, hcpBody("s1", ""))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "source") {
		t.Errorf("status %d: %s", w.Code, w.Body)
	}
	a.nothingHappened(t, "s1")
	a.s.set("first", yes)
	a.s.set("second", yes)
	w = a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testHookKey}, hcpBody("s1", `, "source": "cidaas"`))
	if r := oneVerdict(t, decodeResponse(t, w)); r.Verdict != Verified || a.ciam.updates != 1 {
		t.Errorf("naming the source: %+v, updates %d", r, a.ciam.updates)
	}
}

func TestAPIRateLimit(t *testing.T) {
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a.api.Callers.RatePerSecond = 1 // a burst of 2
	a.s.set("first", yes)
	a.s.set("second", yes)
	h := map[string]string{"X-API-Key": testKey}
	for i := range 2 {
		if w := a.call(t, http.MethodPost, VerifyPath, h, hcpBody("s1", "")); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, w.Code)
		}
	}
	w := a.call(t, http.MethodPost, VerifyPath, h, hcpBody("s1", ""))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request: %d", w.Code)
	}
	ra := w.Header().Get("Retry-After")
	if n, err := strconv.Atoi(ra); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", ra)
	}
	// Another caller has a bucket of its own.
	if w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testHookKey}, hcpBody("s1", `, "source": "cidaas"`)); w.Code != http.StatusOK {
		t.Errorf("another caller: %d", w.Code)
	}
	a.clock.Add(time.Second)
	if w := a.call(t, http.MethodPost, VerifyPath, h, hcpBody("s1", "")); w.Code != http.StatusOK {
		t.Errorf("a second later: %d", w.Code)
	}
	if w := a.call(t, http.MethodPost, VerifyPath, h, hcpBody("s1", "")); w.Code != http.StatusTooManyRequests {
		t.Errorf("again at once: %d", w.Code)
	}
}

func TestAPIBadRequests(t *testing.T) {
	big := hcpBody("s1", `, "environment": "`+strings.Repeat("x", MaxRequest)+`"`)
	for _, c := range []struct {
		name   string
		target string
		body   string
		status int
	}{
		{"not JSON", VerifyPath, `{"profile": {"sub": "SECRET-123"`, 400},
		{"not an object", VerifyPath, `["SECRET-123"]`, 400},
		{"unknown field", VerifyPath, `{"profile": {"sub": "SECRET-123"}, "bogus": "SECRET-456"}`, 400},
		{"unknown profile field", VerifyPath, `{"profile": {"sub": "SECRET-123", "bogus": "SECRET-456"}}`, 400},
		{"wrong type", VerifyPath, `{"profile": {"sub": "SECRET-123", "email": ["SECRET-456"]}}`, 400},
		{"bad time", VerifyPath, `{"profile": {"sub": "SECRET-123", "updated_at": "SECRET-456"}}`, 400},
		{"no profile", VerifyPath, `{"source": "cidaas"}`, 400},
		{"no sub", VerifyPath, `{"profile": {"email": "SECRET-123@example.org"}}`, 400},
		{"two objects", VerifyPath, `{"profile": {"sub": "SECRET-123"}} {"profile": {"sub": "SECRET-456"}}`, 400},
		{"sub too long", VerifyPath, `{"profile": {"sub": "SECRET-123` + strings.Repeat("x", 300) + `"}}`, 400},
		{"empty", VerifyPath, ``, 400},
		{"unknown format", VerifyPath + "?format=SECRET-123", hcpBody("s1", ""), 400},
		{"over 256 KiB", VerifyPath, big, http.StatusRequestEntityTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
			w := a.call(t, http.MethodPost, c.target, map[string]string{"X-API-Key": testKey}, c.body)
			if w.Code != c.status {
				t.Errorf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var e apiError
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Errorf("error body %q: %v", w.Body, err)
			}
			if strings.Contains(w.Body.String(), "SECRET") || strings.Contains(w.Body.String(), "xxxx") {
				t.Errorf("the error quotes the input: %s", w.Body)
			}
			a.nothingHappened(t, "s1")
		})
	}
}

func TestAPIMethodNotAllowed(t *testing.T) {
	a := newAPIFixture(t)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		w := a.call(t, m, VerifyPath, map[string]string{"X-API-Key": testKey}, "")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
			t.Errorf("%s: %d, Allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

// write_back false records the decision and leaves the CIAM alone.
func TestAPIWriteBackFalse(t *testing.T) {
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a.s.set("first", yes)
	a.s.set("second", yes)
	w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", `, "write_back": false`))
	r := oneVerdict(t, decodeResponse(t, w))
	if r.Verdict != Verified || r.WriteBack["hcp_status"] != "verified" || r.WriteBack["hcp_role"] != "hcp" {
		t.Errorf("answer = %+v", r)
	}
	if a.ciam.updates != 0 || a.ciam.profiles["s1"].Custom["hcp_status"] != nil {
		t.Errorf("the CIAM was updated: %d, %v", a.ciam.updates, a.ciam.profiles["s1"].Custom)
	}
	if h, _ := a.store.History(context.Background(), "s1"); len(h) != 1 {
		t.Errorf("decisions = %d, want 1", len(h))
	}
	// The next request finds the verdict without asking again.
	w = a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", `, "write_back": false`))
	if r := oneVerdict(t, decodeResponse(t, w)); !r.Cached || a.s.total() != 2 {
		t.Errorf("again: %+v, calls %d", r, a.s.total())
	}
}

// A profile that declares no claim: an empty list, nothing asked.
func TestAPINoClaimDeclared(t *testing.T) {
	a := newAPIFixture(t)
	w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, `{"profile": {"sub": "s9", "custom": {"declared_role": "none"}}}`)
	if res := decodeResponse(t, w); res.Subject != "s9" || res.Results == nil || len(res.Results) != 0 {
		t.Errorf("answer = %s", w.Body)
	}
	if !strings.Contains(w.Body.String(), `"results":[]`) {
		t.Errorf("results should be an empty list: %s", w.Body)
	}
	a.nothingHappened(t, "s9")
}

// An authority that is down: pending now, one continuation on the queue.
func TestAPIAuthorityDownContinues(t *testing.T) {
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a.s.set("first", down)
	a.s.set("second", yes)
	w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", `, "environment": "production"`))
	r := oneVerdict(t, decodeResponse(t, w))
	if r.Verdict != Pending || !r.Continues || !strings.Contains(w.Body.String(), `"continues":true`) {
		t.Errorf("answer = %s", w.Body)
	}
	msgs := a.queue.Messages(QueueName)
	if len(msgs) != 1 || a.queue.Len() != 1 {
		t.Fatalf("queued %d on %s, %d in all; want one continuation", len(msgs), QueueName, a.queue.Len())
	}
	env, err := profile.UnmarshalEnvelope(msgs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	e := env.Event
	if env.Target != QueueName || e.Type != profile.Updated || e.Source != "cidaas" || e.Subject != "s1" || e.Environment != "production" ||
		e.Profile == nil || e.Profile.Sub != "s1" || e.Profile.Custom["npi"] != "1234567893" {
		t.Errorf("envelope = %+v", env)
	}
	if msgs[0].Attributes["source"] != "cidaas" || msgs[0].Attributes["event_type"] != string(profile.Updated) || msgs[0].Attributes["event_id"] != e.ID {
		t.Errorf("attributes = %v", msgs[0].Attributes)
	}
	// Without a queue nothing continues, and the answer says so.
	a2 := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a2.api.Queue = nil
	a2.s.set("first", down)
	a2.s.set("second", yes)
	r = oneVerdict(t, decodeResponse(t, a2.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", ""))))
	if r.Verdict != Pending || r.Continues {
		t.Errorf("no queue: %+v", r)
	}
	// A queue that fails: still answered, not continued.
	a3 := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a3.queue.Fail = map[string]error{QueueName: fmt.Errorf("queue down")}
	a3.s.set("first", down)
	a3.s.set("second", yes)
	r = oneVerdict(t, decodeResponse(t, a3.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", ""))))
	if r.Verdict != Pending || r.Continues {
		t.Errorf("failing queue: %+v", r)
	}
}

// blocking is an authority that answers only when its context ends.
type blocking struct{}

func (blocking) Check(ctx context.Context, _ Request) (Answer, error) {
	<-ctx.Done()
	return Answer{}, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
}

// An authority slower than the budget: answered pending, continued.
func TestAPISlowAuthorityAnsweredWithinTheBudget(t *testing.T) {
	a := newAPIFixture(t, hcpProfile("s1", "1234567893"))
	a.s.set("second", yes)
	e, err := NewEngine(a.v.Rules, func(r *Rule, spec AuthoritySpec) (Authority, error) {
		if spec.Name == "first" {
			return blocking{}, nil
		}
		return scriptAuthority{s: a.s, name: spec.Name}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.v.Engine = e
	a.api.Budget = 100 * time.Millisecond
	w := a.call(t, http.MethodPost, VerifyPath, map[string]string{"X-API-Key": testKey}, hcpBody("s1", ""))
	r := oneVerdict(t, decodeResponse(t, w))
	if r.Verdict != Pending || !r.Continues || len(a.queue.Messages(QueueName)) != 1 {
		t.Errorf("answer = %s, queued %d", w.Body, a.queue.Len())
	}
}

func TestParseCallers(t *testing.T) {
	for _, c := range []struct {
		raw string
		ok  bool
	}{
		{`{"callers": {"a": {"api_key": "0123456789abcdef"}}}`, true},
		{`{"callers": {"a": {"hmac_secret": "0123456789abcdef", "source": "okta"}}, "rate_per_second": 3}`, true},
		{`{"callers": {"a": {"api_key": "0123456789abcdef", "hmac_secret": "0123456789abcdef"}}}`, false},
		{`{"callers": {"a": {"source": "okta"}}}`, false},
		{`{"callers": {"a": {"api_key": "0123456789abcde"}}}`, false},
		{`{"callers": {"a": {"hmac_secret": "short"}}}`, false},
		{`{"callers": {"a": {"api_key": "0123456789abcdef"}}, "rate_per_second": 0}`, false},
		{`{"callers": {"a": {"api_key": "0123456789abcdef", "bogus": 1}}}`, false},
		{`{}`, false},
		{`not json`, false},
	} {
		got, err := ParseCallers([]byte(c.raw))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.raw, err)
			continue
		}
		if err != nil && strings.Contains(err.Error(), "0123456789") {
			t.Errorf("%s: the error quotes the key: %v", c.raw, err)
		}
		if c.ok && (len(got.Callers) != 1 || got.RatePerSecond < 1) {
			t.Errorf("%s: %+v", c.raw, got)
		}
	}
	c, err := ParseCallers([]byte(`{"callers": {"a": {"api_key": "0123456789abcdef"}}}`))
	if err != nil || c.RatePerSecond != 10 || c.Callers["a"].APIKey != "0123456789abcdef" {
		t.Errorf("default rate: %+v %v", c, err)
	}
}
