package fusionauth

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// FuzzParse signs whatever body it is given, so the decoder behind the
// signature check is what gets fuzzed; FuzzVerify feeds the header itself.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/fusionauth-user.update.json", "testdata/fusionauth-user.delete.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"event":{"type":"user.create","id":"x","createInstant":-99999999999999999,"user":{"id":"u","lastUpdateInstant":9223372036854775807}}}`))
	f.Add([]byte(`{"event":{"type":"user.update","id":"\u0000","user":{"id":"u","data":null}}}`))
	// A key of invalid UTF-8 (U+FFFD once decoded): ErrMalformed, not an event the ingress refuses.
	f.Add([]byte(`{"event":{"type":"user.update","id":"x","user":{"id":"u` + "\xff" + `"}}}`))
	p := mustParser(f, hmacConfig(testKey), nil)
	now := time.Unix(1735725600, 0).UTC()
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), request(SignHS256(testKey, "k", body), string(body), now))
		sourcetest.CheckParse(t, "fusionauth-acme", now, evs, err)
	})
}

func FuzzVerify(f *testing.F) {
	v := loadVector(f)
	f.Add(v.Headers["X-FusionAuth-Signature-JWT"])
	f.Add("e30.e30.AA")
	f.Add("..")
	p := mustParser(f, hmacConfig(v.HMACKey), nil)
	now := time.Unix(1735725600, 0).UTC()
	f.Fuzz(func(t *testing.T, jwt string) {
		evs, err := p.Parse(context.Background(), request(jwt, v.RawBody, now))
		sourcetest.CheckParse(t, "fusionauth-acme", now, evs, err)
	})
}
