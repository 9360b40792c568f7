package generic

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/internal/kittest"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	gsandbox "github.com/profilesync/profilesync/pkg/sandbox/generic"
)

func TestKeyIsOnePathSegment(t *testing.T) {
	fake := gsandbox.NewFake(gsandbox.Auth{Mode: "hmac", HMACSecret: testCreds.HMACSecret})
	rec := &kittest.Recorder{Next: fake}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	s, err := DecodeSettings(validSettings())
	if err != nil {
		t.Fatal(err)
	}
	creds := testCreds
	creds.BaseURL = srv.URL
	c, err := New("g", s, creds, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range kittest.DotKeys {
		_, uerr := c.Upsert(ctx, record(key, profile.Updated, map[string]any{"email": "a@example.com"}))
		derr := c.Delete(ctx, record(key, profile.Deleted, nil))
		for _, err := range []error{uerr, derr} {
			if fault.ClassOf(err) != fault.Permanent || key != "" && !strings.Contains(err.Error(), "generic: the record key is empty") {
				t.Errorf("key %q: %v, want a permanent fault naming the connector", key, err)
			}
		}
	}
	if seen := rec.Seen(); len(seen) != 0 {
		t.Fatalf("refused keys reached the back-end: %v", seen)
	}
	if _, err := c.Upsert(ctx, record(kittest.SlashQueryKey, profile.Updated, map[string]any{"email": "a@example.com"})); err != nil {
		t.Fatal(err)
	}
	if !rec.Has(kittest.EscapedSlashQueryKey) {
		t.Fatalf("requests %v, want the key as one segment %s", rec.Seen(), kittest.EscapedSlashQueryKey)
	}
	if rs := fake.Records(); len(rs) != 1 || rs[0].Key != kittest.SlashQueryKey {
		t.Fatalf("fake records %+v, want one under %q", rs, kittest.SlashQueryKey)
	}
	if err := c.Delete(ctx, record(kittest.SlashQueryKey, profile.Deleted, nil)); err != nil {
		t.Fatal(err)
	}
}
