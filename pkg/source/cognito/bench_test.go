package cognito

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkDecodeCognito decodes the research sample into its event.
func BenchmarkDecodeCognito(b *testing.B) {
	body := loadSample(b)
	p := mustParser(b)
	now := time.Unix(1767225600, 0)
	if evs, err := p.Decode(body, now); err != nil || len(evs) != 1 {
		b.Fatalf("%v %v", evs, err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Decode(body, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorCognito is the least any decoder must do: Cognito signs
// nothing (the Lambda permission is the authentication), so one generic
// json.Unmarshal of the same body.
func BenchmarkFloorCognito(b *testing.B) {
	body := loadSample(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
