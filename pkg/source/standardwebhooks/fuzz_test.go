package standardwebhooks

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// fuzzSeeds are the bodies in testdata: the signed test vectors and the
// Clerk samples.
func fuzzSeeds(f *testing.F) (vectors, [][]byte) {
	v := loadVectors(f)
	bodies := [][]byte{[]byte(v.Official.RawBody), []byte(v.Clerk.RawBody)}
	for _, name := range []string{"testdata/clerk-user.created.json", "testdata/clerk-user.deleted.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	return v, bodies
}

// FuzzParseSigned decodes arbitrary bodies and message ids under a valid
// signature, so every input reaches the decoder.
func FuzzParseSigned(f *testing.F) {
	v, bodies := fuzzSeeds(f)
	for _, b := range bodies {
		f.Add(b, v.Clerk.Headers["svix-id"])
	}
	f.Add([]byte(`{"type":"user.updated","timestamp":-1,"data":{"id":"u"}}`), "msg_1")
	f.Add([]byte(`{"type":"user.created","timestamp":9223372036854775807,"data":{"id":"u","updated_at":9223372036854775807}}`), "msg_1")
	p := mustParser(f, v.Clerk.Secret)
	now := time.Unix(1735725600, 0).UTC()
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		if id == "" || strings.ContainsAny(id, "\r\n") {
			return // no such header reaches a parser
		}
		h := sign(t, v.Clerk.Secret, id, now.Unix(), string(body))
		evs, err := p.Parse(context.Background(), source.Request{Header: h, Body: body, Now: now})
		if errors.Is(err, source.ErrUnauthenticated) {
			t.Fatalf("validly signed body refused: %v", err)
		}
		sourcetest.CheckParse(t, "clerk-acme", now, evs, err)
	})
}

// FuzzVerify feeds arbitrary signature headers: nothing but the vector's
// own signature may pass.
func FuzzVerify(f *testing.F) {
	v, bodies := fuzzSeeds(f)
	o := v.Official
	f.Add(o.Headers["webhook-id"], o.Headers["webhook-timestamp"], o.Expected, []byte(o.RawBody))
	f.Add(o.Headers["webhook-id"], o.Headers["webhook-timestamp"], "v1,"+strings.Repeat("A", 43)+"= v2,x v1", []byte(o.RawBody))
	f.Add("msg_1", "1614265330", v.Clerk.Headers["svix-signature"], bodies[1])
	p := mustParser(f, o.Secret)
	ts, _ := json.Number(o.Headers["webhook-timestamp"]).Int64()
	now := time.Unix(ts, 0).UTC()
	f.Fuzz(func(t *testing.T, id, timestamp, sig string, body []byte) {
		h := headers(map[string]string{"webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": sig})
		evs, err := p.Parse(context.Background(), source.Request{Header: h, Body: body, Now: now})
		if err == nil {
			want := sign(t, o.Secret, id, now.Unix(), string(body)).Get("svix-signature")
			if !strings.Contains(sig, want) {
				t.Fatalf("accepted a signature %q that is not the body's (%q)", sig, want)
			}
		}
		sourcetest.CheckParse(t, "clerk-acme", now, evs, err)
	})
}

// FuzzFetchedUser decodes arbitrary user objects as Fetch does.
func FuzzFetchedUser(f *testing.F) {
	_, bodies := fuzzSeeds(f)
	for _, b := range bodies {
		var env struct{ Data json.RawMessage }
		if json.Unmarshal(b, &env) == nil && len(env.Data) > 0 {
			f.Add([]byte(env.Data))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var u clerkUser
		if json.Unmarshal(b, &u) != nil || u.ID == "" {
			return
		}
		if p := u.profile(); p == nil || p.Sub != u.ID {
			t.Fatalf("profile %+v for user %q", p, u.ID)
		}
	})
}
