package webhook

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// FuzzParse authenticates whatever body it is given, so the decoder and
// the path lookups behind the check are what get fuzzed: never a panic,
// failures only as malformed, and only events that validate.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/ory-*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"event":"registration.after","identity_id":7,"traits":{"email":["x"]}}`))
	f.Add([]byte(`{"event":"settings.after","identity_id":"a","updated_at":1e300,"verified_email":"yes"}`))
	f.Add([]byte(`{"event":"settings.after","identity_id":"a","traits":{"consents":{"newsletter":null}},"flow_id":""}`))
	cfg := kratosConfig(f)
	cfg.Fields["custom.first_address"] = "verifiable_addresses[0].value"
	p := mustParser(f, cfg)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), request(body, "X-Webhook-Secret", kratosKey))
		if err != nil {
			if !errors.Is(err, source.ErrMalformed) {
				t.Fatalf("an authentic body failed as %v", err)
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

// FuzzParsePath: a path either compiles and prints as written, or is
// refused; looking it up never panics.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a", "a.b[0]", "x[1][2].y", "a..b", "a[", "[0]", "a[99999999999999999999]"} {
		f.Add(s)
	}
	doc := map[string]any{"a": map[string]any{"b": []any{"x"}}, "x": []any{[]any{1.0}}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("%q prints as %q", s, p.String())
		}
		p.Lookup(doc)
	})
}
