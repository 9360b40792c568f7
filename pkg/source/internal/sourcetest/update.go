package sourcetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// CheckUpdate runs the source.Updater contract through the platform's own
// Fetcher: it fetches subject, updates it with attrs, fetches it again and
// fails t unless the second profile's Custom equals want (compared as JSON,
// so 3 and 3.0 are one value) and nothing outside Custom changed. want is
// the whole Custom expected after the update: the platform's merge rules
// (deep or shallow) are the caller's to spell out.
func CheckUpdate(t *testing.T, f interface {
	source.Fetcher
	source.Updater
}, subject string, attrs, want map[string]any) {
	t.Helper()
	ctx := context.Background()
	before, err := f.Fetch(ctx, subject)
	if err != nil {
		t.Fatalf("fetch before update: %v", err)
	}
	if err := f.Update(ctx, subject, attrs); err != nil {
		t.Fatalf("update: %v", err)
	}
	after, err := f.Fetch(ctx, subject)
	if err != nil {
		t.Fatalf("fetch after update: %v", err)
	}
	if got, w := JSONValue(t, after.Custom), JSONValue(t, want); !reflect.DeepEqual(got, w) {
		t.Errorf("custom after update:\n got %v\nwant %v", got, w)
	}
	b, a := *before, *after
	b.Custom, a.Custom, b.UpdatedAt, a.UpdatedAt = nil, nil, nil, nil
	if got, w := JSONValue(t, a), JSONValue(t, b); !reflect.DeepEqual(got, w) {
		t.Errorf("update changed more than custom attributes:\n got %v\nwant %v", got, w)
	}
}

// JSONValue returns v as encoding/json reads it back into an any: numbers
// float64, objects map[string]any, an empty map and nil alike as nil.
func JSONValue(t testing.TB, v any) any {
	t.Helper()
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
