package scim

import (
	"context"
	"testing"

	"github.com/profilesync/profilesync/pkg/connector"
)

// Find reads one resource by externalId, with the attributes read.
func TestReaderFind(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	ctx := context.Background()
	if _, err := st.c.Upsert(ctx, rec("u-1", jane())); err != nil {
		t.Fatal(err)
	}
	r, _, err := st.c.Reader([]string{"name.givenName", "title"})
	if err != nil {
		t.Fatal(err)
	}
	st.requests()
	f := r.(connector.Finder)
	got, found, err := f.Find(ctx, "u-1")
	if err != nil || !found || got.Key != "u-1" || got.Fields["title"] != "Engineer" ||
		got.Fields["name"].(map[string]any)["givenName"] != "Jane" {
		t.Fatalf("Find(u-1) = %+v, %v, %v", got, found, err)
	}
	wantRequests(t, st, "GET /Users "+filterU1)
	if got, found, err := f.Find(ctx, "u-2"); err != nil || found {
		t.Errorf("Find(u-2) = %+v, %v, %v; want nothing", got, found, err)
	}
}
