package ssf

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// FuzzParse signs whatever claims it is given, so the decoder behind the
// signature check is what gets fuzzed: it must never panic, fail only as
// refused (ErrUnauthenticated or ErrMalformed) and return only events that
// validate.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"ssf-risc-account-purged.jwt.json", "ssf-caep-credential-change.jwt.json"} {
		c, _ := json.Marshal(loadSample(f, name).Claims)
		f.Add(c)
	}
	f.Add([]byte(`{"iss":"https://idp.example.com/","aud":"https://profilesync.example.com/ssf","jti":"j","iat":1e300,` +
		`"sub_id":{"format":"iss_sub","sub":"\u0000"},"events":{"https://schemas.openid.net/secevent/risc/event-type/account-disabled":{"event_timestamp":-1}}}`))
	// A key of invalid UTF-8 (U+FFFD once decoded): ErrMalformed, not an event the ingress refuses.
	f.Add([]byte(`{"iss":"https://idp.example.com/","aud":"https://profilesync.example.com/ssf","jti":"j",` +
		`"sub_id":{"format":"iss_sub","iss":"https://idp.example.com/","sub":"u` + "\xff" + `"},"events":{"https://schemas.openid.net/secevent/risc/event-type/account-disabled":{}}}`))
	tr := newTransmitter(f)
	cfg := testConfig(tr.url)
	cfg.SubjectFormats = []string{"iss_sub", "opaque", "email", "phone_number"}
	cfg.CredentialChange = true
	p := mustParser(f, cfg)
	f.Fuzz(func(t *testing.T, claims []byte) {
		evs, err := p.Parse(context.Background(), request(tr.sign(t, nil, claims), nil))
		sourcetest.CheckParse(t, "ssf-idp", testNow, evs, err)
	})
}
