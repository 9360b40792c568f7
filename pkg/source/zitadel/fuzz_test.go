package zitadel

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// FuzzParse signs whatever body it is given, so the decoder behind the
// signature check is what gets fuzzed: it must never panic, fail only as
// malformed, and return only events that validate.
func FuzzParse(f *testing.F) {
	sample, err := os.ReadFile("testdata/zitadel-user.human.added.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(loadVector(f).RawBody))
	f.Add([]byte(`{"aggregateID":"1","aggregateType":"user","sequence":"18446744073709551616","event_type":"user.removed"}`))
	f.Add([]byte(`{"aggregateID":"1","aggregateType":"user","sequence":-1,"event_type":"user.removed","created_at":"yesterday"}`))
	const key = "zitadel-fuzz-signing-key"
	p := mustParser(f, key)
	now := time.Unix(1735725600, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), signed(key, now, string(body)))
		if err != nil {
			if !errors.Is(err, source.ErrMalformed) {
				t.Fatalf("signed body failed as %v", err)
			}
			return
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("%+v: %v", e, err)
			}
		}
	})
}
