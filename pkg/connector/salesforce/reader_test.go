package salesforce

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/egress"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

func TestReaderPagesEveryRecord(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New("sf-test", Settings{Object: "Contact", ExternalIDField: extField, APIVersion: DefaultAPIVersion},
		Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	fake.SetSchema("Contact", "LastName", "Email", "Newsletter__c", extField)
	fake.Put("Contact", map[string]any{extField: "u-1", "LastName": "One", "Email": "one@example.com", "Newsletter__c": true})
	fake.Put("Contact", map[string]any{"LastName": "Walk-in"})
	fake.Put("Contact", map[string]any{extField: "u-2", "LastName": "Two"})
	fake.SetQueryPageSize(2)

	r, read, err := c.Reader([]string{"LastName", "Email", "Newsletter__c", "Account.Name", extField})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"LastName", "Email", "Newsletter__c"}; len(read) != 3 || read[0] != want[0] || read[2] != want[2] {
		t.Fatalf("read paths = %v, want %v (relationship and key fields are not read)", read, want)
	}
	var all []connector.Record
	cursor, pages := "", 0
	for {
		recs, next, err := r.Records(context.Background(), cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, recs...)
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 2 || len(all) != 3 {
		t.Fatalf("pages = %d, records = %d; want 2 and 3", pages, len(all))
	}
	if all[0].Key != "u-1" || all[0].Fields["Email"] != "one@example.com" || all[0].Fields["Newsletter__c"] != true {
		t.Errorf("first record = %+v", all[0])
	}
	if all[1].Key != "" || all[1].Fields != nil {
		t.Errorf("a record without the External ID must come unmanaged, got %+v", all[1])
	}
	if all[2].Key != "u-2" || all[2].Fields["Email"] != nil {
		t.Errorf("third record = %+v (an unset field is nil)", all[2])
	}
	if _, ok := all[2].Fields["Email"]; !ok {
		t.Error("an unset field read must be present as nil")
	}
	if _, err := json.Marshal(all); err != nil {
		t.Fatal(err)
	}
}

func TestReaderRefusesForeignCursor(t *testing.T) {
	c, _, _ := newTestClient(t, DefaultAPIVersion)
	r, _, err := c.Reader([]string{"LastName"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Records(context.Background(), "https://elsewhere.example/services/data/x", 10); err == nil {
		t.Fatal("a cursor that is not a data API path must be refused")
	}
	if _, _, err := c.Reader([]string{"Last Name"}); err == nil {
		t.Fatal("a path that is not an API name must be refused")
	}
}

// Find reads one record by its External ID; a key that would break out
// of the SOQL literal finds nothing.
func TestReaderFind(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New("sf-test", Settings{Object: "Contact", ExternalIDField: extField, APIVersion: DefaultAPIVersion},
		Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	fake.SetSchema("Contact", "LastName", "Email", extField)
	fake.Put("Contact", map[string]any{extField: "u-1", "LastName": "One", "Email": "one@example.com"})
	fake.Put("Contact", map[string]any{extField: "u-2", "LastName": "Two"})
	r, _, err := c.Reader([]string{"LastName", "Email"})
	if err != nil {
		t.Fatal(err)
	}
	f := r.(connector.Finder)
	rec, found, err := f.Find(context.Background(), "u-2")
	if err != nil || !found || rec.Key != "u-2" || rec.Fields["LastName"] != "Two" || rec.Fields["Email"] != nil {
		t.Fatalf("Find(u-2) = %+v, %v, %v", rec, found, err)
	}
	for _, key := range []string{"u-3", "x' OR Name != '"} {
		if rec, found, err := f.Find(context.Background(), key); err != nil || found {
			t.Errorf("Find(%q) = %+v, %v, %v; want nothing", key, rec, found, err)
		}
	}
}
