package entra

import (
	"context"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// FuzzParse feeds any body to the parser: it must never panic, fail only
// as unauthenticated or malformed, return only events that validate, and
// return events only for a body that carries the configured clientState
// (sourcetest.CheckParse holds the rest of the ingress's contract).
func FuzzParse(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte(batch(note("created", "u-1", sampleState), note("deleted", "u-2", sampleState))))
	f.Add([]byte(batch(note("updated", "u-1", sampleState), note("updated", "u-1", "ps-forged-client-state"))))
	f.Add([]byte(batch(`{"subscriptionId":"s","lifecycleEvent":"reauthorizationRequired","clientState":"` + sampleState + `"}`)))
	f.Add([]byte(`{"value":[` + note("updated", "u-1", sampleState) + `],"validationTokens":["a.b.c"]}`))
	f.Add([]byte(batch(strings.Replace(note("updated", "u-1", sampleState), "Users/u-1", "Users/", 2))))
	f.Add([]byte(batch(strings.Replace(note("updated", "u-1", sampleState), "Users/u-1", "users/u-1/../u-2", 1))))
	f.Add([]byte(`{"value":null}`))
	// A user id of invalid UTF-8: refused as value[0] (user), never an event the ingress refuses.
	f.Add([]byte(batch(note("created", "u-1\xff", sampleState))))
	f.Add([]byte(`{"value":[{"clientState":"` + sampleState + `","resource":"Users/\u0000","changeType":"updated","subscriptionId":"s"}]}`))
	p := mustParser(f, validConfig)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), source.Request{Body: body, Now: now})
		sourcetest.CheckParse(t, "entra-acme", now, evs, err)
		if len(evs) > 0 && !strings.Contains(string(body), sampleState[3:]) {
			t.Fatalf("events from a body without the clientState: %s", body)
		}
	})
}
