package okta

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// benchBody is the research vector's delivery with its one event sent
// twice (Okta batches): about 2.8 KB.
func benchBody(b *testing.B) []byte {
	raw := loadVector(b).RawBody
	i := strings.Index(raw, `"events":[`) + len(`"events":[`)
	ev := raw[i : len(raw)-3]
	second := strings.Replace(ev, "2f1e3d4c-5b6a-11ef-9a8b-7c6d5e4f3a2b", "2f1e3d4c-5b6a-11ef-9a8b-7c6d5e4f3a2c", 1)
	return []byte(raw[:i] + ev + "," + second + "]}}")
}

func BenchmarkParseOkta(b *testing.B) {
	p := mustParser(b, validConfig)
	req := source.Request{Header: headers(loadVector(b).Headers), Body: benchBody(b), Now: now}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 2 {
			b.Fatal(evs, err)
		}
	}
}

// BenchmarkFloorOkta is the least any header-secret parser must do: one
// constant-time compare and one generic decode.
func BenchmarkFloorOkta(b *testing.B) {
	body := benchBody(b)
	h := http.Header{"Authorization": {"ps-okta-fake-secret-7f3a"}}
	want := sha256.Sum256([]byte("ps-okta-fake-secret-7f3a"))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got := sha256.Sum256([]byte(h.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			b.Fatal("secret")
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}
