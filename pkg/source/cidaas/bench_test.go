package cidaas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// benchBody is a ~2 KB ACCOUNT_MODIFIED body: the thin fields plus the
// kind of context cidaas may add (shape UNCONFIRMED, size realistic).
func benchBody() []byte {
	var extra []string
	for i := range 24 {
		extra = append(extra, fmt.Sprintf(`"field_%02d":"value-%02d-abcdefghijklmnopqrstuvwx"`, i, i))
	}
	b := `{"eventtype":"ACCOUNT_MODIFIED","id":"2f6a8c1e-4b3d-4e5f-9a0b-1c2d3e4f5a6b","sub":"7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b",` +
		`"tenant_key":"acme-shop","createdTime":"2025-01-01T10:00:00.000Z","client_id":"9b1c2d3e-app",` +
		`"data":{"sub":"7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b","provider":"self",` + strings.Join(extra, ",") + `}}`
	return []byte(b)
}

func BenchmarkParseCidaas(b *testing.B) {
	p := mustParser(b, validAPIKeyConfig)
	req := source.Request{Header: http.Header{"Apikey": {"ps-cidaas-fake-key-2b7e"}}, Body: benchBody(), Now: time.Now()}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorCidaas is the least any APIKEY parser must do: one
// constant-time key check and one generic decode.
func BenchmarkFloorCidaas(b *testing.B) {
	body := benchBody()
	h := http.Header{"Apikey": {"ps-cidaas-fake-key-2b7e"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !equalSecret(h.Get("apikey"), "ps-cidaas-fake-key-2b7e") {
			b.Fatal("key")
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}
