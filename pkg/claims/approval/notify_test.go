package approval_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims/approval"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func notice() approval.Notice {
	return approval.Notice{ID: "apr_01HZX", Claim: "hcp", Value: "health_care_professional <&>", Rule: "hcp-manual",
		Approve: "https://sync.example.com/claims/approvals/AAAA", Reject: "https://sync.example.com/claims/approvals/BBBB",
		Expires: time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC), Reminder: true}
}

// hook is an httptest webhook that records request bodies and answers
// with status (and body).
type hook struct {
	mu     sync.Mutex
	bodies [][]byte
	ctypes []string
	status int
	body   string
	header http.Header
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.ctypes = append(h.ctypes, r.Header.Get("Content-Type"))
	h.mu.Unlock()
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(h.status)
	_, _ = io.WriteString(w, h.body)
}

const secretPath = "/services/T0001/B0001/s3cr3tW3bh00kT0k3n"

func newHook(t *testing.T, h *hook) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + secretPath
}

func TestWebhookFormats(t *testing.T) {
	for _, format := range []string{"slack", "json"} {
		t.Run(format, func(t *testing.T) {
			h := &hook{status: http.StatusOK, body: "ok"}
			w := approval.Webhook{URL: newHook(t, h), Format: format, Client: egress.Client(egress.Local, 5*time.Second)}
			if err := w.Notify(t.Context(), notice()); err != nil {
				t.Fatal(err)
			}
			if len(h.bodies) != 1 || h.ctypes[0] != "application/json" {
				t.Fatalf("%d calls, content types %v", len(h.bodies), h.ctypes)
			}
			golden(t, "webhook-"+format+".json", h.bodies[0])
			if format == "json" {
				var back approval.Notice
				if err := json.Unmarshal(h.bodies[0], &back); err != nil || back != notice() {
					t.Errorf("round trip: %+v %v", back, err)
				}
			}
		})
	}
}

func TestWebhookErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header http.Header
		class  fault.Class
		code   string
	}{
		{"server error", 500, "", nil, fault.Transient, ""},
		{"bad gateway html", 502, "<html>bad gateway</html>", nil, fault.Transient, ""},
		{"unavailable", 503, "", nil, fault.Transient, ""},
		{"rate limited", 429, "rate_limited", http.Header{"Retry-After": {"30"}}, fault.Throttled, "rate_limited"},
		{"slack bad payload", 400, "invalid_payload", nil, fault.Permanent, "invalid_payload"},
		{"slack channel gone", 404, "no_service", nil, fault.Permanent, "no_service"},
		{"slack revoked", 403, "invalid_token", nil, fault.Permanent, "invalid_token"},
		{"unauthorized", 401, "", nil, fault.Auth, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &hook{status: tc.status, body: tc.body, header: tc.header}
			w := approval.Webhook{URL: newHook(t, h), Format: "slack", Client: egress.Client(egress.Local, 5*time.Second)}
			err := w.Notify(t.Context(), notice())
			fe := fault.As(err)
			if fe == nil || fe.Class != tc.class || fe.Status != tc.status || fe.Code != tc.code {
				t.Fatalf("err %v, want class %v status %d code %q", err, tc.class, tc.status, tc.code)
			}
			if tc.header != nil && fe.RetryAfter != 30*time.Second {
				t.Errorf("retry after %v", fe.RetryAfter)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the webhook URL: %v", err)
			}
		})
	}
}

// A webhook that cannot be reached is transient; one the egress policy
// refuses is permanent. Neither error shows the URL.
func TestWebhookTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + secretPath
	srv.Close()
	w := approval.Webhook{URL: url, Format: "json", Client: egress.Client(egress.Local, 5*time.Second)}
	err := w.Notify(t.Context(), notice())
	if err == nil || fault.ClassOf(err) != fault.Transient || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("closed server: %v, want a transient error without the URL", err)
	}
	w.Client = egress.Client(egress.Production, 5*time.Second)
	err = w.Notify(t.Context(), notice())
	if !egress.IsRefused(err) || fault.ClassOf(err) != fault.Permanent || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("refused by egress: %v, want a permanent refusal without the URL", err)
	}
}

func TestWebhookCheck(t *testing.T) {
	for name, w := range map[string]approval.Webhook{
		"no url":         {Format: "slack"},
		"relative url":   {URL: "/hook", Format: "slack"},
		"unknown format": {URL: "https://hooks.example.com" + secretPath, Format: "teams"},
	} {
		err := w.Check()
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: error shows the URL: %v", name, err)
		}
		if fault.ClassOf(w.Notify(t.Context(), notice())) != fault.Permanent {
			t.Errorf("%s: Notify not permanent", name)
		}
	}
}

// publisher is a fake SNS Publish.
type publisher struct {
	topic, subject, message string
	err                     error
}

func (p *publisher) Publish(_ context.Context, topic, subject, message string) (string, error) {
	p.topic, p.subject, p.message = topic, subject, message
	return "m-1", p.err
}

func TestSNSNotifier(t *testing.T) {
	const arn = "arn:aws:sns:eu-central-1:123456789012:approvals"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			p := &publisher{}
			if err := (approval.SNS{Publisher: p, TopicARN: arn, Format: format}).Notify(t.Context(), notice()); err != nil {
				t.Fatal(err)
			}
			if p.topic != arn || p.subject != "Reminder: approval requested: hcp" {
				t.Errorf("topic %q subject %q", p.topic, p.subject)
			}
			ext := map[string]string{"text": "txt", "json": "json"}[format]
			golden(t, "sns."+ext, []byte(p.message))
		})
	}
	// The subject SNS accepts: printable ASCII, at most 100 characters.
	p := &publisher{}
	n := notice()
	n.Reminder, n.Claim = false, "hcp\nBcc: ✓"+strings.Repeat("x", 200)
	if err := (approval.SNS{Publisher: p, TopicARN: arn}).Notify(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if len(p.subject) != 100 || strings.ContainsAny(p.subject, "\n✓") || !strings.HasPrefix(p.subject, "Approval requested: hcpBcc: x") {
		t.Errorf("subject %q", p.subject)
	}

	p.err = fault.New(fault.Throttled, 400, "Throttling", "rate exceeded")
	if err := (approval.SNS{Publisher: p, TopicARN: arn}).Notify(t.Context(), notice()); fault.ClassOf(err) != fault.Throttled {
		t.Errorf("publisher error lost its class: %v", err)
	}
	if err := (approval.SNS{Publisher: p, TopicARN: arn, Format: "xml"}).Notify(t.Context(), notice()); err == nil {
		t.Error("unknown format accepted")
	}
}

type failing struct{ err error }

func (f failing) Notify(context.Context, approval.Notice) error { return f.err }

// Multi reaches every notifier even after one fails, and reports each
// failure.
func TestMulti(t *testing.T) {
	first, last := &approval.Recorder{}, &approval.Recorder{}
	down := fault.New(fault.Transient, 503, "", "")
	err := approval.Multi{first, failing{down}, last}.Notify(t.Context(), notice())
	if !errors.Is(err, down) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err %v", err)
	}
	if len(first.Notices()) != 1 || len(last.Notices()) != 1 || last.Notices()[0] != notice() {
		t.Fatalf("notices %v / %v", first.Notices(), last.Notices())
	}
	if err := (approval.Multi{first}).Notify(t.Context(), notice()); err != nil {
		t.Fatalf("all well: %v", err)
	}
}
