package salesforce

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

func newTestReader(t testing.TB) (*Reader, *sfsandbox.Fake) {
	t.Helper()
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	secret := []byte(`{"login_url":"` + srv.URL + `","client_id":"cid","client_secret":"csecret"}`)
	r, err := BuildReader("v62.0", secret, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return r, fake
}

func TestQueryFindsSeededAccount(t *testing.T) {
	r, fake := newTestReader(t)
	id := fake.SeedDemoAccounts()
	fake.Put("Account", map[string]any{"Name": "Other", "IsPartner": false, "Dealer_Number__c": "D-2002"})
	recs, err := r.Query(context.Background(), "SELECT Id, Name, Segment__c FROM Account WHERE Dealer_Number__c = "+
		QuoteSOQL(sfsandbox.DemoDealerNumber)+" AND IsPartner = true LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0]["Id"] != id || recs[0]["Name"] != sfsandbox.DemoAccountName || recs[0]["Segment__c"] != sfsandbox.DemoAccountSegment {
		t.Fatalf("records = %v", recs)
	}
	attrs, _ := recs[0]["attributes"].(map[string]any)
	if attrs["type"] != "Account" || !strings.HasSuffix(attrs["url"].(string), "/sobjects/Account/"+id) {
		t.Errorf("attributes = %v", attrs)
	}
}

func TestQueryFollowsNextRecordsURL(t *testing.T) {
	r, fake := newTestReader(t)
	fake.SetQueryPageSize(2)
	for range 5 {
		fake.Put("Account", map[string]any{"Name": "A", "Type": "Partner"})
	}
	fake.Put("Account", map[string]any{"Name": "B", "Type": "Customer"})
	recs, err := r.Query(context.Background(), "SELECT Id FROM Account WHERE Type = 'Partner'")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5", len(recs))
	}
	seen := map[any]bool{}
	for _, rec := range recs {
		seen[rec["Id"]] = true
	}
	if len(seen) != 5 {
		t.Errorf("pages repeated records: %v", recs)
	}
	if n := fake.Queries(); n != 3 {
		t.Errorf("query calls = %d, want 3 (one query, two queryMore)", n)
	}
}

func TestQueryEmptyResult(t *testing.T) {
	r, _ := newTestReader(t)
	recs, err := r.Query(context.Background(), "SELECT Id FROM Account WHERE Name = 'nobody'")
	if err != nil || len(recs) != 0 {
		t.Fatalf("records %v, err %v", recs, err)
	}
}

func TestQueryErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*sfsandbox.Fake)
		soql  string
		class fault.Class
		code  string
	}{
		{"malformed", func(*sfsandbox.Fake) {}, "SELECT Id FROM Account WHERE Name = 'Sec\\'ret' OR", fault.Permanent, "MALFORMED_QUERY"},
		{"throttled", func(f *sfsandbox.Fake) { f.ThrottleNext(1) }, "SELECT Id FROM Account", fault.Throttled, "REQUEST_LIMIT_EXCEEDED"},
		{"unavailable", func(f *sfsandbox.Fake) { f.FailNext(1, 503, "SERVER_UNAVAILABLE") }, "SELECT Id FROM Account", fault.Transient, "SERVER_UNAVAILABLE"},
		{"unknown field", func(f *sfsandbox.Fake) { f.SetSchema("Account", "Name") }, "SELECT Id FROM Account WHERE Nope__c = 'x'", fault.Permanent, "INVALID_FIELD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, fake := newTestReader(t)
			tt.setup(fake)
			_, err := r.Query(context.Background(), tt.soql)
			fe := fault.As(err)
			if err == nil || fe.Class != tt.class || fe.Code != tt.code {
				t.Fatalf("err = %v, want %v %s", err, tt.class, tt.code)
			}
			if strings.Contains(err.Error(), "Sec") {
				t.Errorf("error quotes a literal of the query: %v", err)
			}
		})
	}
}

func TestQueryRefusedCredentialsArePermanent(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	r, err := NewReader("", Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "wrong"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Query(context.Background(), "SELECT Id FROM Account")
	if fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestQueryMalformedAnswer(t *testing.T) {
	tests := []struct{ name, body, next string }{
		{"not JSON", "<html>proxy</html>", ""},
		{"no totalSize", `{"records":[]}`, ""},
		{"foreign nextRecordsUrl", `{"totalSize":3,"done":false,"records":[{}],"nextRecordsUrl":"https://evil.example/steal"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := sfsandbox.NewFake("cid", "csecret")
			mux := http.NewServeMux()
			mux.Handle("/services/oauth2/token", fake)
			mux.HandleFunc("/services/data/", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			r, err := NewReader("v62.0", Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, egress.Client(egress.Local, 5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Query(context.Background(), "SELECT Id FROM Account")
			if fe := fault.As(err); err == nil || fe.Class != fault.Permanent || fe.Code != "MALFORMED_ANSWER" {
				t.Fatalf("err = %v, want permanent MALFORMED_ANSWER", err)
			}
		})
	}
}

func TestQueryNetworkErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	r, err := NewReader("v62.0", Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Query(context.Background(), "SELECT Id FROM Account")
	if err == nil || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Errorf("not a fault.Error: %v", err)
	}
}
