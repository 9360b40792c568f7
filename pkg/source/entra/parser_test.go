package entra

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// The research sample's clientState and tenant.
const (
	sampleState  = "ps-7Yq2mN9vR4tK8wL1"
	sampleTenant = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	sampleUser   = "4b6e2c1a-9d8f-4e7a-b3c2-1d0e9f8a7b6c"
	sampleSub    = "7f105c7d-2dc5-4530-97cd-4e7ae6534c07"
)

var validConfig = `{"kind":"entra","environment":"prod","client_states":["` + sampleState + `"],
 "tenant_id":"` + sampleTenant + `","client_id":"11111111-2222-3333-4444-555555555555","client_secret":"fake-secret"}`

var now = time.Date(2025, 1, 1, 10, 5, 2, 0, time.UTC)

func mustParser(t testing.TB, cfg string) *Parser {
	t.Helper()
	c, err := ParseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParser("entra-acme", c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/entra-graph-users-updated.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, p *Parser, body string) ([]profile.Event, error) {
	t.Helper()
	return p.Parse(context.Background(), source.Request{Body: []byte(body), Now: now})
}

// note is one notification of the sample's subscription.
func note(changeType, user, state string) string {
	return `{"subscriptionId":"` + sampleSub + `","subscriptionExpirationDateTime":"2025-01-20T10:00:00.0000000Z",` +
		`"changeType":"` + changeType + `","resource":"Users/` + user + `","resourceData":{"@odata.type":"#Microsoft.Graph.User",` +
		`"@odata.id":"Users/` + user + `","id":"` + user + `"},"clientState":"` + state + `","tenantId":"` + sampleTenant + `"}`
}

func batch(notes ...string) string { return `{"value":[` + strings.Join(notes, ",") + `]}` }

func TestSample(t *testing.T) {
	evs, err := parse(t, mustParser(t, validConfig), string(sample(t)))
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	want := profile.Event{ID: evs[0].ID, Source: "entra-acme", Type: profile.Updated, Subject: sampleUser,
		OccurredAt: now, ReceivedAt: now, Environment: "prod", SourceType: "updated"}
	if evs[0] != want || !strings.HasPrefix(evs[0].ID, "graph-") {
		t.Fatalf("got  %+v\nwant %+v", evs[0], want)
	}
	if err := evs[0].Validate(); err != nil {
		t.Fatal(err)
	}
}

// The clientState is all Graph sends to authenticate a basic notification:
// every one in the batch must carry a configured value.
func TestClientState(t *testing.T) {
	rotated := strings.Replace(validConfig, `"client_states":[`, `"client_states":["the-new-client-state-0123",`, 1)
	byDomain := strings.Replace(validConfig, sampleTenant, "contoso.onmicrosoft.com", 1)
	up := func(state string) string { return note("updated", sampleUser, state) }
	tests := []struct {
		name, cfg, body string
		events          int // -1: ErrUnauthenticated
	}{
		{"valid", validConfig, batch(up(sampleState)), 1},
		{"valid batch of three", validConfig, batch(up(sampleState), note("created", "u-2", sampleState), note("deleted", "u-3", sampleState)), 3},
		{"rotated: old value still accepted", rotated, batch(up(sampleState)), 1},
		{"rotated: new value accepted", rotated, batch(up("the-new-client-state-0123")), 1},
		{"rotated: both in one batch", rotated, batch(up(sampleState), up("the-new-client-state-0123")), 2},
		{"wrong", validConfig, batch(up("ps-guessed-client-state")), -1},
		{"tampered (last byte)", validConfig, batch(up(sampleState[:len(sampleState)-1] + "2")), -1},
		{"prefix", validConfig, batch(up(sampleState[:len(sampleState)-1])), -1},
		{"empty", validConfig, batch(up("")), -1},
		{"missing", validConfig, batch(strings.Replace(up(sampleState), `"clientState":"`+sampleState+`",`, "", 1)), -1},
		{"null", validConfig, batch(strings.Replace(up(sampleState), `"`+sampleState+`"`, "null", 1)), -1},
		{"not a string", validConfig, batch(strings.Replace(up(sampleState), `"`+sampleState+`"`, "42", 1)), -1},
		{"one wrong in a batch refuses all", validConfig, batch(up(sampleState), note("deleted", "u-2", "ps-forged-client-state"), up(sampleState)), -1},
		{"another tenant", validConfig, batch(strings.Replace(up(sampleState), `"tenantId":"`+sampleTenant, `"tenantId":"00000000-0000-0000-0000-000000000000`, 1)), -1},
		{"tenant configured by domain: not compared", byDomain, batch(up(sampleState)), 1},
		{"empty batch", validConfig, `{"value":[]}`, -1},
		{"no value", validConfig, `{}`, -1},
		{"not JSON", validConfig, `{"value":[` + up(sampleState), -1},
		{"not a collection", validConfig, `[` + up(sampleState) + `]`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := parse(t, mustParser(t, tt.cfg), tt.body)
			if tt.events < 0 {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v %v", evs, err)
				}
				if strings.Contains(err.Error(), sampleState[3:]) {
					t.Fatalf("the error quotes the clientState: %v", err)
				}
				return
			}
			if err != nil || len(evs) != tt.events {
				t.Fatalf("want %d events, got %v %v", tt.events, evs, err)
			}
		})
	}
	// A Config that never went through normalize has no digests: fail closed.
	p := &Parser{name: "raw", cfg: Config{ClientStates: []string{sampleState}}, log: slog.Default()}
	if _, err := parse(t, p, string(sample(t))); !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

