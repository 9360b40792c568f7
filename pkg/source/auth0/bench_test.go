package auth0

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// The research vector is a ~2.2 KB JSONARRAY batch: ss, sapi (PATCH) and sdu.

func BenchmarkParseAuth0(b *testing.B) {
	v := loadVector(b)
	p := mustParser(b, validConfig)
	req := source.Request{Header: headers(v.Headers), Body: []byte(v.RawBody), Now: now}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 3 {
			b.Fatal(evs, err)
		}
	}
}

// BenchmarkFloorAuth0 is the least any header-token parser must do: one
// constant-time compare and one generic decode.
func BenchmarkFloorAuth0(b *testing.B) {
	v := loadVector(b)
	body := []byte(v.RawBody)
	h := http.Header{"Authorization": {v.Headers["Authorization"]}}
	want := sha256.Sum256([]byte(v.Headers["Authorization"]))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got := sha256.Sum256([]byte(h.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			b.Fatal("token")
		}
		var m []map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}
