package auth0

import (
	"context"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// Parse decodes into record slices reused across deliveries: nothing of
// one delivery may show in the next. The second batch's records lack
// the fields the first one's had (client_id, date, a sapi's details),
// so a record decoded over a stale one would carry them.
func TestRecordsNotCarriedOver(t *testing.T) {
	v := loadVector(t)
	p := mustParser(t, validConfig)
	auth := headers(v.Headers)
	sapi := logRec("l0", "sapi", sapiDetails("PATCH", "/api/v2/users/auth0%7C1", 200, "{}"))
	full := "[" + strings.Repeat(sapi+",", 7) + sapi + "]"
	bare := `[{"log_id":"l1","data":{"type":"ss","user_id":"u1"}},{"log_id":"l2","data":{"type":"sapi","user_id":"u2"}},` +
		`{"data":{"type":"sdu","user_id":"u3","log_id":"l3"}}]`
	for range 3 {
		if evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(full), Now: now}); err != nil || len(evs) != 8 {
			t.Fatalf("full batch: %d events, %v", len(evs), err)
		}
		evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(bare), Now: now})
		if err != nil || len(evs) != 2 {
			t.Fatalf("bare batch: %+v %v (a sapi without details changes nothing)", evs, err)
		}
		for i, want := range []struct{ id, sub, typ string }{{"l1", "u1", "ss"}, {"l3", "u3", "sdu"}} {
			e := evs[i]
			if e.ID != want.id || e.Subject != want.sub || e.SourceType != want.typ || e.ClientID != "" || !e.OccurredAt.Equal(now) {
				t.Errorf("event %d: %+v", i, e)
			}
		}
	}
}
