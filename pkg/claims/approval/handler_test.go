package approval_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims/approval"
)

// decision is one recorded Decide call.
type decision struct {
	id, approver string
	approved     bool
	nonce        string
}

// fakeStore is the Decider the tests drive: one approval per id, decided
// at most once.
type fakeStore struct {
	mu        sync.Mutex
	approvals map[string]*approval.Summary
	decisions []decision
	shown     int
	err       error // returned by every call when set
}

func newFakeStore(s approval.Summary) *fakeStore {
	return &fakeStore{approvals: map[string]*approval.Summary{"apr_1": &s}}
}

func (f *fakeStore) Show(_ context.Context, id string) (approval.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown++
	if f.err != nil {
		return approval.Summary{}, f.err
	}
	s, ok := f.approvals[id]
	if !ok {
		return approval.Summary{}, fmt.Errorf("show %s: %w", id, approval.ErrNotFound)
	}
	return *s, nil
}

func (f *fakeStore) Decide(ctx context.Context, id string, approved bool, approver string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	s, ok := f.approvals[id]
	switch {
	case !ok:
		return fmt.Errorf("decide %s: %w", id, approval.ErrNotFound)
	case s.Status == approval.StatusExpired:
		return fmt.Errorf("decide %s: %w", id, approval.ErrApprovalExpired)
	case s.Status != approval.StatusPending:
		return fmt.Errorf("decide %s: %w", id, approval.ErrAlreadyDecided)
	}
	s.Status = approval.StatusRejected
	if approved {
		s.Status = approval.StatusApproved
	}
	link, _ := approval.LinkFromContext(ctx)
	f.decisions = append(f.decisions, decision{id: id, approved: approved, approver: approver, nonce: link.Nonce})
	return nil
}

func (f *fakeStore) recorded() []decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]decision(nil), f.decisions...)
}

func pending() approval.Summary {
	return approval.Summary{Claim: "hcp", Value: "health_care_professional", Rule: "hcp-manual",
		Evidence: map[string]string{"npi": "1234567890", "state": "CA"}, RequestedAt: t0, Expires: t0.Add(7 * 24 * time.Hour),
		Status: approval.StatusPending}
}

type fixture struct {
	clock   *clock
	links   approval.Links
	store   *fakeStore
	srv     *httptest.Server
	logs    *bytes.Buffer
	approve string // link paths
	reject  string
}

func newFixture(t *testing.T, s approval.Summary) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t0}, store: newFakeStore(s), logs: &bytes.Buffer{}}
	f.links = testLinks(f.clock)
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	f.srv = httptest.NewServer(approval.Handler(f.links, f.store, log))
	t.Cleanup(f.srv.Close)
	a, r, _, err := f.links.New("apr_1", "reviewer@example.com")
	if err != nil {
		t.Fatal(err)
	}
	f.approve, f.reject = approval.LinkPath+token(t, a), approval.LinkPath+token(t, r)
	return f
}

// do sends method to path and returns the status and body; every answer
// must carry the security headers.
func (f *fixture) do(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for h, want := range map[string]string{
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
	} {
		if got := resp.Header.Get(h); !strings.HasPrefix(got, want) {
			t.Errorf("%s %s: %s %q, want %q", method, path, h, got, want)
		}
	}
	return resp.StatusCode, string(b)
}

