package entra

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// benchBody is a batch of four user notifications (Graph batches up to
// its own limits), about 2.3 KB.
func benchBody() []byte {
	return []byte(batch(
		note("updated", "4b6e2c1a-9d8f-4e7a-b3c2-1d0e9f8a7b6c", sampleState),
		note("created", "5c7f3d2b-0e9a-4f8b-84d3-2e1f0a9b8c7d", sampleState),
		note("updated", "6d804e3c-1fab-4a9c-95e4-3f2a1bac9d8e", sampleState),
		note("deleted", "7e915f4d-2abc-4bad-a6f5-4a3b2cbdae9f", sampleState),
	))
}

func BenchmarkParseEntra(b *testing.B) {
	p := mustParser(b, validConfig)
	req := source.Request{Body: benchBody(), Now: now}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 4 {
			b.Fatal(evs, err)
		}
	}
}

// BenchmarkFloorEntra is the least any clientState check must do: one
// generic decode (the secret is inside the body) and one constant-time
// compare per notification.
func BenchmarkFloorEntra(b *testing.B) {
	body := benchBody()
	want := sha256.Sum256([]byte(sampleState))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
		for _, n := range m["value"].([]any) {
			s, _ := n.(map[string]any)["clientState"].(string)
			got := sha256.Sum256([]byte(s))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				b.Fatal("clientState")
			}
		}
	}
}
