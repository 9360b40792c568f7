package claims_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/clerk"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/standardwebhooks"
)

type always struct{ calls int }

func (a *always) Check(context.Context, claims.Request) (claims.Answer, error) {
	a.calls++
	return claims.Answer{Verdict: claims.Verified, Reference: "ref-1"}, nil
}

// Clerk keeps custom data in public_metadata and merges an update into
// it: a rule writes there with dotted names, through the real Clerk
// fetcher and its fake, and the echo (the fetched profile) ends the loop.
func TestVerdictWrittenIntoClerkPublicMetadata(t *testing.T) {
	fk := fake.NewFake("sk_test_x")
	srv := httptest.NewServer(http.StripPrefix("/clerk", fk))
	t.Cleanup(srv.Close)
	f, err := standardwebhooks.NewFetcher(standardwebhooks.Config{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		APIURL: srv.URL + "/clerk", APIKey: "sk_test_x"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	fk.Put(&profile.Profile{Sub: "user_1", Email: "a@example.com", EmailVerified: true,
		Custom: map[string]any{"public_metadata": map[string]any{"role": "employee", "plan": "gold"}}})
	rule, err := claims.Loader{}.Parse("employee.yaml", []byte(`version: 1
claim: employee
declared: {from: custom.public_metadata.role, equals: employee}
evidence: {email: email}
authorities: [{kind: stub}]
write_back:
  status: public_metadata.employee_status
  reference: public_metadata.employee_ref
`))
	if err != nil {
		t.Fatal(err)
	}
	a := &always{}
	rules := claims.NewRuleSet(rule)
	e, _ := claims.NewEngine(rules, func(*claims.Rule, claims.AuthoritySpec) (claims.Authority, error) { return a, nil })
	v := &claims.Verifier{Rules: rules, Engine: e, Store: claims.NewMemoryStore(), Fetchers: map[string]source.Fetcher{"clerk": f},
		Log: slog.New(slog.DiscardHandler)}
	for i := 0; i < 2; i++ { // the second run is the echo
		p, err := f.Fetch(context.Background(), "user_1")
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.Verify(context.Background(), claims.Input{Source: "clerk", Profile: p}, claims.Options{})
		if err != nil || len(res) != 1 || res[0].Decision.Verdict != claims.Verified {
			t.Fatalf("run %d: %+v %v", i, res, err)
		}
		if written := res[0].Written; written != (i == 0) {
			t.Errorf("run %d: written = %v", i, written)
		}
	}
	p, _ := f.Fetch(context.Background(), "user_1")
	md, _ := p.Custom["public_metadata"].(map[string]any)
	if md["employee_status"] != "verified" || md["employee_ref"] != "ref-1" || md["plan"] != "gold" {
		t.Errorf("public_metadata = %v", md)
	}
	if n := len(fk.Updates()); n != 1 || a.calls != 1 {
		t.Errorf("%d updates, %d authority calls; want 1 and 1", n, a.calls)
	}
}
