package redact

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	sent := SentValues(map[string]any{"Email": "jane@example.com", "Name": map[string]any{"Last": "Doe"}, "Age": 42, "Ok": true, "X": "ab"}, "u-1234")
	got := Message("INVALID_EMAIL_ADDRESS: jane@example.com for Doe (u-1234), age 42, ab", sent, 200)
	want := "INVALID_EMAIL_ADDRESS: [redacted] for [redacted] ([redacted]), age 42, ab"
	if got != want {
		t.Errorf("Redact = %q\nwant     %q", got, want)
	}
	if got := Message(strings.Repeat("é", 10), nil, 5); got != "éé…" {
		t.Errorf("cut on a rune boundary: %q", got)
	}
}

// The message that reached the log, the DLQ attributes and dlq list
// before redaction ignored case and formatting.
func TestRedactCaseAndFormatting(t *testing.T) {
	sent := SentValues(map[string]any{"Email": "olga.outage@example.com", "FirstName": "Olga", "LastName": "Outage", "MobilePhone": "+4915112345679"}, "u-77")
	msg := "Invalid email OLGA.OUTAGE@EXAMPLE.COM for Olga Outage, phone 015112345679"
	got := Message(msg, sent, 500)
	if want := "Invalid email [redacted] for [redacted] [redacted], phone [redacted]"; got != want {
		t.Errorf("Redact = %q\nwant     %q", got, want)
	}
	for in, want := range map[string]string{
		"phone +49 (151) 123-45679 refused":         "phone [redacted] refused",
		"phone 0151 1234 5679, code 400":            "phone [redacted], code 400",
		"name OUTAGE, olga; other bob@corp.example": "name [redacted], [redacted]; other [redacted]",
		"full name olga   outage":                   "full name [redacted]   [redacted]",
		"record 12345678 of 2024":                   "record 12345678 of 2024",
	} {
		if got := Message(in, sent, 500); got != want {
			t.Errorf("Message(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactURLError(t *testing.T) {
	err := &url.Error{Op: "Patch", URL: "https://user:pw@x/Contact/u-1", Err: errors.New("connection refused")}
	if got := URLError(err).Error(); strings.Contains(got, "u-1") || strings.Contains(got, "pw") || got != "Patch: connection refused" {
		t.Errorf("got %q", got)
	}
}
