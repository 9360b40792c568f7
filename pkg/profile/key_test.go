package profile

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckKey(t *testing.T) {
	var decoded struct{ Sub string }
	// encoding/json turns the invalid byte into U+FFFD without an error.
	if err := json.Unmarshal([]byte("{\"Sub\":\"user-\xff-1\"}"), &decoded); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"ascii", "7e8f9a0b-1c2d", true},
		{"unicode", "zoë@example.com", true},
		{"empty (checked elsewhere)", "", true},
		{"invalid byte", "user-\xff-1", false},
		{"truncated sequence", "user-\xc3", false},
		{"replacement character", "user-\uFFFD-1", false},
		{"as encoding/json decodes an invalid byte", decoded.Sub, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckKey("subject", tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckKey(%q) = %v, want ok %v", tt.in, err, tt.ok)
			}
			if err != nil && (!errors.Is(err, ErrInvalidKey) || !strings.HasPrefix(err.Error(), "subject ") || strings.Contains(err.Error(), "user-")) {
				t.Fatalf("error %q: want ErrInvalidKey naming the field, not the value", err)
			}
		})
	}
}

func TestValidateRefusesInvalidUTF8(t *testing.T) {
	for name, mutate := range map[string]func(*Event){
		"subject": func(e *Event) { e.Subject = "7e8f\xff"; e.Profile = nil },
		"id":      func(e *Event) { e.ID = "evt-\uFFFD" },
		"purpose": func(e *Event) { e.Type, e.Purpose = ConsentGranted, "news\xfeletter" },
	} {
		e := sampleEvent()
		mutate(&e)
		if err := e.Validate(); !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Validate = %v, want ErrInvalidKey", name, err)
		}
	}
}
