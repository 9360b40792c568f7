package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// A key that is not text is refused, whichever way it is built.
func TestInvalidKeyRefused(t *testing.T) {
	bySub, err := withPhone.Parse("crm.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	byEmail, err := withPhone.Parse("crm.yaml", []byte("key: email\n"+base))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	upd := profile.Event{ID: "e1", Source: "cidaas", Type: profile.Updated, Subject: "s1", OccurredAt: at}
	del := upd
	del.Type, del.Subject, del.Environment = profile.Deleted, "s1\xff", "prod" // prod subscribes to deletes
	tests := []struct {
		name string
		run  func() error
	}{
		{"sub with an invalid byte", func() error {
			_, _, err := bySub.Record(bySub.Resolve("", ""), &profile.Profile{Sub: "s1\xff"})
			return err
		}},
		{"email holding U+FFFD (a fetched profile)", func() error {
			_, err := byEmail.Decide(upd, &profile.Profile{Sub: "s1", Email: "jane\uFFFD@example.com"})
			return err
		}},
		{"delete keyed on an invalid subject", func() error {
			_, err := bySub.Decide(del, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !errors.Is(err, profile.ErrInvalidKey) || strings.Contains(err.Error(), "jane") {
				t.Fatalf("err = %v, want ErrInvalidKey without the value", err)
			}
		})
	}
	if _, err := byEmail.Decide(upd, &profile.Profile{Sub: "s1", Email: "zoë@example.com"}); err != nil {
		t.Fatalf("valid unicode key: %v", err)
	}
}
