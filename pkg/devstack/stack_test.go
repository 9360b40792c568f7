package devstack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

const (
	janeSub = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b" // a demo profile in the cidaas and Akamai fakes
	maxSub  = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
)

func startStack(t *testing.T) *Stack {
	t.Helper()
	return startStackIn(t, t.TempDir())
}

// startStackIn starts a stack whose data directory is dir.
func startStackIn(t *testing.T, dir string) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Options{
		Addr: "127.0.0.1:0", DataDir: dir, VisibilityTimeout: 2 * time.Second,
		Log: slog.New(slog.NewTextHandler(testLogOut(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func post(t *testing.T, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func cidaasBody(eventtype, sub string, at time.Time) string {
	return fmt.Sprintf(`{"eventtype":%q,"id":"evt-%s-%d","sub":%q,"tenant_key":"acme-shop","createdTime":%q}`,
		eventtype, eventtype, at.UnixNano(), sub, at.UTC().Format("2006-01-02T15:04:05.000Z"))
}

func clerkHeaders(id, body string, at time.Time) map[string]string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sandbox.DevClerkSecret, "whsec_"))
	ts := fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + body))
	return map[string]string{"webhook-id": id, "webhook-timestamp": ts,
		"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), "content-type": "application/json"}
}

const clerkUserUpdated = `{"data":{"id":"user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5","object":"user","first_name":"Erika","last_name":"Musterfrau",
"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"erika@example.com","verification":{"status":"verified"}}],
"phone_numbers":[],"public_metadata":{},"unsafe_metadata":{},"created_at":1735725600000,"updated_at":1735725900000},
"object":"event","timestamp":1735725900123,"type":"user.updated"}`

func contact(s *Stack, sub string) map[string]any {
	for _, c := range s.Sandbox.Salesforce.Records("Contact") {
		if c["ProfileSync_Id__c"] == sub {
			return c
		}
	}
	return nil
}

func TestEndToEnd(t *testing.T) {
	s := startStack(t)
	now := time.Now()

	// cidaas: a thin event; the profile comes from the fake users API.
	st, body := post(t, s.URL+"/webhooks/cidaas", map[string]string{"apikey": sandbox.DevCidaasAPIKey, "content-type": "application/json"},
		cidaasBody("ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", janeSub, now))
	if st != 200 {
		t.Fatalf("cidaas webhook: %d %s", st, body)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	want := map[string]any{"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@example.com", "MobilePhone": "+4915112345678",
		"MailingCity": "Berlin", "MailingPostalCode": "10115", "MailingCountry": "DE", "LeadSource": "ProfileSync", "Newsletter_Consent__c": true}
	c := contact(s, janeSub)
	for k, v := range want {
		if c[k] != v {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], v)
		}
	}

	// Akamai: a signed SET; the profile comes from the fake /entity.
	set, err := s.Sandbox.Akamai.Sign(map[string]any{
		"iss": sandbox.AkamaiIssuer, "aud": s.URL + "/webhooks/akamai", "iat": now.Unix(), "toe": now.Unix(), "jti": "jti-1",
		"events": map[string]any{"entityUpdated": map[string]any{"sub": maxSub, "id": "akamai-evt-1", "entityType": "user",
			"captureClientId": "web", "attributes": []string{"givenName"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, body := post(t, s.URL+"/webhooks/akamai", map[string]string{"content-type": "application/secevent+jwt"}, string(set)); st != 200 {
		t.Fatalf("akamai webhook: %d %s", st, body)
	}
	eventually(t, "Max's contact", func() bool { return contact(s, maxSub) != nil })
	if c := contact(s, maxSub); c["LastName"] != "Mustermann" || c["MailingCity"] != "Wien" || c["Email"] != "max.mustermann@example.com" {
		t.Errorf("Max's contact = %v", c)
	}

	// Standard Webhooks (Clerk): the snapshot travels in the event.
	if st, body := post(t, s.URL+"/webhooks/clerk", clerkHeaders("msg_e2e_1", clerkUserUpdated, now), clerkUserUpdated); st != 200 {
		t.Fatalf("clerk webhook: %d %s", st, body)
	}
	eventually(t, "Erika's contact", func() bool { return contact(s, "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5") != nil })
	if c := contact(s, "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5"); c["FirstName"] != "Erika" || c["Email"] != "erika@example.com" {
		t.Errorf("Erika's contact = %v", c)
	}

	// The generic webhook target got every change too.
	eventually(t, "three webhook records", func() bool { return len(s.Sandbox.Webhook.Records()) == 3 })

	// cidaas ACCOUNT_DELETED removes Jane's contact.
	if st, body := post(t, s.URL+"/webhooks/cidaas", map[string]string{"apikey": sandbox.DevCidaasAPIKey},
		cidaasBody("ACCOUNT_DELETED", janeSub, now.Add(time.Second))); st != 200 {
		t.Fatalf("cidaas delete: %d %s", st, body)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
	if n := len(s.Sandbox.Salesforce.Records("Contact")); n != 2 {
		t.Errorf("%d contacts left, want 2", n)
	}
}

func (s *Stack) totalDepth(t *testing.T) int {
	t.Helper()
	n := 0
	for _, target := range s.Queues.Targets() {
		v, f, d, err := s.Queues.Depth(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		n += v + f + d
	}
	return n
}

func TestBadInputIsRejectedAndNothingQueued(t *testing.T) {
	s := startStack(t)
	now := time.Now()
	good := cidaasBody("ACCOUNT_MODIFIED", janeSub, now)
	key := map[string]string{"apikey": sandbox.DevCidaasAPIKey}
	tests := []struct {
		name   string
		path   string
		header map[string]string
		body   string
		status int
	}{
		{"cidaas without api key", "/webhooks/cidaas", nil, good, 401},
		{"cidaas with a wrong api key", "/webhooks/cidaas", map[string]string{"apikey": "guess"}, good, 401},
		{"cidaas key in the wrong place", "/webhooks/cidaas?apikey=" + sandbox.DevCidaasAPIKey, nil, good, 401},
		{"unknown source", "/webhooks/nosuchciam", key, good, 404},
		{"body over 256 KiB", "/webhooks/cidaas", key, strings.Repeat(" ", 256<<10) + good, 413},
		{"malformed body", "/webhooks/cidaas", key, `{"eventtype":`, 400},
		{"clerk with a bad signature", "/webhooks/clerk", clerkHeaders("msg_x", clerkUserUpdated, now), strings.Replace(clerkUserUpdated, "Erika", "Eve", 1), 401},
		{"clerk replayed after ten minutes", "/webhooks/clerk", clerkHeaders("msg_y", clerkUserUpdated, now.Add(-10*time.Minute)), clerkUserUpdated, 401},
		{"akamai token signed by someone else", "/webhooks/akamai", nil,
			"eyJ0eXAiOiJzZWNldmVudCtqd3QiLCJhbGciOiJSUzI1NiIsImtpZCI6Im90aGVyIn0.eyJpc3MiOiJ4In0.c2lnbmF0dXJl", 401},
		{"akamai not a token", "/webhooks/akamai", nil, "hello", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := post(t, s.URL+tt.path, tt.header, tt.body)
			if st != tt.status {
				t.Errorf("status %d (%s), want %d", st, body, tt.status)
			}
			if !strings.HasPrefix(body, `{"error":"`) || len(body) > 80 {
				t.Errorf("error body %q is not a small JSON error", body)
			}
			if n := s.totalDepth(t); n != 0 {
				t.Errorf("%d messages queued after rejected input", n)
			}
		})
	}
}

func testLogOut() io.Writer {
	if os.Getenv("DEVSTACK_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
