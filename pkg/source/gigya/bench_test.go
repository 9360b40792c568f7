package gigya

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchBody is a full batch of 100 events (~22 KB), the most SAP sends in
// one notification.
func benchBody() string {
	evs := make([]string, 100)
	for i := range evs {
		evs[i] = gigyaEvent("accountUpdated", fmt.Sprintf("b3e95b42-5788-49a7-842a-%012d", i), fmt.Sprintf("7c0a9b8e6d5f4e3c2b1a0f9e8d7c%04d", i), siteKey)
	}
	return `{"events":[` + strings.Join(evs, ",") + `],"nonce":"8693aa10-9c75-48c9-a959-6ef1ae2b6b54","timestamp":1735726001}`
}

func BenchmarkIngressGigya(b *testing.B) {
	body := benchBody()
	req := signedHMAC(testSecret, body, vectorTime)
	p := mustParser(b, hmacConfig())
	if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 100 {
		b.Fatalf("%d %v", len(evs), err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorGigya is the least any verifier must do: decode the
// header, one HMAC-SHA1 over the body, one compare, one generic decode.
func BenchmarkFloorGigya(b *testing.B) {
	body := []byte(benchBody())
	key, _ := base64.StdEncoding.DecodeString(testSecret)
	h := Signature(key, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, _ := base64.StdEncoding.DecodeString(h)
		m := hmac.New(sha1.New, key)
		m.Write(body)
		if !hmac.Equal(got, m.Sum(nil)) {
			b.Fatal("signature")
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