// GET shows the approval and a form, and decides nothing, however often a
// scanner fetches it.
func TestHandlerGetDoesNotDecide(t *testing.T) {
	f := newFixture(t, pending())
	for range 3 {
		code, body := f.do(t, http.MethodGet, f.approve)
		if code != http.StatusOK {
			t.Fatalf("GET: %d %s", code, body)
		}
		for _, want := range []string{"hcp", "health_care_professional", "hcp-manual", "1234567890", `<form method="post">`, `class="approve"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q:\n%s", want, body)
			}
		}
	}
	if code, _ := f.do(t, http.MethodHead, f.reject); code != http.StatusOK {
		t.Errorf("HEAD: %d", code)
	}
	if d := f.store.recorded(); len(d) != 0 {
		t.Fatalf("GET decided: %+v", d)
	}
}

// POST decides once; the second POST, on either link, is 409.
func TestHandlerPostDecidesOnce(t *testing.T) {
	f := newFixture(t, pending())
	code, body := f.do(t, http.MethodPost, f.reject)
	if code != http.StatusOK || !strings.Contains(body, "Decision recorded") {
		t.Fatalf("POST: %d %s", code, body)
	}
	for _, path := range []string{f.reject, f.approve} {
		if code, _ := f.do(t, http.MethodPost, path); code != http.StatusConflict {
			t.Errorf("second POST: %d, want 409", code)
		}
	}
	d := f.store.recorded()
	if len(d) != 1 || d[0].id != "apr_1" || d[0].approved || d[0].approver != "reviewer@example.com" || d[0].nonce == "" {
		t.Fatalf("decisions %+v, want one rejection by the link's approver with its nonce", d)
	}
	if code, body := f.do(t, http.MethodGet, f.approve); code != http.StatusConflict || !strings.Contains(body, "rejected") {
		t.Errorf("GET after the decision: %d %s", code, body)
	}
	if strings.Contains(f.logs.String(), "reviewer@example.com") || strings.Contains(f.logs.String(), strings.TrimPrefix(f.approve, approval.LinkPath)) {
		t.Errorf("logs carry the approver or the token:\n%s", f.logs)
	}
	if !strings.Contains(f.logs.String(), `"approval":"apr_1"`) {
		t.Errorf("logs lack the approval id:\n%s", f.logs)
	}
}

func TestHandlerStatuses(t *testing.T) {
	decided := pending()
	decided.Status = approval.StatusApproved
	expired := pending()
	expired.Status = approval.StatusExpired
	lapsed := pending()
	lapsed.Expires = t0.Add(-time.Minute)

	for _, tc := range []struct {
		name         string
		summary      approval.Summary
		storeErr     error
		method, path string // path "approve" or a literal
		advance      time.Duration
		want         int
	}{
		{name: "expired link GET", summary: pending(), method: "GET", path: "approve", advance: 73 * time.Hour, want: 410},
		{name: "expired link POST", summary: pending(), method: "POST", path: "approve", advance: 73 * time.Hour, want: 410},
		{name: "expired approval GET", summary: expired, method: "GET", path: "approve", want: 410},
		{name: "expired approval POST", summary: expired, method: "POST", path: "approve", want: 410},
		{name: "approval past its expiry GET", summary: lapsed, method: "GET", path: "approve", want: 410},
		{name: "decided GET", summary: decided, method: "GET", path: "approve", want: 409},
		{name: "invalid token GET", summary: pending(), method: "GET", path: approval.LinkPath + "AAAAAAAA", want: 404},
		{name: "invalid token POST", summary: pending(), method: "POST", path: approval.LinkPath + "AAAAAAAA", want: 404},
		{name: "other path", summary: pending(), method: "GET", path: "/claims/approvals", want: 404},
		{name: "PUT", summary: pending(), method: "PUT", path: "approve", want: 405},
		{name: "DELETE", summary: pending(), method: "DELETE", path: "approve", want: 405},
		{name: "store down GET", summary: pending(), storeErr: errors.New("dynamodb: throttled"), method: "GET", path: "approve", want: 500},
		{name: "store down POST", summary: pending(), storeErr: errors.New("dynamodb: throttled"), method: "POST", path: "approve", want: 500},
		{name: "unknown approval", summary: pending(), storeErr: approval.ErrNotFound, method: "GET", path: "approve", want: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.summary)
			f.store.err = tc.storeErr
			f.clock.t = f.clock.t.Add(tc.advance)
			path := tc.path
			if path == "approve" {
				path = f.approve
			}
			code, body := f.do(t, tc.method, path)
			if code != tc.want {
				t.Fatalf("%s: %d, want %d\n%s", tc.name, code, tc.want, body)
			}
			if strings.Contains(body, "dynamodb") {
				t.Errorf("page shows the internal error:\n%s", body)
			}
			if len(f.store.recorded()) != 0 {
				t.Errorf("decided: %+v", f.store.recorded())
			}
		})
	}
}

// Everything the page shows is HTML-escaped.
func TestHandlerEscapes(t *testing.T) {
	s := pending()
	s.Value = `<script>alert(1)</script>`
	s.Evidence = map[string]string{`<b>name</b>`: `"><img src=x onerror=alert(1)>`}
	f := newFixture(t, s)
	code, body := f.do(t, http.MethodGet, f.approve)
	if code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	for _, bad := range []string{"<script>", "<img", "<b>name"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q unescaped:\n%s", bad, body)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;name&lt;/b&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks the escaped %q:\n%s", want, body)
		}
	}
}
