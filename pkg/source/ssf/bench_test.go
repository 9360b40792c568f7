package ssf

import (
	"context"
	"testing"
)

// BenchmarkParseSSF is one ES256 RISC account-disabled SET, keys cached:
// an ECDSA P-256 verification dominates.
func BenchmarkParseSSF(b *testing.B) {
	tr := newTransmitter(b)
	c := claimsWith(loadSample(b, "ssf-risc-account-purged.jwt.json").Claims, map[string]any{
		"events": map[string]any{AccountDisabled: map[string]any{"reason": "bulk-account"}}})
	req := request(tr.sign(b, nil, c), nil)
	p := mustParser(b, testConfig(tr.url))
	if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 1 {
		b.Fatalf("%v %v", evs, err)
	}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
