package zitadel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const benchKey = "zitadel-bench-signing-key-0123456789"

// benchBody is a ~2 KB user.human.added with a full event_payload (profile,
// email, phone, address and some metadata), the largest user event.
func benchBody() string {
	var meta []string
	for i := range 14 {
		meta = append(meta, fmt.Sprintf(`{"key":"meta_%02d","value":"dmFsdWUtJTAyZC1hYmNkZWZnaGlqa2xtbm9w"}`, i))
	}
	return `{"aggregateID":"336494809936035843","aggregateType":"user","resourceOwner":"336392597046099971","instanceID":"336392597046034435",` +
		`"version":"v2","sequence":1,"event_type":"user.human.added","created_at":"2025-01-01T10:00:00.123456Z","userID":"336392597046755331",` +
		`"event_payload":{"userName":"jane.doe@example.com","firstName":"Jane","lastName":"Doe","nickName":"JD","displayName":"Jane Doe",` +
		`"preferredLanguage":"en","gender":2,"email":"jane.doe@example.com","isEmailVerified":true,"phone":"+4915112345678","isPhoneVerified":false,` +
		`"country":"DE","locality":"Berlin","postalCode":"10115","region":"BE","streetAddress":"Hauptstr. 1","userLoginMustBeDomain":false,` +
		`"metadata":[` + strings.Join(meta, ",") + `]}}`
}

func BenchmarkParseZitadel(b *testing.B) {
	body := benchBody()
	now := time.Unix(1735725600, 0)
	req := signed(benchKey, now, body)
	p := mustParser(b, benchKey)
	if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 1 {
		b.Fatalf("%v %v", evs, err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorZitadel is the least any verifier must do: split the
// header, one HMAC-SHA256 over "t.body", one compare, one generic decode.
func BenchmarkFloorZitadel(b *testing.B) {
	body := []byte(benchBody())
	h := Signature(benchKey, time.Unix(1735725600, 0), body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ts, v1, _ := strings.Cut(strings.TrimPrefix(h, "t="), ",v1=")
		got, _ := hex.DecodeString(v1)
		m := hmac.New(sha256.New, []byte(benchKey))
		m.Write([]byte(ts + "."))
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
