package scim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

func TestParseConfig(t *testing.T) {
	s := &stand{t: t, url: "https://idp.example.com/scim/v2"}
	c, err := ParseConfig(s.secret(""))
	if err != nil {
		t.Fatal(err)
	}
	if c.Extension != DefaultExtension || c.PageSize != DefaultPageSize || c.BaseURL != "https://idp.example.com/scim/v2" {
		t.Fatalf("defaults: %v", c)
	}
	if str := c.String(); strings.Contains(str, testKey) || strings.Contains(str, testToken) {
		t.Fatalf("String leaks a secret: %s", str)
	}
	for name, tt := range map[string]struct{ extra, want string }{
		"fetch_url is the generic hook's": {`,"fetch_url":"https://x/{subject}"`, `"fetch_url": unknown`},
		"page_size too big":               {`,"page_size":1001`, `"page_size"`},
		"page_size negative":              {`,"page_size":-1`, `"page_size"`},
		"extension not a URN":             {`,"extension":"profilesync"`, `"extension"`},
		"extension enterprise":            {`,"extension":"` + EnterpriseExtension + `"`, `"extension"`},
		"unknown key":                     {`,"extra":1`, `"extra"`},
	} {
		if _, err := ParseConfig(s.secret(tt.extra)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %s", name, err, tt.want)
		}
	}
	// The web hook half is checked as the generic web hook checks it.
	short := strings.Replace(string(s.secret("")), testKey, "short", 1)
	if _, err := ParseConfig([]byte(short)); err == nil || !strings.Contains(err.Error(), `"secrets[0]"`) {
		t.Errorf("short key: %v", err)
	}
	noURL := strings.Replace(string(s.secret("")), `"base_url":"https://idp.example.com/scim/v2/",`, "", 1)
	if _, err := ParseConfig([]byte(noURL)); err == nil || !strings.Contains(err.Error(), `"base_url"`) {
		t.Errorf("no base_url: %v", err)
	}
}

// A SCIM CIAM's notification is a generic JSON web hook: authenticated by
// its API key, decoded by the configured paths, thin (Fetch completes it).
func TestParserIsTheGenericWebHook(t *testing.T) {
	s := &stand{t: t, url: "https://idp.example.com/scim/v2"}
	cfg, err := ParseConfig(s.secret(""))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := New("scim-test", cfg, egress.Client(egress.Production, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt-1","event":"user.updated","time":"2026-12-02T09:59:58Z","resource":{"id":"2819c223","resourceType":"User"}}`)
	evs, err := p.Parse(context.Background(), source.Request{Header: http.Header{"X-Api-Key": {testKey}}, Body: body, Now: now})
	if err != nil || len(evs) != 1 {
		t.Fatalf("Parse = %v, %v", evs, err)
	}
	e := evs[0]
	if e.Source != "scim-test" || e.Type != profile.Updated || e.Subject != "2819c223" || e.ID != "evt-1" ||
		e.Environment != "test" || !e.OccurredAt.Equal(now.Add(-2*time.Second)) || e.Profile != nil {
		t.Fatalf("event = %+v", e)
	}
	for name, h := range map[string]http.Header{"wrong key": {"X-Api-Key": {"scim-test-api-key-0124"}}, "no key": {}} {
		if _, err := p.Parse(context.Background(), source.Request{Header: h, Body: body, Now: now}); !errors.Is(err, source.ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
		}
	}
}
