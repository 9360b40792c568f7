package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestOpenKeepsWrites: a write the SCIM fake acknowledged is in the next
// sandbox opened on the same directory; a sandbox from New keeps nothing.
func TestOpenKeepsWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, Prefix+"/scim/Users",
		strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-1","externalId":"ext-1"}`))
	req.Header.Set("Authorization", "Bearer "+DevSCIMToken)
	req.Header.Set("Content-Type", "application/scim+json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /Users: %d %s", rec.Code, rec.Body)
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.SCIM.Records(); len(got) != 1 || got[0].ExternalID != "ext-1" {
		t.Errorf("reopened SCIM holds %+v, want the user u-1", got)
	}
	fresh, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if got := fresh.SCIM.Records(); len(got) != 0 {
		t.Errorf("New holds %+v, want nothing", got)
	}
}

// TestSnapshotRestore: every persistent fake comes back as it was.
func TestSnapshotRestore(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.Salesforce.Put("Contact", map[string]any{"LastName": "Doe"})
	s.Cidaas.PutUser("sub-1", map[string]any{"given_name": "Erika"})
	other, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range s.persistents() {
		b, err := f.Snapshot()
		if err != nil {
			t.Fatalf("%s: snapshot: %v", name, err)
		}
		if err := other.persistents()[name].Restore(b); err != nil {
			t.Fatalf("%s: restore: %v", name, err)
		}
		back, _ := other.persistents()[name].Snapshot()
		var want, got any
		_ = json.Unmarshal(b, &want)
		_ = json.Unmarshal(back, &got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: restored snapshot differs:\n%s\n%s", name, b, back)
		}
	}
	if got := other.Salesforce.Records("Contact"); len(got) != 1 || got[0]["LastName"] != "Doe" {
		t.Errorf("salesforce restored %v", got)
	}
}