func TestDecode(t *testing.T) {
	p := mustParser(t, validConfig)
	tests := []struct {
		name, body string
		want       []profile.EventType // nil and malformed false: no events
		malformed  bool
	}{
		{"created, updated, deleted", batch(note("created", "u-1", sampleState), note("updated", "u-1", sampleState), note("deleted", "u-1", sampleState)),
			[]profile.EventType{profile.Created, profile.Updated, profile.Deleted}, false},
		{"lowercase users/", batch(strings.Replace(note("updated", "u-1", sampleState), "Users/u-1", "users/u-1", 2)), []profile.EventType{profile.Updated}, false},
		{"another resource is ignored", batch(strings.Replace(note("updated", "u-1", sampleState), `"resource":"Users/u-1"`, `"resource":"Groups/g-1"`, 1)), nil, false},
		{"a nested resource is ignored", batch(strings.Replace(note("updated", "u-1", sampleState), `"resource":"Users/u-1"`, `"resource":"Users/u-1/messages/m-1"`, 1)), nil, false},
		{"an unknown changeType is ignored", batch(note("unknownFutureValue", "u-1", sampleState)), nil, false},
		{"resource and resourceData disagree", batch(strings.Replace(note("updated", "u-1", sampleState), `"id":"u-1"`, `"id":"u-2"`, 1)), nil, true},
		{"no user id", batch(strings.Replace(note("updated", "u-1", sampleState), "u-1", "", -1)), nil, true},
		{"no subscriptionId", batch(strings.Replace(note("updated", "u-1", sampleState), sampleSub, "", 1)), nil, true},
		{"control character in the id", batch(strings.Replace(note("updated", "u-1", sampleState), "u-1", `u-\u0001`, -1)), nil, true},
		{"rich: encryptedContent", batch(strings.Replace(note("updated", "u-1", sampleState), `"tenantId"`,
			`"encryptedContent":{"data":"ZGF0YQ==","dataKey":"a2V5","dataSignature":"c2ln","encryptionCertificateId":"c1"},"tenantId"`, 1)), nil, true},
		{"rich: validationTokens", `{"value":[` + note("updated", "u-1", sampleState) + `],"validationTokens":["eyJ0eXAiOiJKV1QifQ.e30.sig"]}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := parse(t, p, tt.body)
			if tt.malformed {
				if !errors.Is(err, source.ErrMalformed) {
					t.Fatalf("want ErrMalformed, got %v %v", evs, err)
				}
				return
			}
			if err != nil || len(evs) != len(tt.want) {
				t.Fatalf("want %v, got %v %v", tt.want, evs, err)
			}
			for i, e := range evs {
				if e.Type != tt.want[i] || e.Subject != "u-1" || e.Validate() != nil {
					t.Errorf("event %d: %+v (%v)", i, e, e.Validate())
				}
			}
		})
	}
	_, err := parse(t, p, batch(strings.Replace(note("updated", "u-1", sampleState), `"tenantId"`, `"encryptedContent":{"data":"x"},"tenantId"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "rich notifications (includeResourceData) are not supported") {
		t.Errorf("the refusal of a rich notification does not say why: %v", err)
	}
}

// Lifecycle notifications are authenticated like the others, then logged
// and dropped.
func TestLifecycle(t *testing.T) {
	lifecycle := func(event, state string) string {
		return `{"subscriptionId":"` + sampleSub + `","subscriptionExpirationDateTime":"2025-01-20T10:00:00.0000000Z",` +
			`"tenantId":"` + sampleTenant + `","clientState":"` + state + `","lifecycleEvent":"` + event + `"}`
	}
	for _, event := range []string{"reauthorizationRequired", "subscriptionRemoved", "missed"} {
		t.Run(event, func(t *testing.T) {
			p := mustParser(t, validConfig)
			var logs bytes.Buffer
			p.log = slog.New(slog.NewJSONHandler(&logs, nil))
			evs, err := parse(t, p, batch(lifecycle(event, sampleState)))
			if err != nil || len(evs) != 0 {
				t.Fatalf("%v %v", evs, err)
			}
			if !strings.Contains(logs.String(), `"lifecycle_event":"`+event+`"`) || !strings.Contains(logs.String(), sampleSub) {
				t.Errorf("no log line: %s", logs.String())
			}
			if strings.Contains(logs.String(), sampleState) {
				t.Errorf("the log carries the clientState: %s", logs.String())
			}
			// Beside a change: the change still counts.
			evs, err = parse(t, p, batch(lifecycle(event, sampleState), note("updated", "u-1", sampleState)))
			if err != nil || len(evs) != 1 {
				t.Fatalf("with a change: %v %v", evs, err)
			}
			if _, err := parse(t, p, batch(lifecycle(event, "ps-guessed-client-state"))); !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("wrong clientState: %v", err)
			}
		})
	}
}

