package local

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/claimstest"
)

// A decision lands among the notices as ClaimDecided for target claims,
// with the event detail's fields and not the declared value.
func TestPublishDecision(t *testing.T) {
	db := openDB(t, t.TempDir())
	d := claimstest.Decision("dec-1", "sub-a", "hcp", 0, claims.Verified)
	d.Value = "1234567893"
	if err := NewNotices(db).PublishDecision(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	var typ, target, subject, eventID, detail string
	var at int64
	err := db.sql.QueryRowContext(t.Context(), `select type, target, subject, event_id, detail, at from notice`).
		Scan(&typ, &target, &subject, &eventID, &detail, &at)
	if err != nil {
		t.Fatal(err)
	}
	if typ != "ClaimDecided" || target != "claims" || subject != "sub-a" || eventID != "dec-1" || at != d.DecidedAt.UnixMilli() {
		t.Errorf("notice %s %s %s %s at %d", typ, target, subject, eventID, at)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(detail), &got); err != nil {
		t.Fatal(err)
	}
	if got["verdict"] != "verified" || got["rule"] != "hcp" || got["decided_by"] != "rule:hcp" ||
		got["expires_at"] != d.ExpiresAt.Format(time.RFC3339Nano) || got["id"] != "dec-1" {
		t.Errorf("detail %s", detail)
	}
	for _, k := range []string{"value", "evidence_hash", "attributes"} {
		if _, ok := got[k]; ok {
			t.Errorf("detail carries %s: %s", k, detail)
		}
	}
	ns, err := NewNotices(db).List(t.Context(), "claims", 0)
	if err != nil || len(ns) != 1 || ns[0].Type != "ClaimDecided" || ns[0].Subject != "sub-a" {
		t.Errorf("List(claims) = %+v, %v", ns, err)
	}
}
