package connector

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	sent := SentValues(map[string]any{"Email": "jane@example.com", "Name": map[string]any{"Last": "Doe"}, "Age": 42, "Ok": true, "X": "ab"}, "u-1234")
	got := Redact("INVALID_EMAIL_ADDRESS: jane@example.com for Doe (u-1234), age 42, ab", sent, 200)
	want := "INVALID_EMAIL_ADDRESS: [redacted] for [redacted] ([redacted]), age 42, ab"
	if got != want {
		t.Errorf("Redact = %q\nwant     %q", got, want)
	}
	if got := Redact(strings.Repeat("é", 10), nil, 5); got != "éé…" {
		t.Errorf("cut on a rune boundary: %q", got)
	}
}

func TestRedactURLError(t *testing.T) {
	err := &url.Error{Op: "Patch", URL: "https://user:pw@x/Contact/u-1", Err: errors.New("connection refused")}
	if got := RedactURLError(err).Error(); strings.Contains(got, "u-1") || strings.Contains(got, "pw") || got != "Patch: connection refused" {
		t.Errorf("got %q", got)
	}
}
