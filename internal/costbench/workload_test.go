package costbench

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"
)

// scale is a tenth of the changes per run: COSTBENCH_CHANGES/10, 100 by
// default.
func scale() int {
	if n, err := strconv.Atoi(os.Getenv("COSTBENCH_CHANGES")); err == nil && n >= 10 {
		return n / 10
	}
	return 100
}

// phase is one kind of change in the measured mix of 1,000: created and
// updated subjects (delivered), updates that change no mapped field
// (skipped_unchanged) and updates older than what the target holds
// (skipped_stale).
type phase struct {
	name    string
	changes int
	// extra phases run after the mix and are reported apart from it.
	extra bool
	// body is the i-th change's webhook (Clerk, a full profile), for
	// subjects named by sub.
	body func(sub func(int) string, i int) []byte
}

// The mix: 400 created, 400 updated, 100 unchanged, 100 stale, scaled by
// COSTBENCH_CHANGES/1000 (a quicker look: COSTBENCH_CHANGES=100).
func phases(base time.Time) []phase {
	at := func(d time.Duration) int64 { return base.Add(d).UnixMilli() }
	n := scale()
	return []phase{
		{name: "created", changes: 4 * n, body: func(sub func(int) string, i int) []byte {
			return clerkUser("user.created", sub(i), "Ann", at(0))
		}},
		{name: "updated", changes: 4 * n, body: func(sub func(int) string, i int) []byte {
			return clerkUser("user.updated", sub(i), "Anne", at(time.Minute))
		}},
		{name: "unchanged", changes: n, body: func(sub func(int) string, i int) []byte {
			return clerkUser("user.updated", sub(i), "Anne", at(2*time.Minute))
		}},
		{name: "stale", changes: n, body: func(sub func(int) string, i int) []byte {
			return clerkUser("user.updated", sub(n+i), "Older", at(30*time.Second))
		}},
		// Outside the mix: deletes of delivered subjects.
		{name: "deleted", changes: n, extra: true, body: func(sub func(int) string, i int) []byte {
			return clerkDeleted(sub(2*n+i), at(3*time.Minute))
		}},
	}
}

// clerkUser is a Clerk webhook for a synthetic user (example.com, a
// reserved test number range), versioned by updatedAt (epoch ms).
func clerkUser(typ, id, given string, updatedAt int64) []byte {
	emailID, phoneID := "idn_e_"+id, "idn_p_"+id
	verified := map[string]string{"status": "verified"}
	body, _ := json.Marshal(map[string]any{
		"type": typ, "object": "event", "timestamp": updatedAt,
		"data": map[string]any{
			"id": id, "object": "user", "first_name": given, "last_name": "Example",
			"primary_email_address_id": emailID, "primary_phone_number_id": phoneID,
			"email_addresses": []any{map[string]any{"id": emailID, "email_address": id + "@example.com", "verification": verified}},
			"phone_numbers":   []any{map[string]any{"id": phoneID, "phone_number": "+4930901820", "verification": verified}},
			"unsafe_metadata": map[string]any{"marketing_opt_in": true},
			"created_at":      updatedAt, "updated_at": updatedAt,
		},
	})
	return body
}

// clerkDeleted is Clerk's user.deleted webhook (the deleted object only).
func clerkDeleted(id string, at int64) []byte {
	body, _ := json.Marshal(map[string]any{"type": "user.deleted", "object": "event", "timestamp": at,
		"data": map[string]any{"id": id, "object": "user", "deleted": true}})
	return body
}

// cidaasThin is a cidaas webhook carrying only the subject (a thin event:
// the sync functions fetch the profile).
func cidaasThin(id, sub string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"eventtype":"ACCOUNT_MODIFIED","id":%q,"sub":%q,"tenant_key":"acme-shop","createdTime":%q,"data":{"sub":%q,"provider":"self"}}`,
		id, sub, at.UTC().Format("2006-01-02T15:04:05.000Z"), sub)
}
