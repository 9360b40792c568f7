package mailchimp

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

func readAll(t *testing.T, r connector.Reader, size int) ([]connector.Record, int) {
	t.Helper()
	var out []connector.Record
	cursor, pages := "", 0
	for {
		recs, next, err := r.Records(context.Background(), cursor, size)
		if err != nil {
			t.Fatal(err)
		}
		out, pages = append(out, recs...), pages+1
		if next == "" {
			return out, pages
		}
		if pages > 20 {
			t.Fatal("the reader does not stop")
		}
		cursor = next
	}
}

func byKey(recs []connector.Record) map[string]connector.Record {
	out := map[string]connector.Record{}
	for _, r := range recs {
		out[r.Key] = r
	}
	return out
}

// With key_merge_field the key is the merge field's value: members
// without it are unmanaged, archived members are no records, and an
// unsubscribed one is. Fields come back nested as the mapping names them.
func TestReaderByKeyMergeField(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{KeyMergeField: "PSID"})
	ctx := context.Background()
	for _, p := range []struct{ sub, email, name string }{{"sub-1", "ada@example.com", "Ada"}, {"sub-2", "grace@example.com", "Grace"}, {"sub-3", "alan@example.com", "Alan"}} {
		if _, err := c.Upsert(ctx, rec(p.sub, map[string]any{FieldEmail: p.email, "merge_fields": map[string]any{"FNAME": p.name}})); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.OptOut(ctx, rec("sub-2", map[string]any{FieldEmail: "grace@example.com"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, rec("sub-3", map[string]any{FieldEmail: "alan@example.com"})); err != nil {
		t.Fatal(err)
	}
	fake.Put(listID, "walkin@example.com", "subscribed")
	r, read, err := c.Reader([]string{FieldEmail, "merge_fields.FNAME", "status_if_new", "tags", "status"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{FieldEmail, "merge_fields.FNAME", "status"}; !reflect.DeepEqual(read, want) {
		t.Fatalf("read %v, want %v", read, want)
	}
	recs, pages := readAll(t, r, 2)
	if len(recs) != 3 || pages != 2 {
		t.Fatalf("%d records in %d pages: %+v", len(recs), pages, recs)
	}
	got := byKey(recs)
	want := connector.Record{Key: "sub-2", Fields: map[string]any{FieldEmail: "grace@example.com", "status": "unsubscribed",
		"merge_fields": map[string]any{"FNAME": "Grace", "PSID": "sub-2"}}}
	if !reflect.DeepEqual(got["sub-2"], want) {
		t.Errorf("unsubscribed member = %+v, want %+v", got["sub-2"], want)
	}
	if _, ok := got["sub-3"]; ok {
		t.Error("an archived member was read as a record")
	}
	if u, ok := got[""]; !ok || u.Fields != nil {
		t.Errorf("the member without PSID = %+v, want unmanaged", u)
	}
}

// Without key_merge_field the key is the member's email.
func TestReaderByEmail(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	fake.Put(listID, "walkin@example.com", "pending")
	r, _, _ := c.Reader([]string{FieldEmail})
	recs, _ := readAll(t, r, 0)
	if len(recs) != 1 || recs[0].Key != "walkin@example.com" {
		t.Errorf("records = %+v", recs)
	}
}

// A failed page is a classified fault; a cursor the reader did not give
// is refused before any call.
func TestReaderErrors(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	r, _, _ := c.Reader([]string{FieldEmail})
	fake.ThrottleNext(1, 2*time.Second)
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Throttled {
		t.Errorf("429: %v, want throttled", err)
	}
	fake.FailNext(1, http.StatusServiceUnavailable)
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Transient {
		t.Errorf("503: %v, want transient", err)
	}
	before := fake.Calls().Total()
	if _, _, err := r.Records(context.Background(), "-1", 10); fault.ClassOf(err) != fault.Permanent || fake.Calls().Total() != before {
		t.Errorf("bad cursor: %v", err)
	}
}
