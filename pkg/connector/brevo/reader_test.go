package brevo

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// readAll pages through r with size, returning the records and the pages.
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

// By ext_id: the key is the contact's ext_id, the fields come back under
// the mapping's names (attributes upper-cased by the connector, consent
// as list membership), and a contact without an ext_id is unmanaged.
func TestReaderByExtID(t *testing.T) {
	c, _, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	for i := range 3 {
		f := map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "firstname": fmt.Sprintf("P%d", i), "subscribed": i != 1}
		if _, err := c.Upsert(ctx, rec(fmt.Sprintf("sub-%d", i), f)); err != nil {
			t.Fatal(err)
		}
	}
	byEmail, err := New("b2", Settings{Identifier: ByEmail, OptOut: OptOutBlocklist}, c.creds, c.hc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := byEmail.Upsert(ctx, rec("walkin@example.com", map[string]any{"firstname": "W"})); err != nil {
		t.Fatal(err)
	}
	r, read, err := c.Reader([]string{"email", "firstname", "subscribed", "ext_id", "address.city", "emailBlacklisted"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"email", "firstname", "subscribed", "emailBlacklisted"}; !reflect.DeepEqual(read, want) {
		t.Fatalf("read %v, want %v", read, want)
	}
	recs, pages := readAll(t, r, 2)
	if len(recs) != 4 || pages != 2 {
		t.Fatalf("%d records in %d pages: %+v", len(recs), pages, recs)
	}
	want := connector.Record{Key: "sub-1", Fields: map[string]any{"email": "p1@example.com", "firstname": "P1", "subscribed": false, "emailBlacklisted": false}}
	if !reflect.DeepEqual(recs[1], want) {
		t.Errorf("record = %+v, want %+v", recs[1], want)
	}
	if recs[0].Fields["subscribed"] != true {
		t.Errorf("subscribed = %v, want true", recs[0].Fields["subscribed"])
	}
	if recs[3].Key != "" || recs[3].Fields != nil {
		t.Errorf("walk-in = %+v, want unmanaged", recs[3])
	}
	// Keyed by email, the walk-in is managed, and subscribed is not read
	// without consent lists.
	r, read, _ = byEmail.Reader([]string{"firstname", "subscribed"})
	if recs, _ = readAll(t, r, 0); len(recs) != 4 || recs[3].Key != "walkin@example.com" || !reflect.DeepEqual(read, []string{"firstname"}) {
		t.Errorf("by email: read %v, records %+v", read, recs)
	}
}

// In some of the consent lists is neither subscribed nor not.
func TestReaderPartialMembership(t *testing.T) {
	if got := member([]int64{7}, []int64{7, 8}); got != nil {
		t.Errorf("in one of two lists: %v, want nil", got)
	}
	if member([]int64{8, 7, 9}, []int64{7, 8}) != true || member([]int64{9}, []int64{7, 8}) != false {
		t.Error("in all lists is true, in none false")
	}
}

// A failed page is a classified fault; a cursor the reader did not give
// is refused before any call.
func TestReaderErrors(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	r, _, _ := c.Reader([]string{"email"})
	fake.ThrottleNext(1, 2*time.Second)
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Throttled {
		t.Errorf("429: %v, want throttled", err)
	}
	fake.FailNext(1, http.StatusUnauthorized)
	if _, _, err := r.Records(context.Background(), "", 10); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("401: %v, want permanent", err)
	}
	before := fake.Calls().Total()
	if _, _, err := r.Records(context.Background(), "x", 10); fault.ClassOf(err) != fault.Permanent || fake.Calls().Total() != before {
		t.Errorf("bad cursor: %v", err)
	}
}

// An ext_id Brevo shows only as the EXT_ID attribute is the key too;
// attribute names match case-insensitively.
func TestReaderExtIDAttribute(t *testing.T) {
	c, _, _ := newTestClient(t, Settings{})
	r, _, _ := c.Reader([]string{"firstname"})
	got := r.(*ContactReader).record(&listedContact{Email: "a@example.com", Attributes: map[string]any{"EXT_ID": "sub-9", "FirstName": "A"}})
	if want := (connector.Record{Key: "sub-9", Fields: map[string]any{"firstname": "A"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("record = %+v, want %+v", got, want)
	}
}
