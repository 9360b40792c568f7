package brevo

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/internal/kittest"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	brsandbox "github.com/profilesync/profilesync/pkg/sandbox/brevo"
)

// A record key reaches the back-end as one escaped path segment; one that
// would address the collection or its parent never leaves.
func TestKeyIsOnePathSegment(t *testing.T) {
	rec0 := &kittest.Recorder{Next: brsandbox.NewFake(testKey)}
	srv := httptest.NewServer(rec0)
	t.Cleanup(srv.Close)
	hc := egress.Client(egress.Local, 5*time.Second)
	c, err := New("b", Settings{Identifier: ByExtID, OptOut: OptOutUnlinkLists, ListIDs: []int64{7}}, Credentials{APIKey: testKey, BaseURL: srv.URL}, hc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fields := map[string]any{"email": "a@example.com"}
	for _, key := range kittest.DotKeys {
		_, uerr := c.Upsert(ctx, rec(key, fields))
		derr := c.Delete(ctx, rec(key, nil))
		for _, err := range []error{uerr, derr} {
			if fault.ClassOf(err) != fault.Permanent || key != "" && !strings.Contains(err.Error(), "brevo: the record key is empty") {
				t.Errorf("key %q: %v, want a permanent fault naming the connector", key, err)
			}
		}
	}
	for _, s := range rec0.Seen() {
		if strings.Contains(s, "/contacts/") {
			t.Fatalf("a refused key reached the back-end: %v", rec0.Seen())
		}
	}
	if _, err := c.Upsert(ctx, rec(kittest.SlashQueryKey, fields)); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, rec(kittest.SlashQueryKey, nil)); err != nil {
		t.Fatal(err)
	}
	if !rec0.Has(kittest.EscapedSlashQueryKey) {
		t.Fatalf("requests %v, want the key as one segment %s", rec0.Seen(), kittest.EscapedSlashQueryKey)
	}
}
