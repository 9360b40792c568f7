package cognito

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// FuzzDecode: the decoder must never panic, fail only as malformed or as
// another pool's event, and return only events that validate.
func FuzzDecode(f *testing.F) {
	f.Add(loadSample(f))
	f.Add(withSample(f, map[string]any{"triggerSource": ConfirmForgotPassword, "attr:custom:x": "{\"a\":"}))
	f.Add([]byte(`{"userPoolId":"eu-central-1_AbCdEfGhI","triggerSource":"PostConfirmation_ConfirmSignUp","request":{"userAttributes":{"sub":"a\u0000b","updated_at":"99999999999999"}}}`))
	f.Add([]byte(`{"userPoolId":"eu-central-1_AbCdEfGhI","triggerSource":"PostConfirmation_ConfirmSignUp","request":null}`))
	p := mustParser(f)
	now := time.Unix(1767225600, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Decode(body, now)
		if err != nil {
			if !errors.Is(err, source.ErrMalformed) && !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("failed as %v", err)
			}
			return
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("%+v: %v", e, err)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("event not encodable for the queue: %v", err)
			}
		}
	})
}
