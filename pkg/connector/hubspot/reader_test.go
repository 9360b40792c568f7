package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// readAll pages through r, counting the calls.
func readAll(t *testing.T, r connector.Reader, size int) ([]connector.Record, int) {
	t.Helper()
	var all []connector.Record
	cursor, pages := "", 0
	for {
		recs, next, err := r.Records(context.Background(), cursor, size)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, recs...)
		if next == "" {
			return all, pages
		}
		if pages > 100 {
			t.Fatal("the reader does not stop")
		}
		cursor = next
	}
}

// The contacts come back page by page, keyed by id_property, with the
// properties asked for (unset ones nil, checkboxes as booleans); a contact
// without the key is unmanaged; paths that are no property are left out.
func TestReaderListsContacts(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	fake.PutObject("contacts", map[string]string{idProp: "sub-1", "firstname": "Ada", "email": "ada@example.test", "news": "true"})
	fake.PutObject("contacts", map[string]string{idProp: "sub-2", "firstname": "Grace", "news": "false"})
	fake.PutObject("contacts", map[string]string{"firstname": "Walk", "email": "walkin@example.test"})
	fake.PutObject("contacts", map[string]string{idProp: "sub-3", "lastname": "Turing"})
	fake.PutObject("contacts", map[string]string{idProp: "sub-4", "firstname": "Four"})
	r, read, err := c.Reader([]string{"email", "firstname", "name.given", "news", "Email"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"email", "firstname", "news"}; !reflect.DeepEqual(read, want) {
		t.Errorf("read = %v, want %v", read, want)
	}
	got, pages := readAll(t, r, 2)
	if pages != 3 {
		t.Errorf("%d pages for 5 contacts by 2", pages)
	}
	want := []connector.Record{
		{Key: "sub-1", Fields: map[string]any{"email": "ada@example.test", "firstname": "Ada", "news": true}},
		{Key: "sub-2", Fields: map[string]any{"email": nil, "firstname": "Grace", "news": false}},
		{},
		{Key: "sub-3", Fields: map[string]any{"email": nil, "firstname": nil, "news": nil}},
		{Key: "sub-4", Fields: map[string]any{"email": nil, "firstname": "Four", "news": nil}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records\n got %+v\nwant %+v", got, want)
	}
	// A page size over HubSpot's 100 is asked as 100, not refused.
	if got, _ := readAll(t, r, 500); len(got) != 5 {
		t.Errorf("%d records with size 500", len(got))
	}
}

func TestReaderErrorsAreClassified(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	r, _, err := c.Reader([]string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	fake.ThrottleNext(1, time.Second)
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Throttled {
		t.Errorf("throttled: %v", err)
	}
	fake.FailNext(1, 503)
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Transient {
		t.Errorf("503: %v", err)
	}
	fake.RotateToken("other")
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("401: %v", err)
	}
}

func TestReaderMalformedAnswer(t *testing.T) {
	for _, body := range []string{"<html>", `{"total":1}`, `{"results":[],"paging":{"next":{"after":"7"}}}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(body))
		}))
		c, err := New("hs", Settings{IDProperty: idProp, DeleteMode: DeleteArchive}, Credentials{AccessToken: "t", BaseURL: srv.URL}, egress.Client(egress.Local, 5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		r, _, _ := c.Reader(nil)
		_, _, err = r.Records(context.Background(), "7", 10)
		srv.Close()
		if fe := fault.As(err); err == nil || fe.Class != fault.Permanent || fe.Code != "MALFORMED_ANSWER" {
			t.Errorf("%s: err = %v, want permanent MALFORMED_ANSWER", body, err)
		}
	}
}
