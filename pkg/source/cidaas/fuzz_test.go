package cidaas

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	fake "github.com/profilesync/profilesync/pkg/sandbox/cidaas"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// FuzzParse decodes arbitrary bodies, with the right API key (so every
// input reaches the decoder) or an arbitrary one.
func FuzzParse(f *testing.F) {
	v := loadVector(f)
	sample, err := os.ReadFile("testdata/cidaas-ACCOUNT_MODIFIED.json")
	if err != nil {
		f.Fatal(err)
	}
	key := v.Headers["apikey"]
	for _, b := range [][]byte{[]byte(v.RawBody), sample,
		[]byte(`{"eventtype":"CONSENT_ACCEPTED","data":{"sub":"s","consentName":"news"},"createdTime":"9999-12-31T23:59:59-05:00"}`),
		[]byte(`{"eventtype":"ACCOUNT_MODIFIED","sub":"s","createdTime":9223372036854775807}`)} {
		f.Add(b, key)
	}
	f.Add([]byte(v.RawBody), key+"x")
	p := mustParser(f, validAPIKeyConfig)
	now := time.Unix(v.FixedUnixTime, 0).UTC()
	f.Fuzz(func(t *testing.T, body []byte, apikey string) {
		evs, err := p.Parse(context.Background(), source.Request{Header: header("apikey", apikey), Body: body, Now: now})
		if apikey == key && errors.Is(err, source.ErrUnauthenticated) {
			t.Fatalf("right key refused: %v", err)
		}
		if apikey != key && !errors.Is(err, source.ErrUnauthenticated) {
			t.Fatalf("wrong key %q: %v", apikey, err)
		}
		sourcetest.CheckParse(t, "cidaas-acme", now, evs, err)
	})
}

// FuzzDecodeUser decodes arbitrary user objects as Fetch does; a decoded
// profile must be one the queue's envelope can carry.
func FuzzDecodeUser(f *testing.F) {
	demo, err := sandbox.DemoProfiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range demo {
		u, _ := json.Marshal(fake.UserJSON(p))
		f.Add(u)
		f.Add([]byte(`{"success":true,"status":200,"data":` + string(u) + `}`))
	}
	f.Add([]byte(`{"sub":"s","updated_at":9223372036854775807,"consents":{"news":{"granted":true,"updated":"x"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeUser(b)
		if err != nil {
			return
		}
		if p == nil {
			t.Fatal("nil profile without error")
		}
		e := profile.Event{ID: "e", Source: "cidaas", Type: profile.Updated, Subject: "s", OccurredAt: time.Unix(1, 0), Profile: p}
		e.Profile.Sub = ""
		if _, err := profile.NewEnvelope("t", e).Marshal(); err != nil {
			t.Fatalf("profile does not marshal: %v", err)
		}
	})
}
