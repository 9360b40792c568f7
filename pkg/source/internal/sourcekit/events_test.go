package sourcekit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// CheckEvents names the first event Validate refuses by its index and
// keeps ErrInvalidKey in the chain, but never quotes the value.
func TestCheckEvents(t *testing.T) {
	at := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	ev := func(id, sub string) profile.Event {
		return profile.Event{ID: id, Source: "s", Type: profile.Updated, Subject: sub, OccurredAt: at, ReceivedAt: at}
	}
	if err := CheckEvents([]profile.Event{ev("e1", "u1"), ev("e2", "u2")}); err != nil {
		t.Fatalf("valid events refused: %v", err)
	}
	if err := CheckEvents(nil); err != nil {
		t.Fatalf("no events refused: %v", err)
	}
	err := CheckEvents([]profile.Event{ev("e1", "u1"), ev("e2", "secret\xff"), ev("e3", "also\ufffd")})
	if !errors.Is(err, profile.ErrInvalidKey) || !strings.HasPrefix(err.Error(), "event 1: ") {
		t.Fatalf("want event 1 and ErrInvalidKey, got %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error quotes the subject: %v", err)
	}
}
