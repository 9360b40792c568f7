package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	hssandbox "github.com/profilesync/profilesync/pkg/sandbox/hubspot"
)

func newTestSearcher(t *testing.T) (*Searcher, *hssandbox.Fake) {
	t.Helper()
	fake := hssandbox.NewFake(testToken)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	s, err := BuildSearcher([]byte(`{"access_token":"`+testToken+`","base_url":"`+srv.URL+`"}`), egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return s, fake
}

func eq(prop, value string) SearchRequest {
	return SearchRequest{FilterGroups: []FilterGroup{{Filters: []Filter{{PropertyName: prop, Operator: OpEQ, Value: value}}}}}
}

func TestSearchFindsSeededCompany(t *testing.T) {
	s, fake := newTestSearcher(t)
	id := fake.SeedDemoCompany()
	fake.PutObject("companies", map[string]string{"name": "Other", "domain": "other.test"})
	req := eq("domain", hssandbox.DemoCompanyDomain)
	req.Properties = []string{"name", "dealer_number", "segment"}
	got, err := s.Search(context.Background(), "companies", req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != id || got[0].Properties["name"] != hssandbox.DemoCompanyName || got[0].Properties["dealer_number"] != hssandbox.DemoDealerNumber {
		t.Fatalf("results = %+v", got)
	}
	if _, ok := got[0].Properties["segment"]; ok {
		t.Errorf("an unset property (null) came back: %+v", got[0].Properties)
	}
}

func TestSearchPagesAndStopsAtMaxResults(t *testing.T) {
	s, fake := newTestSearcher(t)
	for range 7 {
		fake.PutObject("companies", map[string]string{"type": "PARTNER"})
	}
	fake.PutObject("companies", map[string]string{"type": "OTHER"})
	req := eq("type", "partner")
	req.Limit = 3
	got, err := s.Search(context.Background(), "companies", req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 || fake.Searches() != 3 {
		t.Fatalf("got %d results in %d calls, want 7 in 3", len(got), fake.Searches())
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.ID] = true
	}
	if len(seen) != 7 {
		t.Errorf("pages repeated results: %+v", got)
	}
	req.MaxResults = 2
	req.Limit = 2
	got, err = s.Search(context.Background(), "companies", req)
	if err != nil || len(got) != 2 || fake.Searches() != 4 {
		t.Fatalf("with MaxResults 2: %d results, %d calls, err %v", len(got), fake.Searches(), err)
	}
}

func TestSearchErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*hssandbox.Fake)
		req   SearchRequest
		class fault.Class
	}{
		{"throttled", func(f *hssandbox.Fake) { f.ThrottleNext(1, time.Second) }, eq("domain", "secret.test"), fault.Throttled},
		{"server error", func(f *hssandbox.Fake) { f.FailNext(1, 502) }, eq("domain", "secret.test"), fault.Transient},
		{"token rotated", func(f *hssandbox.Fake) { f.RotateToken("other") }, eq("domain", "secret.test"), fault.Permanent},
		{"bad operator", func(*hssandbox.Fake) {}, SearchRequest{FilterGroups: []FilterGroup{{Filters: []Filter{{PropertyName: "domain", Operator: "CONTAINS_TOKEN", Value: "secret.test"}}}}}, fault.Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := newTestSearcher(t)
			tt.setup(fake)
			_, err := s.Search(context.Background(), "companies", tt.req)
			if err == nil || fault.ClassOf(err) != tt.class {
				t.Fatalf("err = %v, want %v", err, tt.class)
			}
			if strings.Contains(err.Error(), "secret.test") {
				t.Errorf("error quotes a filter value: %v", err)
			}
		})
	}
}

func TestSearchMalformedAnswer(t *testing.T) {
	for _, body := range []string{"<html>", `{"results":[]}`, `{"total":5,"results":[{"id":"1"}],"paging":{"next":{"after":"1"}}}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(body))
		}))
		s := NewSearcher(Credentials{AccessToken: "t", BaseURL: srv.URL}, egress.Client(egress.Local, 5*time.Second))
		req := eq("domain", "x")
		req.After = "1"
		_, err := s.Search(context.Background(), "companies", req)
		srv.Close()
		if fe := fault.As(err); err == nil || fe.Class != fault.Permanent || fe.Code != "MALFORMED_ANSWER" {
			t.Errorf("%s: err = %v, want permanent MALFORMED_ANSWER", body, err)
		}
	}
}

func TestClientSearchesWithItsToken(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	id := fake.PutObject("contacts", map[string]string{"email": "a@example.test"})
	got, err := c.Search(context.Background(), "contacts", eq("email", "A@example.test"))
	if err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("results %+v, err %v", got, err)
	}
}
