package gigya

import (
	"context"
	"os"
	"testing"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// FuzzParse signs whatever body it is given, so the decoder behind the
// signature check is what gets fuzzed: it must never panic, fail only as
// malformed, and return only events that validate.
func FuzzParse(f *testing.F) {
	sample, err := os.ReadFile("testdata/gigya-accountUpdated.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(loadVector(f).RawBody))
	f.Add([]byte(`{"events":[{"type":"accountDeleted","id":"e","timestamp":99999999999999,"data":{"uid":"u"}}],"timestamp":-1}`))
	f.Add([]byte(`{"events":[{"type":"accountUpdated","id":"\u0000","timestamp":1.5,"data":{"uid":"u\n"}}]}`))
	f.Add([]byte(`{"events":null}`))
	// A key of invalid UTF-8 (U+FFFD once decoded): ErrMalformed, not an event the ingress refuses.
	f.Add([]byte(`{"events":[{"type":"accountUpdated","id":"e` + "\xff" + `","data":{"uid":"u"}}]}`))
	p := mustParser(f, hmacConfig())
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), signedHMAC(testSecret, string(body), vectorTime))
		sourcetest.CheckParse(t, "gigya-acme", vectorTime, evs, err)
	})
}
