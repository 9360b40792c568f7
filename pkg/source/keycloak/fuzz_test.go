package keycloak

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// FuzzParse signs whatever body it is given, so the decoder behind the
// signature check is what gets fuzzed: it must never panic, fail only as
// malformed, and return only events that validate.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/keycloak-*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(loadVector(f).RawBody))
	f.Add([]byte(`{"type":"admin.USER-UPDATE","resourcePath":"users/"}`))
	f.Add([]byte(`{"type":"access.REGISTER","authDetails":{"userId":""},"uid":""}`))
	const secret = "keycloak-fuzz-secret-0123"
	p := mustParser(f, testConfig(secret, ""))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), signed(secret, "", string(body)))
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