func TestDedupeKey(t *testing.T) {
	p := mustParser(t, validConfig)
	id := func(body string, at time.Time) string {
		evs, err := p.Parse(context.Background(), source.Request{Body: []byte(body), Now: at})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%v %v", evs, err)
		}
		return evs[0].ID
	}
	up := batch(note("updated", "u-1", sampleState))
	base := id(up, now)
	if id(up, now.Add(30*time.Second)) != base {
		t.Error("a resend within the minute has another key")
	}
	for name, other := range map[string]string{
		"another minute":       id(up, now.Add(time.Minute)),
		"another changeType":   id(batch(note("deleted", "u-1", sampleState)), now),
		"another user":         id(batch(note("updated", "u-2", sampleState)), now),
		"another subscription": id(strings.Replace(up, sampleSub, "00000000-2dc5-4530-97cd-4e7ae6534c07", 1), now),
		"a notification id":    id(strings.Replace(up, `{"subscriptionId"`, `{"id":"n-1","subscriptionId"`, 1), now),
	} {
		if other == base {
			t.Errorf("%s: same key %s", name, base)
		}
	}
	withID := strings.Replace(up, `{"subscriptionId"`, `{"id":"n-1","subscriptionId"`, 1)
	if id(withID, now) != id(withID, now.Add(time.Hour)) {
		t.Error("a notification id does not make the key stable across resends")
	}
}

func TestHandshake(t *testing.T) {
	p := mustParser(t, validConfig)
	const token = "Validation: Testing client application reachability for subscription Request-Id: 01c2b3a4-0000-4000-8000-000000000000"
	tests := []struct {
		name, rawQuery string
		ok             bool
		body           string // "" and ok: malformed
	}{
		{"graph's request, URL-decoded", "validationToken=" + url.QueryEscape(token), true, token},
		{"percent-encoded spaces", "validationToken=" + strings.ReplaceAll(url.QueryEscape(token), "+", "%20"), true, token},
		{"no token: a notification", "", false, ""},
		{"another parameter only", "foo=bar", false, ""},
		{"empty token", "validationToken=", true, ""},
		{"two tokens", "validationToken=a&validationToken=b", true, ""},
		{"control characters", "validationToken=a%0D%0ASet-Cookie:x", true, ""},
		{"non-ASCII", "validationToken=%C3%A9", true, ""},
		{"too long", "validationToken=" + strings.Repeat("a", maxValidationToken+1), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.rawQuery)
			if err != nil {
				t.Fatal(err)
			}
			body, ctype, ok, err := p.Handshake(context.Background(), source.Request{Query: q, Now: now})
			switch {
			case ok != tt.ok:
				t.Fatalf("ok = %v, want %v (%v)", ok, tt.ok, err)
			case !ok && (err != nil || body != nil):
				t.Fatalf("not a handshake, yet %q %v", body, err)
			case ok && tt.body == "" && !errors.Is(err, source.ErrMalformed):
				t.Fatalf("want ErrMalformed, got %q %v", body, err)
			case ok && tt.body != "" && (err != nil || string(body) != tt.body || ctype != "text/plain"):
				t.Fatalf("got %q %q %v, want %q as text/plain", body, ctype, err, tt.body)
			}
		})
	}
	if p.AcceptedStatus() != 202 {
		t.Errorf("accepted status %d, want 202", p.AcceptedStatus())
	}
	if _, _, ok := p.Rejection(source.ErrMalformed); ok {
		t.Error("Rejection shapes an answer; the ingress's should stand")
	}
}

func TestWithClientState(t *testing.T) {
	p := mustParser(t, validConfig)
	unsigned := batch(note("updated", "u-1", ""), note("deleted", "u-2", "old-state-0123456789"))
	body, err := WithClientState([]byte(unsigned), sampleState)
	if err != nil {
		t.Fatal(err)
	}
	if evs, err := parse(t, p, string(body)); err != nil || len(evs) != 2 {
		t.Fatalf("%v %v", evs, err)
	}
	for _, bad := range []string{`[]`, `{"value":[]}`, `{"value":[1]}`, `{"value":[null]}`, `nope`} {
		if _, err := WithClientState([]byte(bad), sampleState); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
